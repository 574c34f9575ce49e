"""The fleet's fan-out over the wire: the planner (check_planner) leases what is due and
sends it to SQS (moto), the worker (check_worker) receives the batches as Lambda's SQS
event source would and checks the connections against the sandbox over HTTP.

Time is the sandbox's virtual clock; `stack.plan()` is one planner tick, `stack.work()`
drains the queues through the worker, urgent first.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from apibrake.deadline import Deadline
from apibrake.fleet.planner import SEED_CHUNK, CheckPlanner
from apibrake.fleet.queues import SqsCheckQueues
from apibrake.models.cadence import Temperature
from apibrake.models.fleet import CheckRequest
from apibrake.runtime import fleet
from apibrake.store.cadence import CadenceStore
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind

HUBSPOT_LIMIT = 250_000


def minutes(stack: LocalStack, count: float) -> None:
    stack.sandbox.advance(timedelta(minutes=count))


def hubspot_requests(stack: LocalStack) -> int:
    return stack.sandbox.hubspot_server.requests_served


def salesforce_requests(stack: LocalStack) -> int:
    return stack.sandbox.salesforce_server.requests_served


def no_failures(answers: list[dict[str, Any]]) -> bool:
    return all(answer["batchItemFailures"] == [] for answer in answers)


def hot_portal_and_calm_org(stack: LocalStack) -> None:
    stack.add_hubspot(auto_brake=False)
    stack.add_salesforce()
    stack.sandbox.hubspot.add_usage(int(HUBSPOT_LIMIT * 0.88))  # within 3 points of 90 %
    stack.sandbox.salesforce.add_usage(10_000)


def test_due_connections_go_through_the_queues_and_hot_ones_come_back_urgent(
    stack: LocalStack,
) -> None:
    # Given a hot portal and a calm org that were never checked
    hot_portal_and_calm_org(stack)
    # When the planner ticks: its first sweep puts both in the due index, due now
    plan = stack.plan()
    # Then both are queued (nothing known of them yet: calm, the normal queue)
    assert sorted(plan["normal"]) == ["hs-main", "sf-prod"]
    assert plan["urgent"] == []
    assert plan["summary"]["seeded"] == 2
    # and an overlapping tick finds both leased: nothing is sent twice
    overlapping = stack.plan()
    assert overlapping["urgent"] == overlapping["normal"] == []
    # When the worker drains the queues
    before = hubspot_requests(stack), salesforce_requests(stack)
    answers = stack.work()
    # Then each connection was read once over HTTP, and its cadence stored
    assert no_failures(answers)
    assert hubspot_requests(stack) > before[0]
    assert salesforce_requests(stack) > before[1]
    states = stack.state.cadence_states()
    assert states["hs-main"].temperature is Temperature.HOT
    assert states["sf-prod"].temperature is Temperature.CALM
    # When a minute passes, only the hot portal is due, and it goes to the urgent queue
    minutes(stack, 1)
    plan = stack.plan()
    assert plan["urgent"] == ["hs-main"]
    assert plan["normal"] == []
    served = salesforce_requests(stack)
    assert no_failures(stack.work())
    assert salesforce_requests(stack) == served  # the calm org is not touched
    # and at minute 15 the calm org is due again, on the normal queue
    for _ in range(14):
        minutes(stack, 1)
        plan = stack.plan()
        stack.work()
    assert plan["normal"] == ["sf-prod"]
    assert plan["urgent"] == ["hs-main"]


def test_a_hot_connection_left_unchecked_is_reported_overdue_by_the_planner(
    stack: LocalStack,
) -> None:
    # Given a hot portal, checked
    hot_portal_and_calm_org(stack)
    stack.plan()
    stack.work()
    minutes(stack, 1)
    assert stack.plan()["overdue"] == []
    stack.work()
    # When the worker does not run for three minutes (the requests wait, the leases end)
    minutes(stack, 1)
    stack.plan()
    minutes(stack, 3)
    report = stack.plan()
    # Then the planner reports it overdue (OverdueChecks, the alarm) and queues it again
    assert report["overdue"] == ["hs-main"]
    assert "hs-main" in report["urgent"]
    # and the stale request of the earlier lease is skipped: one read, not two
    served = hubspot_requests(stack)
    assert no_failures(stack.work())
    assert hubspot_requests(stack) - served == 1


def test_a_platform_error_gives_the_lease_back_so_the_next_tick_sends_it_again(
    stack: LocalStack,
) -> None:
    # Given a calm org, checked once
    stack.add_salesforce()
    stack.plan()
    stack.work()
    # When, 15 minutes later, the org answers 503
    minutes(stack, 15)
    stack.sandbox.salesforce_server.faults.add(
        Fault(FaultKind.STATUS, path="/limits", status=503, times=None)
    )
    assert stack.plan()["normal"] == ["sf-prod"]
    assert no_failures(stack.work())  # an error row, not a failed batch
    # Then the next tick sends it again, as the in-process tick retries it
    minutes(stack, 1)
    assert stack.plan()["normal"] == ["sf-prod"]


def test_a_deleted_connection_leaves_the_due_index_without_an_alert(stack: LocalStack) -> None:
    # Given an org queued for its first check
    stack.add_salesforce()
    assert stack.plan()["normal"] == ["sf-prod"]
    # When its item is deleted before the worker gets to it
    stack.connections.delete("sf-prod")
    served = salesforce_requests(stack)
    assert no_failures(stack.work())
    # Then nothing is checked or alerted, and no later tick sends it
    assert salesforce_requests(stack) == served
    assert stack.alerts() == []
    minutes(stack, 20)
    assert stack.plan()["normal"] == []


def test_a_batch_whose_check_raises_is_given_back_to_sqs(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an org queued for its first check
    stack.add_salesforce()
    stack.plan()

    # When the check itself raises (the state table unreachable, say)
    def broken_monitor(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("state table unreachable")

    monkeypatch.setattr(fleet, "usage_monitor", broken_monitor)
    answers = stack.work()
    # Then the invocation fails (Powertools: every record of the batch failed), so the
    # request stays in the queue for SQS to deliver again (then the dead-letter queue)
    assert len(answers) == 1
    assert answers[0]["functionError"] == "BatchProcessingError"
    assert len(answers[0]["batchItemFailures"]) == 1
    sqs = stack.aws.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.aws.queue_url("NormalCheckQueue"),
        AttributeNames=["ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_a_body_that_is_no_check_request_is_dropped_with_its_field(stack: LocalStack) -> None:
    # Given a message on the urgent queue that is not a check request
    sqs = stack.aws.client("sqs")
    sqs.send_message(
        QueueUrl=stack.aws.queue_url("UrgentCheckQueue"),
        MessageBody=json.dumps({"connection_id": "sf-prod"}),
    )
    # When the worker receives it, Then it is not retried (it could never succeed)
    assert no_failures(stack.work())
    assert "lease" in CheckRequest.model_fields


def test_a_request_sqs_did_not_take_is_sent_by_the_next_tick(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an org due for its first check, and SQS refusing the tick's requests
    stack.add_salesforce()

    def refused(self: SqsCheckQueues, requests: list[CheckRequest], *, urgent: bool) -> list[str]:
        return [request.connection_id for request in requests]

    with monkeypatch.context() as patch:
        patch.setattr(SqsCheckQueues, "send", refused)
        assert stack.plan()["not_sent"] == ["sf-prod"]
    # When the next tick comes, a minute later (its calm lease would have run 10)
    minutes(stack, 1)
    # Then it is sent: the lease ended with the refused send
    assert stack.plan()["normal"] == ["sf-prod"]


class Enabled:
    def __init__(self, connection_ids: set[str]) -> None:
        self.connection_ids = connection_ids

    def enabled_ids(self) -> set[str]:
        return set(self.connection_ids)


def test_seeding_cut_short_by_the_deadline_is_finished_by_the_next_tick(
    stack: LocalStack,
) -> None:
    # Given (after an upgrade, say) more connections to seed than one tick has time for
    ids = {f"sf-{n:03}" for n in range(SEED_CHUNK + 20)}
    aws = stack.aws
    planner = CheckPlanner(
        index=CadenceStore(aws.client("dynamodb"), aws.table_name("StateTable")),
        connections=Enabled(ids),
        queues=SqsCheckQueues(
            aws.client("sqs"),
            urgent_url=aws.queue_url("UrgentCheckQueue"),
            normal_url=aws.queue_url("NormalCheckQueue"),
        ),
        clock=stack.sandbox.clock.now,
    )
    budget = iter([60_000])  # time for one chunk of seeds, then the deadline's margin

    # When a tick's deadline comes after its first chunk of seeds
    first = planner.tick(Deadline(lambda: next(budget, 0)))
    # Then it seeded that chunk and left the rest
    assert (first.seeded, first.not_seeded) == (SEED_CHUNK, 20)
    # and the next tick sweeps again (not 5 minutes on), seeds the rest and queues them all
    minutes(stack, 1)
    second = planner.tick(Deadline())
    assert (second.seeded, second.not_seeded) == (20, 0)
    assert sorted(first.normal + second.normal) == sorted(ids)

"""The daily usage-file collection fanned out over the wire: the planner's
`{"collect": "usage_files"}` run sends one collect request per enabled Salesforce connection
to the normal queue (moto), the worker collects each against the sandbox over HTTP, and a
connection whose org refuses its file is the only message given back to SQS.

Every connection here watches the one sandbox org; the file of yesterday is the same file.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from apibrake.attribution import AttributionStore
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from sandbox.salesforce.connector import records_costing

ORGS = ["sf-a", "sf-b", "sf-c", "sf-d"]
LOG_FILE = r"/sobjects/EventLogFile/[^/]+/LogFile$"


def yesterday_of_calls(stack: LocalStack) -> None:
    """A whole UTC day of calls, then past the daily file's creation."""
    sandbox = stack.sandbox
    start = sandbox.clock.now()
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    sandbox.advance(midnight - start)
    sandbox.salesforce.add_flow(
        "Account_Rollup_Hourly", trigger_type="Scheduled", records_per_hour=records_costing(240)
    )
    sandbox.advance(timedelta(days=1, hours=2))


def collected_ids(stack: LocalStack) -> list[str]:
    memory = AttributionStore(stack.aws.client("dynamodb"), stack.aws.table_name("StateTable"))
    now = stack.sandbox.clock.now()
    since = now.date() - timedelta(days=2)
    return [cid for cid in ORGS if memory.daily_summaries(cid, since=since, now=now)]


def queued_bodies(stack: LocalStack) -> dict[str, str]:
    """The normal queue's collect requests by message id, left where they are (a receive
    all the same: it counts towards the queue's maxReceiveCount)."""
    sqs = stack.aws.client("sqs")
    answer = sqs.receive_message(
        QueueUrl=stack.aws.queue_url("NormalCheckQueue"),
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        WaitTimeSeconds=0,
    )
    return {
        message["MessageId"]: json.loads(message["Body"])["connection_id"]
        for message in answer.get("Messages", [])
    }


def visibility_timeout_passes_at_once(stack: LocalStack) -> None:
    """Stands in for the queue's 300 s visibility timeout: a message the worker failed is
    delivered again on the next receive (and, past maxReceiveCount, dead-lettered)."""
    stack.aws.client("sqs").set_queue_attributes(
        QueueUrl=stack.aws.queue_url("NormalCheckQueue"), Attributes={"VisibilityTimeout": "0"}
    )


def dead_letters(stack: LocalStack) -> list[dict[str, Any]]:
    answer = stack.aws.client("sqs").receive_message(
        QueueUrl=stack.aws.queue_url("NormalCheckDeadLetterQueue"),
        MaxNumberOfMessages=10,
        WaitTimeSeconds=0,
    )
    return list(answer.get("Messages", []))


def four_orgs_and_a_portal(stack: LocalStack) -> None:
    for cid in ORGS:
        stack.add_salesforce(cid)
    stack.add_salesforce("sf-off", enabled=False)
    stack.add_hubspot()


def test_the_collection_sends_one_request_per_enabled_salesforce_connection(
    stack: LocalStack,
) -> None:
    # Given four orgs, a switched-off org and a portal
    four_orgs_and_a_portal(stack)
    yesterday_of_calls(stack)
    served = stack.sandbox.salesforce_server.requests_served
    # When the daily schedule runs the planner
    plan = stack.plan_collection()
    # Then each enabled org has one collect request on the normal queue, and nothing was
    # asked of the platform yet
    assert plan["queued"] == ORGS
    assert plan["summary"] == {"queued": 4, "not_sent": 0, "not_queued": 0}
    assert stack.sandbox.salesforce_server.requests_served == served
    bodies = queued_bodies(stack)
    assert sorted(bodies.values()) == ORGS
    # When the worker drains the queue
    answers = stack.work()
    # Then every org's yesterday is collected, and no message is given back
    assert all(answer["batchItemFailures"] == [] for answer in answers)
    assert collected_ids(stack) == ORGS


def test_an_org_refusing_its_file_is_retried_alone_while_the_others_are_collected(
    stack: LocalStack,
) -> None:
    # Given four orgs, and the org answering 503 to the first download of a file
    four_orgs_and_a_portal(stack)
    yesterday_of_calls(stack)
    stack.plan_collection()
    stack.sandbox.salesforce_server.faults.add(
        Fault(FaultKind.STATUS, path=LOG_FILE, method="GET", status=503, times=1)
    )
    visibility_timeout_passes_at_once(stack)
    # When the worker drains the queue
    first, *again = stack.work()
    # Then one message was the first batch's only failure (the other three collected in
    # it), SQS delivered it again, alone, and it was collected
    assert len(first["batchItemFailures"]) == 1
    assert [answer["batchItemFailures"] for answer in again] == [[]]
    assert collected_ids(stack) == ORGS
    assert dead_letters(stack) == []


def test_an_org_that_keeps_refusing_ends_in_the_dead_letter_queue(stack: LocalStack) -> None:
    # Given four orgs, and the org refusing every download after the first three
    four_orgs_and_a_portal(stack)
    yesterday_of_calls(stack)
    stack.plan_collection()
    stack.sandbox.salesforce_server.faults.add(
        Fault(FaultKind.STATUS, path=LOG_FILE, method="GET", status=503, times=None, skip=3)
    )
    visibility_timeout_passes_at_once(stack)
    # When the worker drains the queue, SQS delivering the failed message again each time
    answers = stack.work()
    # Then three orgs are collected; the fourth's message failed alone on each of its three
    # receives (the queue's maxReceiveCount), and then SQS moved it to the dead-letter queue
    failures = [
        item["itemIdentifier"] for answer in answers for item in answer["batchItemFailures"]
    ]
    assert len(failures) == 3
    (failed_message,) = set(failures)
    (dead,) = dead_letters(stack)
    assert dead["MessageId"] == failed_message
    request = json.loads(dead["Body"])
    assert request["collect"] == "usage_files"
    assert collected_ids(stack) == [cid for cid in ORGS if cid != request["connection_id"]]


def test_a_check_and_a_collection_of_one_org_share_a_batch(stack: LocalStack) -> None:
    # Given an org due for its first check and for its daily collection, both queued
    stack.add_salesforce("sf-a")
    yesterday_of_calls(stack)
    assert stack.plan()["normal"] == ["sf-a"]
    assert stack.plan_collection()["queued"] == ["sf-a"]
    # When the worker takes both in one batch
    answers = stack.work()
    # Then the org is checked (its cadence stored) and its yesterday collected
    assert [answer["batchItemFailures"] for answer in answers] == [[]]
    assert "sf-a" in stack.state.cadence_states()
    assert collected_ids(stack) == ["sf-a"]


def test_a_collect_request_without_its_connection_is_dropped_not_retried(
    stack: LocalStack,
) -> None:
    # Given a collect request that names no connection
    stack.aws.client("sqs").send_message(
        QueueUrl=stack.aws.queue_url("NormalCheckQueue"),
        MessageBody=json.dumps({"collect": "usage_files"}),
    )
    # When the worker receives it, Then it is not retried (it could never succeed)
    assert [answer["batchItemFailures"] for answer in stack.work()] == [[]]

"""The daily collection's fan-out with small fakes: one collect request per enabled
Salesforce connection, ten a send; only a FAILED collection is named for SQS to retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from apibrake.attribution import Collected, CollectStatus
from apibrake.deadline import Deadline
from apibrake.fleet.collection import collect_batch, plan_collection
from apibrake.models.connection import Platform
from apibrake.models.fleet import CollectRequest

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
YESTERDAY = date(2026, 12, 6)


class FakeConnections:
    def __init__(self, ids: set[str]) -> None:
        self.ids = ids
        self.asked: list[Platform | None] = []

    def enabled_ids(self, platform: Platform | None = None) -> set[str]:
        self.asked.append(platform)
        return set(self.ids)


class FakeQueue:
    def __init__(self, refused: frozenset[str] = frozenset()) -> None:
        self.sends: list[list[CollectRequest]] = []
        self.refused = refused

    def send(self, requests: Sequence[CollectRequest], *, urgent: bool) -> list[str]:
        assert urgent is False  # calm work: the normal queue
        self.sends.append(list(requests))
        return [r.connection_id for r in requests if r.connection_id in self.refused]


def org_ids(count: int) -> set[str]:
    return {f"sf-{n:02}" for n in range(count)}


def test_one_request_per_salesforce_connection_ten_a_send() -> None:
    connections, queue = FakeConnections(org_ids(23)), FakeQueue(frozenset({"sf-04"}))

    plan = plan_collection(connections, queue, Deadline(), clock=lambda: NOW)

    assert connections.asked == [Platform.SALESFORCE]
    assert [len(send) for send in queue.sends] == [10, 10, 3]
    sent = [request for send in queue.sends for request in send]
    assert {r.connection_id for r in sent} == org_ids(23)
    assert {(r.collect, r.planned_at) for r in sent} == {("usage_files", NOW)}
    assert plan.not_sent == ["sf-04"]
    assert plan.summary() == {"queued": 22, "not_sent": 1, "not_queued": 0}


def test_what_the_deadline_leaves_is_counted_not_queued() -> None:
    remaining = iter([60_000])  # time for one send, then the deadline's margin
    queue = FakeQueue()

    plan = plan_collection(
        FakeConnections(org_ids(15)), queue, Deadline(lambda: next(remaining, 0)), clock=lambda: NOW
    )

    assert len(queue.sends) == 1
    assert plan.summary() == {"queued": 10, "not_sent": 0, "not_queued": 5}


class FakeCollector:
    def __init__(self, statuses: dict[str, CollectStatus], error: Exception | None = None) -> None:
        self.statuses = statuses
        self.error = error
        self.asked: list[list[str] | None] = []

    def run(
        self, connection_ids: list[str] | None = None, deadline: Deadline | None = None
    ) -> list[Collected]:
        self.asked.append(connection_ids)
        if self.error:
            raise self.error
        return [
            Collected(connection_id=cid, day=YESTERDAY, status=status)
            for cid, status in self.statuses.items()
        ]


def request(connection_id: str) -> CollectRequest:
    return CollectRequest(collect="usage_files", connection_id=connection_id, planned_at=NOW)


def test_only_a_failed_collection_is_retried() -> None:
    collector = FakeCollector(
        {
            "sf-a": CollectStatus.COLLECTED,
            "sf-b": CollectStatus.FAILED,
            "sf-c": CollectStatus.UNAVAILABLE,  # an answer: retrying changes nothing
            "sf-d": CollectStatus.NOT_SPENT,
        }
    )
    requests = [request(cid) for cid in ("sf-a", "sf-b", "sf-c", "sf-d", "sf-b")]

    outcome = collect_batch(requests, collector, Deadline())

    assert collector.asked == [["sf-a", "sf-b", "sf-c", "sf-d"]]  # a copy collected once
    assert outcome.failed == ["sf-b"]


def test_a_batch_whose_collection_raises_is_retried_whole() -> None:
    collector = FakeCollector({}, error=RuntimeError("state table unreachable"))

    outcome = collect_batch([request("sf-b"), request("sf-a")], collector, Deadline())

    assert outcome.failed == ["sf-a", "sf-b"]


def test_an_empty_batch_collects_nothing() -> None:
    collector = FakeCollector({})

    assert collect_batch([], collector, Deadline()).failed == []
    assert collector.asked == []

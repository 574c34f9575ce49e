"""The planner's tick with small fakes: what is due goes out hot first, each once, and a hot
connection left unchecked is reported overdue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from apibrake.deadline import Deadline
from apibrake.fleet.planner import SEED_CHUNK, URGENT_LEASE, CheckPlanner
from apibrake.models.cadence import Temperature
from apibrake.models.fleet import CheckRequest
from apibrake.store.cadence import DueItem, epoch

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HOT, WARM, CALM = Temperature.HOT, Temperature.WARM, Temperature.CALM


class FakeIndex:
    def __init__(self, items: list[DueItem], held: frozenset[str] = frozenset()) -> None:
        self.items = items
        self.held = set(held)
        self.leased: list[str] = []
        self.ended: list[tuple[str, int]] = []
        self.seeded: list[str] = []
        self.sweep_released = False
        # What seed writes cost (a test's fake remaining time goes down).
        self.on_seed: Callable[[int], None] = lambda count: None

    def due(self, now: datetime) -> Iterator[DueItem]:
        return iter([item for item in self.items if item.due_at <= epoch(now)])

    def lease(self, item: DueItem, until: datetime, now: datetime) -> int | None:
        if item.connection_id in self.held:
            return None
        self.held.add(item.connection_id)
        self.leased.append(item.connection_id)
        return epoch(until)

    def end_lease(self, connection_id: str, token: int) -> bool:
        self.held.discard(connection_id)
        self.ended.append((connection_id, token))
        return True

    def connection_ids(self) -> set[str]:
        return {item.connection_id for item in self.items}

    def claim_sweep(self, now: datetime, every: timedelta) -> bool:
        claimed, self.sweep_released = self.sweep_released, False  # free once released
        return claimed

    def release_sweep(self) -> None:
        self.sweep_released = True

    def seed(self, connection_ids: list[str], *, now: datetime) -> list[str]:
        self.on_seed(len(connection_ids))
        self.seeded += connection_ids
        self.items += [DueItem(cid, epoch(now), CALM) for cid in connection_ids]
        return list(connection_ids)

    def drop(self, connection_ids: list[str]) -> None:
        pass


class FakeConnections:
    def __init__(self, enabled: set[str] | None = None) -> None:
        self.enabled = enabled or set()

    def enabled_ids(self) -> set[str]:
        return set(self.enabled)


class FakeQueues:
    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.sent: list[tuple[bool, list[CheckRequest]]] = []
        self.refuse = refuse

    def send(self, requests: list[CheckRequest], *, urgent: bool) -> list[str]:
        self.sent.append((urgent, requests))
        return [r.connection_id for r in requests if r.connection_id in self.refuse]


def item(cid: str, heat: Temperature, due_minutes_ago: float) -> DueItem:
    return DueItem(cid, epoch(NOW - timedelta(minutes=due_minutes_ago)), heat)


def planner(
    index: FakeIndex, queues: FakeQueues, connections: FakeConnections | None = None
) -> CheckPlanner:
    return CheckPlanner(
        index=index, connections=connections or FakeConnections(), queues=queues, clock=lambda: NOW
    )


def test_hot_and_warm_go_to_the_urgent_queue_first_the_longest_waiting_first() -> None:
    index = FakeIndex(
        [
            item("calm-old", CALM, 30),
            item("warm", WARM, 1),
            item("hot-new", HOT, 0),
            item("hot-old", HOT, 0.5),
            item("later", CALM, -5),  # due in 5 minutes
        ]
    )
    queues = FakeQueues()
    report = planner(index, queues).tick(sweep=False)
    assert [(urgent, [r.connection_id for r in rs]) for urgent, rs in queues.sent] == [
        (True, ["hot-old", "hot-new", "warm"]),
        (False, ["calm-old"]),
    ]
    assert report.urgent == ["hot-old", "hot-new", "warm"]
    assert report.normal == ["calm-old"]
    assert index.leased[:3] == ["hot-old", "hot-new", "warm"]


@pytest.mark.parametrize(
    ("name", "heat", "due_minutes_ago", "overdue"),
    [
        ("hot, due now", HOT, 0, False),
        ("hot, a tick and a half late", HOT, 1.5, False),
        ("hot, two ticks late", HOT, 2, True),
        ("warm, long late", WARM, 30, False),  # the promise is the hot connections'
    ],
)
def test_only_hot_connections_late_by_more_than_a_tick_are_overdue(
    name: str, heat: Temperature, due_minutes_ago: float, overdue: bool
) -> None:
    report = planner(FakeIndex([item("c", heat, due_minutes_ago)]), FakeQueues()).tick(sweep=False)
    assert (report.overdue == ["c"]) is overdue, name


def test_a_connection_leased_by_an_overlapping_tick_is_not_sent_again() -> None:
    index = FakeIndex([item("a", HOT, 0), item("b", CALM, 0)], held=frozenset({"a"}))
    queues = FakeQueues()
    report = planner(index, queues).tick(sweep=False)
    assert report.held_elsewhere == 1
    assert report.urgent == []
    assert report.normal == ["b"]


def test_what_sqs_refuses_is_reported_not_sent_and_its_lease_ends() -> None:
    queues = FakeQueues(refuse=frozenset({"a"}))
    index = FakeIndex([item("a", HOT, 0), item("b", HOT, 0)])
    report = planner(index, queues).tick(sweep=False)
    assert report.not_sent == ["a"]
    assert report.urgent == ["b"]
    # the lease ends (no check is coming), so the next tick sends it, not one 2 minutes on
    assert index.ended == [("a", epoch(NOW + URGENT_LEASE))]
    queues.refuse = frozenset()
    assert planner(index, queues).tick(sweep=False).urgent == ["a"]


def test_past_the_deadline_nothing_more_is_leased() -> None:
    index = FakeIndex([item("a", HOT, 0), item("b", CALM, 0)])
    spent = Deadline(lambda: 0)
    report = planner(index, FakeQueues()).tick(spent, sweep=False)
    assert report.not_leased == 2
    assert index.leased == []


def test_a_live_lease_seen_in_the_read_costs_no_write() -> None:
    leased = DueItem("a", epoch(NOW), HOT, lease_until=epoch(NOW + timedelta(minutes=1)))
    ended = DueItem("b", epoch(NOW), HOT, lease_until=epoch(NOW - timedelta(minutes=1)))
    index = FakeIndex([leased, ended])
    report = planner(index, FakeQueues()).tick(sweep=False)
    assert index.leased == ["b"]  # the ended lease is taken over
    assert report.held_elsewhere == 1


def test_seeding_comes_after_what_is_due_and_stops_at_the_deadline() -> None:
    # Given a hot connection due, and (after an upgrade) 1,000 connections to seed, each
    # seed write taking 0.1 s of a tick with 20 s left before the deadline's margin
    index = FakeIndex([item("hot", HOT, 0)])
    enabled = {f"c{n:04}" for n in range(1000)} | {"hot"}
    left_ms = [30_000]

    def spend(count: int) -> None:
        left_ms[0] -= 100 * count

    index.on_seed = spend
    deadline = Deadline(lambda: left_ms[0])
    queues = FakeQueues()
    # When the planner ticks and sweeps
    report = planner(index, queues, FakeConnections(enabled)).tick(deadline, sweep=True)
    # Then the hot connection is queued, and seeding stopped at the deadline
    assert report.urgent == ["hot"]
    assert 0 < report.seeded < 1000
    assert report.seeded % SEED_CHUNK == 0
    assert report.seeded + report.not_seeded == 1000
    # and the rest waits for the next tick, which sweeps again
    assert index.sweep_released
    left_ms[0] = 1_000_000
    later = planner(index, queues, FakeConnections(enabled)).tick(Deadline(lambda: left_ms[0]))
    assert later.seeded == report.not_seeded
    assert sorted(index.seeded) == sorted(enabled - {"hot"})
    assert not index.sweep_released


def test_connections_seeded_on_a_tick_are_queued_on_it() -> None:
    index = FakeIndex([])
    report = planner(index, FakeQueues(), FakeConnections({"a", "b"})).tick(sweep=True)
    assert report.seeded == 2
    assert sorted(report.normal) == ["a", "b"]

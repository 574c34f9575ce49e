"""The worker's bookkeeping around the monitor's check, with small fakes: stale copies
skipped, deleted connections dropped, leases given back, a raising check failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apibrake.deadline import Deadline
from apibrake.fleet.worker import BatchState, CheckWorker
from apibrake.models.cadence import CadenceState, Temperature
from apibrake.models.connection import Connection
from apibrake.models.fleet import CheckRequest
from apibrake.models.reports import ConnectionFailure, FailureCode
from apibrake.store.cadence import IndexedState
from apibrake.watch.report import ConnectionCheck, MonitorReport

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class FakeIndex:
    def __init__(self, leases: dict[str, int]) -> None:
        self.leases = leases
        self.ended: list[str] = []
        self.dropped: list[str] = []

    def states_of(self, connection_ids: list[str]) -> dict[str, IndexedState]:
        return {
            cid: IndexedState(CadenceState(cid, None, Temperature.CALM), self.leases[cid])
            for cid in connection_ids
            if cid in self.leases
        }

    def end_lease(self, connection_id: str, token: int) -> bool:
        self.ended.append(connection_id)
        return True

    def drop(self, connection_ids: list[str]) -> None:
        self.dropped += connection_ids


class FakeConnections:
    def __init__(self, present: set[str]) -> None:
        self.present = present

    def load(
        self, connection_ids: list[str] | None = None, *, include_disabled: bool = False
    ) -> tuple[list[Connection], list[ConnectionFailure]]:
        found = [
            Connection(connection_id=c, platform="hubspot", secret_id=f"apibrake/{c}")
            for c in connection_ids or []
            if c in self.present
        ]
        missing = [
            ConnectionFailure(
                connection_id=c, code=FailureCode.NOT_FOUND, field="connection_id", error="gone"
            )
            for c in connection_ids or []
            if c not in self.present
        ]
        return found, missing


class FakeState(BatchState):
    def __init__(self, states: dict[str, CadenceState]) -> None:  # no table behind it
        self._batch_states = states
        self.written: set[str] = set()


class FakeMonitor:
    def __init__(self, state: FakeState, writes: set[str], raises: bool = False) -> None:
        self.state, self.writes, self.raises = state, writes, raises
        self.checked: list[str] = []

    def run(
        self,
        connection_ids: list[str] | None = None,
        deadline: Deadline | None = None,
        *,
        scheduled: bool = False,
    ) -> MonitorReport:
        if self.raises:
            raise RuntimeError("state table unreachable")
        self.checked = list(connection_ids or [])
        self.state.written |= self.writes & set(self.checked)
        rows = [ConnectionCheck(connection_id=c) for c in self.checked]
        return MonitorReport(checked_at=NOW, connections=rows)


def request(cid: str, lease: int) -> CheckRequest:
    return CheckRequest(
        connection_id=cid,
        lease=lease,
        urgent=True,
        planned_at=NOW,
        due_since=NOW - timedelta(seconds=5),
    )


def run(
    requests: list[CheckRequest],
    index: FakeIndex,
    present: set[str],
    writes: set[str],
    raises: bool = False,
) -> tuple[Any, list[FakeMonitor]]:
    monitors: list[FakeMonitor] = []

    def monitor(connections: Any, state: Any) -> FakeMonitor:
        made = FakeMonitor(state, writes, raises)
        monitors.append(made)
        return made

    worker = CheckWorker(
        index=index,
        connections=FakeConnections(present),
        monitor=monitor,
        state=FakeState,
        clock=lambda: NOW,
    )
    return worker.run(requests), monitors


def test_a_stale_copy_is_skipped_and_the_current_one_checked() -> None:
    index = FakeIndex({"a": 200, "b": 300})
    outcome, monitors = run([request("a", 100), request("b", 300)], index, {"a", "b"}, {"b"})
    assert outcome.stale == ["a"]
    assert monitors[0].checked == ["b"]
    assert outcome.delays == {"b": 5.0}


def test_a_deleted_connection_leaves_the_index_unchecked() -> None:
    index = FakeIndex({"gone": 100, "here": 100})
    outcome, monitors = run([request("gone", 100), request("here", 100)], index, {"here"}, {"here"})
    assert index.dropped == ["gone"]
    assert monitors[0].checked == ["here"]
    assert outcome.dropped == ["gone"]


def test_a_check_that_wrote_no_state_gives_its_lease_back() -> None:
    index = FakeIndex({"ok": 100, "erred": 100})
    outcome, _ = run([request("ok", 100), request("erred", 100)], index, {"ok", "erred"}, {"ok"})
    assert outcome.released == ["erred"]
    assert index.ended == ["erred"]
    assert outcome.failed == []


def test_a_check_that_raises_fails_its_batch_and_keeps_the_leases() -> None:
    index = FakeIndex({"a": 100})
    outcome, _ = run([request("a", 100)], index, {"a"}, set(), raises=True)
    assert outcome.failed == ["a"]
    assert index.ended == []


def test_of_two_copies_for_one_connection_the_one_holding_the_lease_is_checked() -> None:
    # Given a batch holding the current request for "a" and, after it, a stale copy
    index = FakeIndex({"a": 200})
    for batch in ([request("a", 200), request("a", 100)], [request("a", 100), request("a", 200)]):
        # When the worker runs it, whatever the order
        outcome, monitors = run(batch, index, {"a"}, {"a"})
        # Then the current one is checked, not skipped as stale
        assert monitors[0].checked == ["a"]
        assert outcome.stale == []


def test_a_connection_whose_copies_all_lost_their_lease_is_stale() -> None:
    index = FakeIndex({"a": 300})
    outcome, monitors = run([request("a", 100), request("a", 200)], index, {"a"}, {"a"})
    assert outcome.stale == ["a"]
    assert monitors == []

"""The worker: checks the connections of one batch of check requests with the monitor's
own check (watch/monitor.py), reading and writing only those connections' items.

- A request whose lease the cadence item no longer holds is a stale copy (SQS delivers at
  least once, docs/platform-notes.md W2; a newer lease exists): skipped.
- A connection deleted or disabled since it was leased leaves the due index.
- A check that did not happen (a platform error, the deadline) gives its lease back, so the
  next tick sends it again, as the in-process tick checks it again on its next tick.
- Only a batch whose check raised is reported failed (SQS retries it, then dead-letters).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apibrake.deadline import Deadline
from apibrake.models.cadence import CadenceState
from apibrake.models.connection import Connection
from apibrake.models.fleet import CheckRequest
from apibrake.models.reports import ConnectionFailure, FailureCode
from apibrake.store.cadence import IndexedState
from apibrake.store.state import StateStore
from apibrake.watch.ports import ConnectionSource, ReadingStore
from apibrake.watch.report import MonitorReport

logger = logging.getLogger(__name__)


class BatchIndex(Protocol):
    def states_of(self, connection_ids: list[str]) -> dict[str, IndexedState]: ...

    def end_lease(self, connection_id: str, token: int) -> bool: ...

    def drop(self, connection_ids: list[str]) -> None: ...


class Monitor(Protocol):
    def run(
        self,
        connection_ids: list[str] | None = None,
        deadline: Deadline | None = None,
        *,
        scheduled: bool = False,
    ) -> MonitorReport: ...


class BatchConnections:
    """The monitor's connection source for one batch: what the worker already loaded."""

    def __init__(self, connections: list[Connection], failures: list[ConnectionFailure]) -> None:
        self._connections = connections
        self._failures = failures

    def load(
        self, connection_ids: list[str] | None = None, *, include_disabled: bool = False
    ) -> tuple[list[Connection], list[ConnectionFailure]]:
        return list(self._connections), list(self._failures)


class BatchState(StateStore):
    """The state table for one batch: the cadence states are the batch's (read once, by
    key), and the worker learns which ones the check wrote."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        reading_ttl: timedelta,
        states: dict[str, CadenceState],
    ) -> None:
        super().__init__(dynamodb, table_name, reading_ttl=reading_ttl)
        self._batch_states = states
        self.written: set[str] = set()

    def cadence_states(self) -> dict[str, CadenceState]:
        return dict(self._batch_states)

    def put_cadence_states(self, states: list[CadenceState], *, now: datetime) -> None:
        super().put_cadence_states(states, now=now)
        self.written.update(state.connection_id for state in states)


@dataclass
class BatchOutcome:
    report: MonitorReport | None = None
    stale: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)  # leases given back: due next tick
    failed: list[str] = field(default_factory=list)  # SQS retries these
    # Seconds from when each connection was due to when its check started.
    delays: dict[str, float] = field(default_factory=dict)


class ConnectionLoader(Protocol):
    def load(
        self, connection_ids: list[str] | None = None, *, include_disabled: bool = False
    ) -> tuple[list[Connection], list[ConnectionFailure]]: ...


class CheckWorker:
    def __init__(
        self,
        *,
        index: BatchIndex,
        connections: ConnectionLoader,
        monitor: Callable[[ConnectionSource, ReadingStore], Monitor],
        state: Callable[[dict[str, CadenceState]], BatchState],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._index = index
        self._connections = connections
        self._monitor = monitor
        self._state = state
        self._clock = clock

    def run(self, requests: list[CheckRequest], deadline: Deadline | None = None) -> BatchOutcome:
        outcome = BatchOutcome()
        current, indexed = self._current(requests, outcome)
        if not current:
            return outcome
        connections, invalid = self._load(list(current), outcome)
        checked = [c.connection_id for c in connections] + [f.connection_id for f in invalid]
        if not checked:
            return outcome
        state = self._state({cid: indexed[cid].state for cid in checked})
        started = self._clock()
        outcome.delays = {
            cid: max(0.0, (started - current[cid].due_since).total_seconds()) for cid in checked
        }
        try:
            monitor = self._monitor(BatchConnections(connections, invalid), state)
            outcome.report = monitor.run(checked, deadline, scheduled=False)
        except Exception:
            # Leases kept: SQS delivers these requests again and they still match.
            logger.exception("batch check failed", extra={"connections": checked})
            outcome.failed = checked
            return outcome
        unwritten = [cid for cid in checked if cid not in state.written]
        outcome.released = [
            cid for cid in unwritten if self._index.end_lease(cid, current[cid].lease)
        ]
        return outcome

    def _current(
        self, requests: list[CheckRequest], outcome: BatchOutcome
    ) -> tuple[dict[str, CheckRequest], dict[str, IndexedState]]:
        """The requests whose lease the cadence item still holds; the rest are stale. Of
        two copies for one connection in a batch (SQS delivers at least once), the one
        holding the lease is kept whatever their order: a stale copy never hides it."""
        asked = list(dict.fromkeys(request.connection_id for request in requests))
        indexed = self._index.states_of(asked)
        current = {
            request.connection_id: request
            for request in requests
            if request.connection_id in indexed
            and indexed[request.connection_id].lease_until == request.lease
        }
        outcome.stale = sorted(set(asked) - set(current))
        return current, indexed

    def _load(
        self, connection_ids: list[str], outcome: BatchOutcome
    ) -> tuple[list[Connection], list[ConnectionFailure]]:
        """The connections to check, and the items that do not validate (the monitor
        reports them); deleted or disabled ones leave the index."""
        connections, failures = self._connections.load(connection_ids)
        outcome.dropped = sorted(
            f.connection_id for f in failures if f.code is FailureCode.NOT_FOUND
        )
        if outcome.dropped:
            self._index.drop(outcome.dropped)
        return connections, [f for f in failures if f.code is not FailureCode.NOT_FOUND]

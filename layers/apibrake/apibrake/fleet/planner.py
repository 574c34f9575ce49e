"""The planner: one tick reads the due index, leases each due connection (a conditional
write, so overlapping ticks never send one twice) and queues it, hot first.

Cost per tick: one query per cadence shard for what is due, one conditional write per due
connection, one SendMessageBatch per ten; never a read of every connection, except the
sweep once every SWEEP_EVERY (5 minutes), which adds never-checked connections to the index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apibrake.deadline import Deadline
from apibrake.models.cadence import Temperature
from apibrake.models.fleet import CheckRequest
from apibrake.store.cadence import DueItem
from apibrake.watch.cadence import TICK, TICK_SLACK

logger = logging.getLogger(__name__)

# A lease outlives a worker's run (its 50 s timeout) and an urgent queue's usual wait; a
# check that never happens makes the connection due again when its lease ends.
URGENT_LEASE = timedelta(minutes=2)
# Calm requests may wait behind the normal queue's concurrency cap.
NORMAL_LEASE = timedelta(minutes=10)
SWEEP_EVERY = timedelta(minutes=5)
LEASE_THREADS = 16
_RANK = {Temperature.HOT: 0, Temperature.WARM: 1, Temperature.CALM: 2}


class DueIndex(Protocol):
    def due(self, now: datetime) -> Iterator[DueItem]: ...

    def lease(self, item: DueItem, until: datetime, now: datetime) -> int | None: ...

    def connection_ids(self) -> set[str]: ...

    def claim_sweep(self, now: datetime, every: timedelta) -> bool: ...

    def seed(self, connection_ids: list[str], *, now: datetime) -> int: ...

    def drop(self, connection_ids: list[str]) -> None: ...


class ConnectionIds(Protocol):
    def enabled_ids(self) -> set[str]: ...


class CheckQueues(Protocol):
    def send(self, requests: list[CheckRequest], *, urgent: bool) -> list[str]:
        """Sends; the connection ids it could not send."""
        ...


@dataclass
class PlanReport:
    planned_at: datetime
    due: int = 0
    urgent: list[str] = field(default_factory=list)
    normal: list[str] = field(default_factory=list)
    held_elsewhere: int = 0  # leased by an overlapping tick
    not_sent: list[str] = field(default_factory=list)
    not_leased: int = 0  # the deadline came first: due on the next tick
    overdue: list[str] = field(default_factory=list)
    seeded: int = 0
    dropped: int = 0
    urgent_sent_s: float = 0.0  # from the tick's start to its urgent requests sent

    def summary(self) -> dict[str, int]:
        return {
            "due": self.due,
            "urgent": len(self.urgent),
            "normal": len(self.normal),
            "held_elsewhere": self.held_elsewhere,
            "not_sent": len(self.not_sent),
            "not_leased": self.not_leased,
            "overdue": len(self.overdue),
            "seeded": self.seeded,
            "dropped": self.dropped,
        }


class CheckPlanner:
    def __init__(
        self,
        *,
        index: DueIndex,
        connections: ConnectionIds,
        queues: CheckQueues,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._index = index
        self._connections = connections
        self._queues = queues
        self._clock = clock

    def tick(self, deadline: Deadline | None = None, *, sweep: bool | None = None) -> PlanReport:
        """`sweep`: None sweeps once every SWEEP_EVERY (the first tick of a stack too)."""
        deadline = deadline or Deadline()
        now = self._clock()
        report = PlanReport(planned_at=now)
        if sweep if sweep is not None else self._index.claim_sweep(now, SWEEP_EVERY):
            report.seeded, report.dropped = self._sweep(now)
        # A tick fires somewhere within its minute: what is due within half a tick is due.
        due = sorted(self._index.due(now + TICK_SLACK), key=_urgency)
        report.due = len(due)
        report.overdue = sorted(
            item.connection_id
            for item in due
            if item.temperature is Temperature.HOT and now - _at(item.due_at) > TICK + TICK_SLACK
        )
        # Hot and warm ones leased and on their queue before the calm ones are leased.
        for urgent in (True, False):
            batch = [item for item in due if (item.temperature is not Temperature.CALM) is urgent]
            requests = self._lease(batch, now, deadline, report)
            if requests:
                failed = self._queues.send(requests, urgent=urgent)
                sent = [r.connection_id for r in requests if r.connection_id not in set(failed)]
                (report.urgent if urgent else report.normal).extend(sent)
                report.not_sent += failed
            if urgent:
                report.urgent_sent_s = (self._clock() - now).total_seconds()
        if report.overdue:
            logger.warning("hot connections checked late", extra={"overdue": report.overdue})
        return report

    def _lease(
        self, due: list[DueItem], now: datetime, deadline: Deadline, report: PlanReport
    ) -> list[CheckRequest]:
        """Leases in order (hot first), several at a time; once the deadline has no time
        left, the rest waits for the next tick."""

        def lease(item: DueItem) -> CheckRequest | str:
            if item.leased_at(now):
                return "held"  # seen in the read: no write spent on it
            if not deadline.has_time():
                return "deadline"
            urgent = item.temperature is not Temperature.CALM
            until = now + (URGENT_LEASE if urgent else NORMAL_LEASE)
            token = self._index.lease(item, until, now)
            if token is None:
                return "held"
            return CheckRequest(
                connection_id=item.connection_id,
                lease=token,
                urgent=urgent,
                planned_at=now,
                due_since=_at(item.due_at),
            )

        with ThreadPoolExecutor(LEASE_THREADS) as pool:
            outcomes = list(pool.map(lease, due))
        report.not_leased += outcomes.count("deadline")
        report.held_elsewhere += outcomes.count("held")
        return [outcome for outcome in outcomes if isinstance(outcome, CheckRequest)]

    def _sweep(self, now: datetime) -> tuple[int, int]:
        """Enabled connections without a cadence item join the index; items of connections
        deleted or disabled leave it."""
        enabled = self._connections.enabled_ids()
        indexed = self._index.connection_ids()
        gone = sorted(indexed - enabled)
        if gone:
            self._index.drop(gone)
        return self._index.seed(sorted(enabled - indexed), now=now), len(gone)


def _urgency(item: DueItem) -> tuple[int, int]:
    """Hot first, then warm, then calm; within each the longest waiting first."""
    return (_RANK[item.temperature], item.due_at)


def _at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)

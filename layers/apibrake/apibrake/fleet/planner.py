"""The planner: one tick reads the due index, leases each due connection (a conditional
write, so overlapping ticks never send one twice) and queues it, hot first.

Cost per tick: one query per cadence shard for what is due, one conditional write per due
connection, one SendMessageBatch per ten; never a read of every connection, except the
sweep once every SWEEP_EVERY (5 minutes), which adds never-checked connections to the index.
The sweep comes after what is due is queued, and seeds only while the deadline allows (an
upgrade can leave every connection to seed): the rest waits for the next tick's sweep.
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
from apibrake.store.cadence import DueItem, epoch
from apibrake.watch.cadence import TICK, TICK_SLACK

logger = logging.getLogger(__name__)

# A lease outlives a worker's run (its 50 s timeout) and an urgent queue's usual wait; a
# check that never happens makes the connection due again when its lease ends.
URGENT_LEASE = timedelta(minutes=2)
# Calm requests may wait behind the normal queue's concurrency cap.
NORMAL_LEASE = timedelta(minutes=10)
SWEEP_EVERY = timedelta(minutes=5)
LEASE_THREADS = 16
# Seeds between deadline checks (the store writes them several at a time).
SEED_CHUNK = 64
_RANK = {Temperature.HOT: 0, Temperature.WARM: 1, Temperature.CALM: 2}


class DueIndex(Protocol):
    def due(self, now: datetime) -> Iterator[DueItem]: ...

    def lease(self, item: DueItem, until: datetime, now: datetime) -> int | None: ...

    def end_lease(self, connection_id: str, token: int) -> bool: ...

    def connection_ids(self) -> set[str]: ...

    def claim_sweep(self, now: datetime, every: timedelta) -> bool: ...

    def release_sweep(self) -> None: ...

    def seed(self, connection_ids: list[str], *, now: datetime) -> list[str]: ...

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
    not_seeded: int = 0  # the deadline came first: the next tick sweeps again
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
            "not_seeded": self.not_seeded,
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
        sweeping = sweep if sweep is not None else self._index.claim_sweep(now, SWEEP_EVERY)
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
            self._queue(batch, urgent, now, deadline, report)
            if urgent:
                report.urgent_sent_s = (self._clock() - now).total_seconds()
        if sweeping:
            # Never checked: calm and due now, so queued on this tick while time is left.
            seeded = self._sweep(now, deadline, report)
            fresh = [DueItem(cid, epoch(now), Temperature.CALM) for cid in seeded]
            self._queue(fresh, False, now, deadline, report)
        if report.overdue:
            logger.warning("hot connections checked late", extra={"overdue": report.overdue})
        return report

    def _queue(
        self,
        items: list[DueItem],
        urgent: bool,
        now: datetime,
        deadline: Deadline,
        report: PlanReport,
    ) -> None:
        requests = self._lease(items, now, deadline, report)
        if not requests:
            return
        failed = set(self._queues.send(requests, urgent=urgent))
        sent = [r.connection_id for r in requests if r.connection_id not in failed]
        (report.urgent if urgent else report.normal).extend(sent)
        not_sent = [r for r in requests if r.connection_id in failed]
        report.not_sent += [r.connection_id for r in not_sent]
        self._end_leases(not_sent)

    def _end_leases(self, requests: list[CheckRequest]) -> None:
        """A request SQS did not take is no check coming: its lease ends, so the next tick
        sends it again (a live lease would hide it for the lease's 2 or 10 minutes)."""

        def end(request: CheckRequest) -> None:
            try:
                self._index.end_lease(request.connection_id, request.lease)
            except Exception:  # the lease then ends at its time
                logger.exception("lease not ended", extra={"connection_id": request.connection_id})

        if requests:
            with ThreadPoolExecutor(LEASE_THREADS) as pool:
                list(pool.map(end, requests))

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

    def _sweep(self, now: datetime, deadline: Deadline, report: PlanReport) -> list[str]:
        """Enabled connections without a cadence item join the index, while the deadline
        allows (if it comes first, the next tick sweeps again); items of connections deleted
        or disabled leave it. The connections seeded."""
        enabled = self._connections.enabled_ids()
        indexed = self._index.connection_ids()
        gone = sorted(indexed - enabled)
        if gone:
            self._index.drop(gone)
        report.dropped = len(gone)
        missing = sorted(enabled - indexed)
        seeded: list[str] = []
        tried = 0
        while tried < len(missing) and deadline.has_time():
            chunk = missing[tried : tried + SEED_CHUNK]
            seeded += self._index.seed(chunk, now=now)
            tried += len(chunk)
        report.seeded = len(seeded)
        report.not_seeded = len(missing) - tried
        if report.not_seeded:
            self._index.release_sweep()
        return seeded


def _urgency(item: DueItem) -> tuple[int, int]:
    """Hot first, then warm, then calm; within each the longest waiting first."""
    return (_RANK[item.temperature], item.due_at)


def _at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)

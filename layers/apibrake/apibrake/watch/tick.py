"""What one monitor run checks: a scheduled tick only the connections whose cadence says
they are due (most urgent first), any other run all of them; and what it stores for the
next tick. Pure: the monitor reads and writes the state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from apibrake.models.cadence import CadenceState, Temperature
from apibrake.models.connection import Connection
from apibrake.models.reports import ConnectionFailure
from apibrake.watch import cadence
from apibrake.watch.cadence import Intervals
from apibrake.watch.report import ConnectionCheck

NOT_DUE = "not due: its cadence says when it is checked next"


@dataclass(frozen=True)
class TickPlan:
    """One run's split of the connections: due (most urgent first) or not."""

    due: list[Connection]
    not_due: list[ConnectionCheck]
    invalid: list[ConnectionFailure]
    states: dict[str, CadenceState]
    intervals: dict[str, Intervals]
    overdue: list[str]


def plan_tick(
    connections: list[Connection],
    failures: list[ConnectionFailure],
    states: dict[str, CadenceState],
    now: datetime,
    *,
    scheduled: bool,
) -> TickPlan:
    intervals = {c.connection_id: Intervals.of(c) for c in connections}
    intervals.update({f.connection_id: Intervals.of(None) for f in failures})
    overdue = sorted(
        cid
        for cid, interval in intervals.items()
        if cadence.overdue_minutes(states.get(cid), interval, now) is not None
    )

    def due(cid: str) -> bool:
        return not scheduled or cadence.is_due(states.get(cid), intervals[cid], now)

    ready = [c for c in connections if due(c.connection_id)]
    ready.sort(
        key=lambda c: cadence.urgency(states.get(c.connection_id), intervals[c.connection_id], now)
    )
    waiting = [
        not_due_row(c, states.get(c.connection_id), intervals[c.connection_id])
        for c in connections
        if not due(c.connection_id)
    ]
    return TickPlan(
        due=ready,
        not_due=waiting,
        invalid=[f for f in failures if due(f.connection_id)],
        states=states,
        intervals=intervals,
        overdue=overdue,
    )


def schedule_next(checks: list[ConnectionCheck], plan: TickPlan, checked_at: datetime) -> None:
    """Each checked row says when its cadence checks it next."""
    for check in checks:
        if check.temperature is not None and not check.not_due:
            interval = plan.intervals[check.connection_id].of_temperature(check.temperature)
            check.next_check_at = checked_at + interval


def next_state(check: ConnectionCheck, plan: TickPlan, checked_at: datetime) -> CadenceState | None:
    """None: keep the stored state (not checked, or a platform error: due next tick). The
    state carries when it is due next, for the fleet's due index."""
    state = _next_state(check, plan, checked_at)
    if state is None:
        return None
    due = cadence.next_check_at(state, plan.intervals[check.connection_id])
    return replace(state, due_at=due or state.deferred_until or checked_at)


def _next_state(
    check: ConnectionCheck, plan: TickPlan, checked_at: datetime
) -> CadenceState | None:
    cid = check.connection_id
    previous = plan.states.get(cid)
    if check.not_due or check.not_reached:
        return None
    if check.temperature is not None:
        return CadenceState(cid, checked_at, check.temperature)
    if check.platform is None:  # the item itself is invalid: reported at the calm cadence
        return CadenceState(cid, checked_at, Temperature.CALM)
    if check.error_field is not None:  # its secret: retrying sooner than its interval cannot help
        kept = previous or CadenceState(cid, None, Temperature.CALM)
        interval = plan.intervals[cid].of_temperature(kept.temperature)
        return replace(kept, deferred_until=checked_at + interval)
    return None


def not_due_row(
    connection: Connection, state: CadenceState | None, intervals: Intervals
) -> ConnectionCheck:
    return ConnectionCheck(
        connection_id=connection.connection_id,
        platform=connection.platform,
        not_due=True,
        temperature=state.temperature if state else None,
        next_check_at=cadence.next_check_at(state, intervals),
        note=NOT_DUE,
    )

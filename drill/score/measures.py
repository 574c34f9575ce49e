"""The score's measures, from a scenario's usage trace and its recording (pure: unit tests
build both by hand)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from drill.score.recorder import Recorded

LANDED = {"braked", "already_off"}
# The monitor's usage alerts (warn/rules.py); set-up notices and error alerts are not
# about the burn.
USAGE_ALERT_KEYS = ("forecast:", "warn:", "brake:", "limit:", "outside_reach")
DAY = timedelta(days=1)


@dataclass
class Trace:
    """Usage of each watched connection every simulated minute: (at, used, limit)."""

    samples: dict[str, list[tuple[datetime, int, int]]] = field(default_factory=dict)

    def add(self, connection_id: str, at: datetime, used: int, limit: int) -> None:
        self.samples.setdefault(connection_id, []).append((at, used, limit))

    def first(self, cid: str, percent: float) -> datetime | None:
        return next(
            (at for at, used, limit in self.samples.get(cid, []) if used >= limit * percent / 100),
            None,
        )

    def used_at(self, cid: str, moment: datetime) -> int:
        return max((used for at, used, _ in self.samples.get(cid, []) if at <= moment), default=0)

    def limit(self, cid: str) -> int:
        return max((limit for _, _, limit in self.samples.get(cid, [])), default=0)

    def peak_percent(self) -> float:
        return max(
            (used / limit * 100 for rows in self.samples.values() for _, used, limit in rows),
            default=0.0,
        )


@dataclass(frozen=True)
class PastBrakeAt:
    """What burned on one connection between crossing brake_at and the brake landing."""

    calls: int
    minutes: float
    percent_of_limit: float  # calls as % of the connection's daily limit


def landings(brakes: Iterable[Recorded], cid: str) -> list[datetime]:
    """When a brake landed on the connection: something of its own braked (or already
    off), or, in a run that braked it, a linked entry of another connection that drives it
    (a HubSpot workflow spending Salesforce's calls through the connector)."""
    return [
        record.at
        for record in brakes
        if any(
            row["status"] in LANDED
            and (row["connection_id"] == cid or cid in record.report.get("incidents", {}))
            for row in record.report.get("rows", [])
        )
    ]


def past_brake_at(
    trace: Trace, cid: str, brake_at: float, crossed: datetime, landed: datetime
) -> PastBrakeAt:
    """Usage over the brake_at line when the brake landed; a brake that landed ahead of the
    threshold (brake-ahead) let nothing burn past it."""
    if landed <= crossed:
        return PastBrakeAt(0, 0.0, 0.0)
    limit = trace.limit(cid)
    calls = max(trace.used_at(cid, landed) - round(limit * brake_at / 100), 0)
    return PastBrakeAt(
        calls,
        (landed - crossed).total_seconds() / 60,
        calls / limit * 100 if limit else 0.0,
    )


def brake_runs(brakes: Iterable[Recorded]) -> int:
    """incident_responder runs: in a scenario that should need none, each is a false brake."""
    return sum(1 for _ in brakes)


def watch_calls_per_day(
    checks: Iterable[Recorded], connection_ids: Sequence[str], span: timedelta
) -> float:
    """What the monitor spent on the busiest connection, per simulated day (platform calls
    that count against its limit, and token calls)."""
    spent = dict.fromkeys(connection_ids, 0)
    for record in checks:
        for row in record.report.get("connections", []):
            if row.get("connection_id") in spent:
                spent[row["connection_id"]] += row.get("api_calls", 0) + row.get("auth_calls", 0)
    if not spent or span <= timedelta(0):
        return 0.0
    return max(spent.values()) * (DAY / span)


def minutes_to_first_alert(checks: Iterable[Recorded], burn_start: datetime) -> float | None:
    """From the burn's start to the first usage alert a check sent after it; None: none."""
    for record in checks:
        if record.at < burn_start:
            continue
        rows = record.report.get("connections", [])
        if any(
            str(key).startswith(USAGE_ALERT_KEYS)
            for row in rows
            for key in row.get("alerts_sent", [])
        ):
            return (record.at - burn_start).total_seconds() / 60
    return None


class NextWindow(StrEnum):
    """Once an exhausted org is served again, does usage stay under 100 % for the rest of
    the run?"""

    YES = "yes"
    NO = "no"  # refused again
    STILL_REFUSED = "still refused"  # exhausted, and not served again before the run ended
    NOT_APPLICABLE = "n/a"  # never exhausted


def next_window(trace: Trace) -> NextWindow:
    """The worst connection's: after the first sample under 100 % that follows the first at
    or over it, does any sample reach 100 % again?"""
    verdicts = {_next_window(rows) for rows in trace.samples.values()}
    for worst_first in (NextWindow.NO, NextWindow.STILL_REFUSED, NextWindow.YES):
        if worst_first in verdicts:
            return worst_first
    return NextWindow.NOT_APPLICABLE


def _next_window(rows: Sequence[tuple[datetime, int, int]]) -> NextWindow:
    full = [used >= limit for _, used, limit in rows]
    if True not in full:
        return NextWindow.NOT_APPLICABLE
    exhausted = full.index(True)
    if False not in full[exhausted:]:
        return NextWindow.STILL_REFUSED
    served = full.index(False, exhausted)
    return NextWindow.NO if True in full[served:] else NextWindow.YES

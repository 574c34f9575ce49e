"""The tail: what the consumers kept spending after a brake landed.

Braking an automation stops new changes; the consumer still syncs the ones already made
(HubSpot's connector, a cycle or more: sandbox/salesforce/connector.py), so the burn goes on
after the brake. A workflow's custom code stops with the workflow. The tail runs from the
first landing to the first release (or the run's end), in calls of the
consumer that spends for the braked automations, and ends at its last spend: the flat line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from drill.score.recorder import Recorded


@dataclass
class ConsumerTrace:
    """Every minute, each connection's consumer total: the calls it ever spent."""

    samples: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)

    def add(self, connection_id: str, at: datetime, total: float) -> None:
        self.samples.setdefault(connection_id, []).append((at, total))


@dataclass(frozen=True)
class Tail:
    calls: int
    minutes_to_flat: float | None  # None: still spending when the run (or the brake) ended


def first_release(releases: Iterable[Recorded], after: datetime) -> datetime | None:
    """The first release after `after` that put anything back: from then on the consumer
    spends for automations running again, not for the brake's leftovers. (A linked entry's
    release may come in another connection's incident, so any connection's counts.)"""
    return next(
        (
            record.at
            for record in releases
            if record.at > after
            and any(row.get("status") == "released" for row in record.report.get("rows", []))
        ),
        None,
    )


def tail_after(samples: list[tuple[datetime, float]], landed: datetime, until: datetime) -> Tail:
    """Calls spent in (landed, until] and when the spending stopped."""
    window = [(at, total) for at, total in samples if at <= until]
    start = max((total for at, total in window if at <= landed), default=0.0)
    after = [(at, total) for at, total in window if at > landed]
    if not after:
        return Tail(0, 0.0)
    calls = after[-1][1] - start
    previous, last_spend = start, None
    for at, total in after:
        if total > previous + 1e-6:
            last_spend = at
        previous = total
    if last_spend is None:
        return Tail(0, 0.0)
    still_spending = last_spend == after[-1][0]
    minutes = (last_spend - landed).total_seconds() / 60
    return Tail(round(calls), None if still_spending else minutes)

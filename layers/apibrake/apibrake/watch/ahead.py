"""Brake ahead of the threshold: when usage, at a rate it has kept for two intervals in a
row, will cross the effective brake threshold before the next check plus the time a brake
takes to land, waiting for the crossing would let that much more burn. Pure.

The guard against false brakes is that both of the last two intervals (three readings,
each at least a minute apart) burn fast enough on their own to cross in time: a burst seen
in one interval only does not brake, nor does one too slow to reach the threshold before
the next check could see it and brake the ordinary way.

The tail: a brake stops the automations that change records, not the consumers that sync
them. The HubSpot connector still syncs the records already changed for a cycle or more
(docs/platform-notes.md S6), so calls go on after the brake lands. So
the brake also starts ahead when, braking only at the next check, the brake plus the tail
(`tail_minutes` more at the same rate) would reach the daily limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from apibrake.models.usage import UsageReading
from apibrake.watch.forecast import MIN_RATE_SPAN, since_last_reset

FULL = 100.0  # percent: the daily limit itself


@dataclass(frozen=True)
class BrakeAhead:
    """Why the brake starts before the threshold: what the alert and the brake say."""

    rate_per_hour: float  # the slower of the last two intervals' rates
    minutes_to_threshold: float  # at that rate
    look_ahead_minutes: float  # the next check plus the time a brake takes
    threshold: float  # percent, the effective brake threshold
    projected_percent: float  # where usage would be at the end of the look-ahead
    tail_minutes: float = 0.0  # how long consumers burn on after a brake lands
    # Where usage would peak, braking at the next check, with the tail; set when the tail,
    # not the threshold crossing, is why the brake starts now.
    peak_with_tail_percent: float | None = None
    # Braked between two hourly steps: `rate_per_hour` is the smallest of the last hours'
    # gains and `projected_percent` where the next step would take usage (watch/pace.py).
    hourly_steps: bool = False


def brake_ahead(
    readings: Sequence[UsageReading],
    *,
    threshold: float,
    look_ahead_minutes: float,
    now: datetime,
    resets: bool,
    tail_minutes: float = 0.0,
) -> BrakeAhead | None:
    """`readings`: one source's readings, the current one included (newest)."""
    ordered = sorted(
        {r.taken_at: r for r in readings if r.taken_at <= now}.values(), key=lambda r: r.taken_at
    )
    if resets:
        ordered = since_last_reset(ordered)
    three = _last_three(ordered)
    if three is None or any(reading.stale for reading in three):
        return None
    oldest, middle, newest = three
    rate = min(_rate(oldest, middle), _rate(middle, newest))
    target = newest.limit * threshold / 100.0
    if rate <= 0 or not newest.limit or newest.used >= target:
        return None  # not rising, or already over: the ordinary brake's case
    minutes = (target - newest.used) / rate * 60.0
    projected = (newest.used + rate * look_ahead_minutes / 60.0) / newest.limit * 100.0
    peak = (newest.used + rate * (look_ahead_minutes + tail_minutes) / 60.0) / newest.limit * 100
    tail_breaches = tail_minutes > 0 and peak >= FULL
    if minutes > look_ahead_minutes and not tail_breaches:
        return None
    return BrakeAhead(
        rate_per_hour=rate,
        minutes_to_threshold=minutes,
        look_ahead_minutes=look_ahead_minutes,
        threshold=threshold,
        projected_percent=projected,
        tail_minutes=tail_minutes,
        peak_with_tail_percent=peak if minutes > look_ahead_minutes else None,
    )


def _last_three(
    ordered: Sequence[UsageReading],
) -> tuple[UsageReading, UsageReading, UsageReading] | None:
    """The newest reading and the two before it, each at least MIN_RATE_SPAN older than
    the next (closer readings say more about lag than about rate)."""
    if not ordered:
        return None
    picked = [ordered[-1]]
    for reading in reversed(ordered[:-1]):
        if picked[-1].taken_at - reading.taken_at >= MIN_RATE_SPAN:
            picked.append(reading)
            if len(picked) == 3:
                newest, middle, oldest = picked
                return oldest, middle, newest
    return None


def _rate(earlier: UsageReading, later: UsageReading) -> float:
    hours = (later.taken_at - earlier.taken_at).total_seconds() / 3600.0
    return (later.used - earlier.used) / hours

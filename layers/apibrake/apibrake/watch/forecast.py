"""Burn rate and time-to-threshold from stored readings: pure functions, hand-checkable.

HubSpot's day resets at a known instant, so a forecast only counts if the threshold is
crossed before it. Salesforce's window rolls, so there is no reset: the net rate over
the recent window (new calls minus calls ageing out) is what drives the forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apibrake.models.usage import UsageReading

DEFAULT_RATE_WINDOW = timedelta(minutes=60)
MIN_RATE_SPAN = timedelta(minutes=1)  # closer readings say more about lag than about rate


def since_last_reset(readings: Sequence[UsageReading]) -> list[UsageReading]:
    """The readings after the last drop in usage (a daily reset), oldest first."""
    ordered = sorted(readings, key=lambda reading: reading.taken_at)
    start = 0
    for index in range(1, len(ordered)):
        if ordered[index].used < ordered[index - 1].used:
            start = index
    return ordered[start:]


def burn_rate_per_hour(
    readings: Sequence[UsageReading],
    *,
    now: datetime,
    window: timedelta = DEFAULT_RATE_WINDOW,
    resets: bool,
) -> float | None:
    """Calls per hour between the oldest and newest reading in `window` before `now`.

    None when fewer than two readings span at least a minute. With `resets` (HubSpot)
    readings from before a reset are ignored; without it (Salesforce) a falling usage
    gives a negative rate, which is the truth of a rolling window.
    """
    recent = sorted(
        (r for r in readings if now - window <= r.taken_at <= now), key=lambda r: r.taken_at
    )
    if resets:
        recent = since_last_reset(recent)
    if len(recent) < 2:
        return None
    first, last = recent[0], recent[-1]
    span = last.taken_at - first.taken_at
    if span < MIN_RATE_SPAN:
        return None
    return (last.used - first.used) / (span.total_seconds() / 3600.0)


def minutes_until(target_used: float, used: int, rate_per_hour: float | None) -> float | None:
    """Minutes until usage reaches `target_used` at this rate: 0 if already there, None if
    never (no rate, or usage is flat or falling)."""
    if used >= target_used:
        return 0.0
    if rate_per_hour is None or rate_per_hour <= 0:
        return None
    return (target_used - used) / rate_per_hour * 60.0


@dataclass(frozen=True)
class Forecast:
    used: int
    limit: int
    percent: float
    burn_rate_per_hour: float | None
    minutes_to_brake: float | None  # None: not reached (before the reset, if there is one)
    minutes_to_exhaustion: float | None
    resets_at: datetime | None  # None: rolling window
    minutes_to_reset: float | None

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


def forecast(
    current: UsageReading,
    history: Sequence[UsageReading],
    *,
    now: datetime,
    brake_at: float,
    resets_at: datetime | None,
    window: timedelta = DEFAULT_RATE_WINDOW,
) -> Forecast:
    """Where `current` is heading. `history` may include `current`; `resets_at` None means
    a rolling window (Salesforce)."""
    series = [*history, current]
    rate = burn_rate_per_hour(series, now=now, window=window, resets=resets_at is not None)
    minutes_to_reset = (
        max((resets_at - now).total_seconds() / 60.0, 0.0) if resets_at is not None else None
    )

    def before_reset(minutes: float | None) -> float | None:
        if minutes is None or minutes_to_reset is None or minutes <= minutes_to_reset:
            return minutes
        return None

    limit = current.limit
    return Forecast(
        used=current.used,
        limit=limit,
        percent=current.percent,
        burn_rate_per_hour=rate,
        minutes_to_brake=before_reset(minutes_until(limit * brake_at / 100.0, current.used, rate))
        if limit
        else None,
        minutes_to_exhaustion=before_reset(minutes_until(limit, current.used, rate))
        if limit
        else None,
        resets_at=resets_at,
        minutes_to_reset=minutes_to_reset,
    )


def rate_since_last_check(
    readings: Sequence[UsageReading], *, now: datetime, resets: bool
) -> float | None:
    """Calls per hour between the newest reading and the one before it at least a minute
    older: what is burning right now (after a brake, only what the brake did not stop)."""
    ordered = sorted((r for r in readings if r.taken_at <= now), key=lambda r: r.taken_at)
    if resets:
        ordered = since_last_reset(ordered)
    if not ordered:
        return None
    last = ordered[-1]
    earlier = [r for r in ordered if last.taken_at - r.taken_at >= MIN_RATE_SPAN]
    if not earlier:
        return None
    previous = earlier[-1]
    hours = (last.taken_at - previous.taken_at).total_seconds() / 3600.0
    return (last.used - previous.used) / hours

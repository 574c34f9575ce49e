"""Adaptive cadence: the schedule ticks every minute and each connection decides, from
its own last check, whether this tick is due. Pure functions.

- calm: below the first `warn_at` and no breach forecast within the horizon
  (`check_calm_minutes`, default 15);
- warm: above the first `warn_at`, or a breach forecast within the horizon
  (`check_warm_minutes`, 5);
- hot: within HOT_WITHIN_POINTS of the effective brake threshold, or forecast to reach it
  within HOT_FORECAST_MINUTES, at the hour's rate or at the rate since the last check
  (`check_hot_minutes`, 1). Over the threshold (braked, or about to be) a connection stays
  hot only while usage still heads for 100 % within the horizon, else it is warm: minute
  checks of a flat, braked connection would only spend the reserve kept for the brake.

A check that was due and did not happen (a missed tick, the deadline, a platform error)
leaves the stored state as it was, so the connection is still due on the next tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apibrake.models.cadence import CadenceState, Temperature
from apibrake.models.connection import Connection
from apibrake.watch.forecast import Forecast, minutes_until

HOT_WITHIN_POINTS = 3.0  # percentage points below the effective brake threshold
HOT_FORECAST_MINUTES = 30.0
TICK = timedelta(minutes=1)  # the template's CheckSchedule
# A scheduled tick fires somewhere within its minute: half a tick of leeway keeps a check
# taken at 12:00:05 due at 12:01:03.
TICK_SLACK = timedelta(seconds=30)
_DEFAULTS = Connection.model_fields


@dataclass(frozen=True)
class Intervals:
    hot: timedelta
    warm: timedelta
    calm: timedelta

    @classmethod
    def of(cls, connection: Connection | None) -> Intervals:
        """The connection's own; an item that does not validate gets the defaults."""
        if connection is None:
            return cls(
                *(
                    timedelta(minutes=_DEFAULTS[f"check_{name}_minutes"].default)
                    for name in ("hot", "warm", "calm")
                )
            )
        return cls(
            hot=timedelta(minutes=connection.check_hot_minutes),
            warm=timedelta(minutes=connection.check_warm_minutes),
            calm=timedelta(minutes=connection.check_calm_minutes),
        )

    def of_temperature(self, temperature: Temperature) -> timedelta:
        return {
            Temperature.HOT: self.hot,
            Temperature.WARM: self.warm,
            Temperature.CALM: self.calm,
        }[temperature]


def temperature(
    connection: Connection,
    outlook: Forecast,
    *,
    rate_now_per_hour: float | None,
    horizon_minutes: float,
) -> Temperature:
    threshold = connection.effective_brake_at
    if outlook.percent >= threshold:
        exhaustion = outlook.minutes_to_exhaustion
        if exhaustion is not None and exhaustion <= horizon_minutes:
            return Temperature.HOT
        return Temperature.WARM
    to_brake = _soonest(
        outlook.minutes_to_brake,
        minutes_until(outlook.limit * threshold / 100.0, outlook.used, rate_now_per_hour),
        outlook.minutes_to_reset,
    )
    if outlook.percent >= threshold - HOT_WITHIN_POINTS:
        return Temperature.HOT
    if to_brake is not None and to_brake <= HOT_FORECAST_MINUTES:
        return Temperature.HOT
    first_warning = min(connection.warn_at, default=threshold)
    if outlook.percent >= first_warning or (to_brake is not None and to_brake <= horizon_minutes):
        return Temperature.WARM
    return Temperature.CALM


def _soonest(
    hour_rate: float | None, rate_now: float | None, to_reset: float | None
) -> float | None:
    """The sooner of the two forecasts; a breach after the reset (HubSpot) is no breach."""
    found = [m for m in (hour_rate, rate_now) if m is not None]
    if to_reset is not None:
        found = [m for m in found if m <= to_reset]
    return min(found, default=None)


def next_check_at(state: CadenceState | None, intervals: Intervals) -> datetime | None:
    """When the connection is due again; None: never checked, due now."""
    if state is None or state.checked_at is None:
        return None
    due = state.checked_at + intervals.of_temperature(state.temperature)
    if state.deferred_until is not None:
        due = max(due, state.deferred_until)
    return due


def is_due(state: CadenceState | None, intervals: Intervals, now: datetime) -> bool:
    due = next_check_at(state, intervals)
    return due is None or now >= due - TICK_SLACK


def overdue_minutes(
    state: CadenceState | None, intervals: Intervals, now: datetime
) -> float | None:
    """How late a hot connection's check is, once it is later than its interval plus one
    tick (the promise a missed tick may not break); None otherwise."""
    if state is None or state.checked_at is None or state.temperature is not Temperature.HOT:
        return None
    late = now - state.checked_at - intervals.hot
    if late <= TICK + TICK_SLACK:
        return None
    return late.total_seconds() / 60.0


def urgency(state: CadenceState | None, intervals: Intervals, now: datetime) -> tuple[int, float]:
    """Sort key, most urgent first: never checked and hot first, then the longest overdue;
    under the deadline the connections near their brake are the ones checked."""
    due = next_check_at(state, intervals)
    if state is None or due is None:
        return (0, 0.0)
    rank = {Temperature.HOT: 1, Temperature.WARM: 2, Temperature.CALM: 3}[state.temperature]
    return (rank, -(now - due).total_seconds())

"""Brake between two bursts: a burn that comes in hourly steps (scheduled rollup flows, an
hourly job) whose next step would carry usage past the brake threshold. Pure.

Such a burn is not a rate: an hourly run changes its records at once and the consumer that
syncs them (the HubSpot connector) spends the calls over the next cycle or two, then usage
lies flat until the next run. Braking mid-step cannot stop the calls that step's changes
still cost (the tail, docs/platform-notes.md S6); braking in the flat stretch before the
next run stops its changes before they are made, so nothing is left to sync. So when each
of the last `PACE_HOURS` hours added at least as much as the headroom left below the
threshold, and usage is flat right now, the brake starts now rather than one step later.

The guards against a false brake: the pace must have held for every one of the last three
hours (a short burst does not qualify), each of those hours must have had a flat stretch of
its own (steps, not one long climb: a batch of two hours that ended half an hour ago spreads
over three hour windows, but without a pause inside them), the step must reach the threshold
(a calm hourly rollup that never gets there does not), and for a daily reset (HubSpot) the
next hour must end before the reset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from apibrake.models.usage import UsageReading
from apibrake.watch.ahead import BrakeAhead
from apibrake.watch.forecast import since_last_reset

PACE_HOURS = 3
HOUR = timedelta(hours=1)
# How close to each hour mark a reading must be: the calm cadence is 15 minutes.
MARK_TOLERANCE = timedelta(minutes=16)
# "Flat right now": burning at most this share of the hourly pace (a step being synced
# burns several times its hourly average).
QUIET_SHARE = 0.5
PACE_LOOK_AHEAD_MINUTES = 60.0  # the next step comes within the hour
# The shortest pause that counts as a flat stretch between two steps (the calm cadence's
# 15-minute readings see the half hour a synced step leaves flat).
FLAT_STRETCH = timedelta(minutes=10)


def history_needed() -> timedelta:
    """How far back the readings must reach for the pace to be judged."""
    return PACE_HOURS * HOUR + MARK_TOLERANCE


def brake_before_next_step(
    readings: Sequence[UsageReading],
    *,
    threshold: float,
    now: datetime,
    resets_at: datetime | None,
    rate_now_per_hour: float | None,
    tail_minutes: float = 0.0,
    floor: float = 0.0,
) -> BrakeAhead | None:
    """`readings`: one source's readings, the current one included (newest); no brake
    below `floor` percent (the connection's release_below)."""
    if resets_at is not None and resets_at - now < HOUR:
        return None  # the reset comes first
    ordered = _usable(readings, now, resets=resets_at is not None)
    marks = _hour_marks(ordered)
    if marks is None:
        return None
    newest = marks[0]
    pace = min(marks[k].used - marks[k + 1].used for k in range(PACE_HOURS))
    target = newest.limit * threshold / 100.0
    quiet = rate_now_per_hour is not None and rate_now_per_hour <= pace * QUIET_SHARE
    if pace <= 0 or newest.used >= target or newest.used + pace < target or not quiet:
        return None
    if newest.used <= newest.limit * floor / 100.0:
        return None
    if not all(_flat_stretch(ordered, marks[k + 1], marks[k], pace) for k in range(PACE_HOURS)):
        return None  # one long climb, not steps
    return BrakeAhead(
        rate_per_hour=pace,
        minutes_to_threshold=PACE_LOOK_AHEAD_MINUTES,
        look_ahead_minutes=PACE_LOOK_AHEAD_MINUTES,
        threshold=threshold,
        projected_percent=(newest.used + pace) / newest.limit * 100.0,
        tail_minutes=tail_minutes,
        hourly_steps=True,
    )


def _usable(readings: Sequence[UsageReading], now: datetime, *, resets: bool) -> list[UsageReading]:
    """One reading per moment up to now, oldest first, since the last reset; none when the
    newest is stale or has no limit."""
    ordered = sorted(
        {r.taken_at: r for r in readings if r.taken_at <= now}.values(), key=lambda r: r.taken_at
    )
    if resets:
        ordered = since_last_reset(ordered)
    if not ordered or ordered[-1].stale or not ordered[-1].limit:
        return []
    return ordered


def _hour_marks(ordered: Sequence[UsageReading]) -> list[UsageReading] | None:
    """The newest reading and those nearest 1, 2 and 3 hours before it; None with a gap."""
    if not ordered:
        return None
    newest = ordered[-1].taken_at
    marks = [_near(ordered, newest - hours * HOUR) for hours in range(PACE_HOURS + 1)]
    found = [mark for mark in marks if mark is not None]
    return found if len(found) == len(marks) else None


def _flat_stretch(
    ordered: Sequence[UsageReading], start: UsageReading, end: UsageReading, pace: float
) -> bool:
    """Whether usage lay flat (at most QUIET_SHARE of the pace) for FLAT_STRETCH or more
    somewhere between the two readings, over one or several check intervals."""
    inside = [r for r in ordered if start.taken_at <= r.taken_at <= end.taken_at]
    for first, earlier in enumerate(inside):
        for later in inside[first + 1 :]:
            hours = (later.taken_at - earlier.taken_at).total_seconds() / 3600.0
            if (later.used - earlier.used) / hours > pace * QUIET_SHARE:
                break
            if later.taken_at - earlier.taken_at >= FLAT_STRETCH:
                return True
    return False


def _near(ordered: Sequence[UsageReading], mark: datetime) -> UsageReading | None:
    """The reading closest to `mark`, if one lies within MARK_TOLERANCE of it."""
    closest = min(ordered, key=lambda r: abs(r.taken_at - mark), default=None)
    if closest is None or abs(closest.taken_at - mark) > MARK_TOLERANCE:
        return None
    return closest

"""Has a braked connection's window recovered enough to switch its automations back on?

HubSpot: after the daily reset that followed the brake. Salesforce (a rolling 24 h
window): once usage is back under `release_below`, which the connection model keeps
below `brake_at` so that restoring cannot trip the brake again at once (hysteresis).

Every platform call counts against the limit being waited for, so a waiting restore
decides from what is already known (the reset recorded at brake time, the monitor's
latest stored reading) and asks the platform only when that is missing or stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from apibrake.models.connection import Connection, Platform
from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.store.journal import IncidentMeta


def window_recovered(
    connection: Connection, meta: IncidentMeta, reading: UsageReading, now: datetime
) -> tuple[bool, str]:
    percent = reading.percent
    below = connection.release_below
    if connection.platform is Platform.HUBSPOT:
        reset_passed = (meta.resets_at is not None and now >= meta.resets_at) or (
            # The next reset is more than a day after the brake: one reset lies between.
            reading.resets_at is not None and reading.resets_at - meta.opened_at > timedelta(days=1)
        )
        if not reset_passed and (meta.resets_at is not None or reading.resets_at is not None):
            when = meta.resets_at or reading.resets_at
            return False, f"HubSpot's daily limit has not reset since the brake (reset at {when})"
    if percent >= below:
        return False, f"usage {percent:.1f}% is not yet below release_below {below:g}%"
    return True, f"usage {percent:.1f}% is below release_below {below:g}%"


# The monitor stores a reading every 5 minutes: older means it stopped watching.
STORED_READING_MAX_AGE = timedelta(minutes=15)


def recovery_from_stored(
    connection: Connection,
    meta: IncidentMeta,
    readings: Sequence[UsageReading],
    now: datetime,
) -> tuple[bool, str] | None:
    """The recovery decision from stored data, or None when only a fresh reading can tell."""
    if connection.platform is Platform.HUBSPOT and meta.resets_at and now < meta.resets_at:
        return (
            False,
            f"HubSpot's daily limit has not reset since the brake (reset at {meta.resets_at})",
        )
    latest = latest_usable_reading(readings, now)
    if latest is None:
        return None
    return window_recovered(connection, meta, latest, now)


def latest_usable_reading(readings: Sequence[UsageReading], now: datetime) -> UsageReading | None:
    """The newest reading still describing the current window (fresh, and from before no
    reset that has since passed); endpoint readings first, headers being a free extra."""
    usable = [
        r
        for r in readings
        if not r.stale
        and r.taken_at <= now
        and now - r.taken_at <= STORED_READING_MAX_AGE
        and (r.resets_at is None or now < r.resets_at)
    ]
    endpoint = [r for r in usable if r.source is not ReadingSource.RESPONSE_HEADERS]
    return max(endpoint or usable, key=lambda r: r.taken_at, default=None)


def current_reset(readings: Sequence[UsageReading], now: datetime) -> datetime | None:
    """The next reset the stored readings know of (HubSpot), for the incident to keep."""
    latest = latest_usable_reading(readings, now)
    return latest.resets_at if latest is not None else None

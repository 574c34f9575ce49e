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

from apibrake.incident.readings import latest_usable_reading
from apibrake.incident.records import IncidentMeta
from apibrake.models.connection import Connection, Platform
from apibrake.models.usage import UsageReading


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

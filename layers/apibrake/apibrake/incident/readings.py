"""The monitor's stored readings, as brake and release use them without a platform call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apibrake.models.usage import ReadingSource, UsageReading

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

# The monitor stores a reading every 5 minutes: older means it stopped watching.
STORED_READING_MAX_AGE = timedelta(minutes=15)


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


async def fresh_reading(client: PlatformClient, *, prefer_headers: bool) -> UsageReading:
    """The freshest usage figure: the last response's headers when allowed, else one call."""
    reading: UsageReading | None = client.http.last_header_reading if prefer_headers else None
    if reading is not None:
        return reading
    result: UsageReading = await client.usage()
    return result

"""When a connection's daily window ends: the instant alerts may fire again.

HubSpot resets at midnight in the portal's time zone. We compute it from the portal's
UTC offset rather than a zoneinfo name: Lambda's AL2023 images may lack tzdata.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

ROLLING_WINDOW = timedelta(hours=24)  # Salesforce: calls age out after 24 hours
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$")


def parse_utc_offset(value: object) -> timedelta | None:
    """`-04:00`, `+0530`, `+5` or milliseconds (HubSpot's `utcOffsetMilliseconds`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        offset = timedelta(milliseconds=value)
    elif isinstance(value, str) and (match := _OFFSET.match(value.strip())):
        sign = -1 if match[1] == "-" else 1
        offset = sign * timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
    else:
        return None
    return offset if abs(offset) <= timedelta(hours=14) else None


def next_local_midnight(now: datetime, utc_offset: timedelta) -> datetime:
    """The next midnight at `utc_offset` after `now`, in UTC."""
    local = now.astimezone(UTC) + utc_offset
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=UTC)
    return midnight - utc_offset


def window_end(
    *, now: datetime, resets_at: datetime | None, rolling: bool, utc_offset: timedelta | None
) -> datetime:
    """End of the alert window that `now` falls in.

    Rolling (Salesforce): 24 h from now. Otherwise the platform's `resets_at` if it is
    still ahead, else the next portal midnight (UTC midnight if the offset is unknown).
    """
    if rolling:
        return now + ROLLING_WINDOW
    if resets_at is not None and resets_at > now:
        return resets_at
    return next_local_midnight(now, utc_offset or timedelta(0))

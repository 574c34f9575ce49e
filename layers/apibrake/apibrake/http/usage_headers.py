"""Usage readings that come for free with every response, as pure functions.

Garbage in a header gives None, never an exception: a header is a bonus reading,
not the source of truth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from apibrake.http.parsing import as_int
from apibrake.models.usage import ReadingSource, UsageReading

SFORCE_LIMIT_INFO = "Sforce-Limit-Info"
HUBSPOT_DAILY = "X-HubSpot-RateLimit-Daily"
HUBSPOT_DAILY_REMAINING = "X-HubSpot-RateLimit-Daily-Remaining"

_MAX_HEADER_CHARS = 2000
_USED_OF_MAX = re.compile(r"(\d{1,12})/(\d{1,12})")
_PER_APP = re.compile(r"(\d{1,12})/(\d{1,12})\(appName=([^()]{1,255})\)", re.IGNORECASE)


def parse_sforce_limit_info(value: object, *, taken_at: datetime) -> UsageReading | None:
    """`api-usage=USED/MAX[; per-app-api-usage=U/T(appName=NAME)][; api-bursts=N/M]`."""
    if not isinstance(value, str) or len(value) > _MAX_HEADER_CHARS:
        return None
    usage: tuple[int, int] | None = None
    per_app: dict[str, tuple[int, int]] = {}
    for part in value.split(";"):
        key, _, figures = part.strip().partition("=")
        key = key.strip().lower()
        figures = figures.strip()
        if key == "api-usage" and (match := _USED_OF_MAX.fullmatch(figures)):
            usage = (int(match[1]), int(match[2]))
        elif key == "per-app-api-usage" and (match := _PER_APP.fullmatch(figures)):
            per_app[match[3].strip()] = (int(match[1]), int(match[2]))
    if usage is None:
        return None
    used, limit = usage
    return UsageReading(
        used=used,
        limit=limit,
        taken_at=taken_at,
        source=ReadingSource.RESPONSE_HEADERS,
        per_app=per_app,
    )


def parse_hubspot_daily(
    daily: object, daily_remaining: object, *, taken_at: datetime
) -> UsageReading | None:
    """`X-HubSpot-RateLimit-Daily` and `-Daily-Remaining`: used = daily - remaining."""
    limit = as_int(daily)
    remaining = as_int(daily_remaining)
    if limit is None or remaining is None or limit <= 0 or not 0 <= remaining <= limit:
        return None
    return UsageReading(
        used=limit - remaining,
        limit=limit,
        taken_at=taken_at,
        source=ReadingSource.RESPONSE_HEADERS,
    )


def salesforce_header_reading(
    headers: Mapping[str, str], taken_at: datetime
) -> UsageReading | None:
    return parse_sforce_limit_info(header(headers, SFORCE_LIMIT_INFO), taken_at=taken_at)


def hubspot_header_reading(headers: Mapping[str, str], taken_at: datetime) -> UsageReading | None:
    return parse_hubspot_daily(
        header(headers, HUBSPOT_DAILY),
        header(headers, HUBSPOT_DAILY_REMAINING),
        taken_at=taken_at,
    )


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that works on plain dicts as well as httpx.Headers."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)

"""Reading `DailyApiRequests` out of the `/limits/` response."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apibrake.http.errors import MalformedResponse
from apibrake.http.parsing import as_int
from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.platforms.salesforce.errors import SALESFORCE

DAILY_API_REQUESTS = "DailyApiRequests"


def parse_limits(body: Any, *, taken_at: datetime) -> UsageReading:
    """`{"DailyApiRequests": {"Max": 15000, "Remaining": 14998, "<App>": {"Max":..,..}}, ..}`."""
    if not isinstance(body, dict):
        raise _malformed("the body is not a JSON object")
    daily = body.get(DAILY_API_REQUESTS)
    if not isinstance(daily, dict):
        raise _malformed(f"{DAILY_API_REQUESTS} is missing or not an object")
    limit = as_int(daily.get("Max"))
    remaining = as_int(daily.get("Remaining"))
    if limit is None or limit < 0:
        raise _malformed(f"{DAILY_API_REQUESTS}.Max is not a count")
    if remaining is None or remaining > limit:
        raise _malformed(f"{DAILY_API_REQUESTS}.Remaining is not a count within Max")
    return UsageReading(
        used=limit - remaining,  # a negative Remaining means usage overshot Max
        limit=limit,
        taken_at=taken_at,
        source=ReadingSource.LIMITS_ENDPOINT,
        per_app=_per_app(daily),
    )


def _per_app(daily: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Nested connected-app entries; an unreadable one is skipped, not fatal."""
    per_app: dict[str, tuple[int, int]] = {}
    for name, entry in daily.items():
        if not isinstance(entry, dict):
            continue
        app_max = as_int(entry.get("Max"))
        app_remaining = as_int(entry.get("Remaining"))
        if app_max is not None and app_remaining is not None and 0 <= app_remaining <= app_max:
            per_app[name] = (app_max - app_remaining, app_max)
    return per_app


def _malformed(detail: str) -> MalformedResponse:
    return MalformedResponse(SALESFORCE, f"unreadable /limits/ response: {detail}")

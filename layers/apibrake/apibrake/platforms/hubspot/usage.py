"""Reading the daily usage entry out of `/account-info/{version}/api-usage/daily/private-apps`.

Up to 2026-09 the figure counts legacy private apps only; 2027-03-beta counts every app
type under one limit and breaks it down in `usageByAppType`.
"""

from __future__ import annotations

from typing import Any

from apibrake.http.errors import MalformedResponse
from apibrake.http.parsing import as_int, as_timestamp
from apibrake.models.usage import ReadingSource, UsageReading, UsageScope
from apibrake.platforms.hubspot.errors import HUBSPOT

DAILY_USAGE_NAME = "private-apps-api-calls-daily"
# SUCCESS: just taken; CACHED: from HubSpot's cache, as old as `collectedAt` says (the
# readers judge its age from that). FAILURE, NOTFOUND, TIMEOUT: no usable figure.
USABLE_STATUSES = frozenset({"SUCCESS", "CACHED"})


ALL_APP_TYPES_VERSIONS = frozenset({"2027-03-beta"})


def usage_scope(version: str) -> UsageScope:
    if version in ALL_APP_TYPES_VERSIONS:
        return UsageScope.ALL_APP_TYPES
    return UsageScope.LEGACY_PRIVATE_APPS


def parse_daily_usage(body: Any, *, version: str = "v3") -> UsageReading:
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise _malformed("no 'results' array")
    entry = _daily_entry([e for e in results if isinstance(e, dict)], version)
    if entry is None:
        raise _malformed(f"no entry named {DAILY_USAGE_NAME!r}")
    fetch_status = str(entry.get("fetchStatus") or "missing")
    used = as_int(entry.get("currentUsage"))
    limit = as_int(entry.get("usageLimit"))
    if used is None or limit is None or used < 0 or limit < 0:
        if fetch_status not in USABLE_STATUSES:
            raise _malformed(f"HubSpot could not report usage (fetchStatus={fetch_status})")
        raise _malformed("currentUsage/usageLimit are not counts")
    taken_at = as_timestamp(entry.get("collectedAt"))
    if taken_at is None:
        raise _malformed("collectedAt is not a timestamp")
    return UsageReading(
        used=used,
        limit=limit,
        taken_at=taken_at,
        source=ReadingSource.USAGE_ENDPOINT,
        resets_at=as_timestamp(entry.get("resetsAt")),
        stale=fetch_status not in USABLE_STATUSES,
        scope=usage_scope(version),
        by_app_type=_by_app_type(entry.get("usageByAppType")),
    )


def _daily_entry(entries: list[dict[str, Any]], version: str) -> dict[str, Any] | None:
    """The daily entry by its name; in 2027-03-beta, whose entry name is undocumented, else
    the one entry breaking the figure down by app type (the spec requires usageByAppType),
    or the one whose name says daily."""
    named = next((e for e in entries if e.get("name") == DAILY_USAGE_NAME), None)
    if named is not None or version not in ALL_APP_TYPES_VERSIONS:
        return named
    for candidates in (
        [e for e in entries if isinstance(e.get("usageByAppType"), list)],
        [e for e in entries if "daily" in str(e.get("name") or "").lower()],
    ):
        if len(candidates) == 1:
            return candidates[0]
    return None


def _by_app_type(value: Any) -> dict[str, int]:
    if not isinstance(value, list):
        return {}
    found = {}
    for item in value:
        used = as_int(item.get("currentUsage")) if isinstance(item, dict) else None
        if used is not None and used >= 0:
            found[str(item.get("appType"))] = used
    return found


def _malformed(detail: str) -> MalformedResponse:
    return MalformedResponse(HUBSPOT, f"unreadable daily usage: {detail}")

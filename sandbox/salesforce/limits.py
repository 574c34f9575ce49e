"""The `/limits` resource: DailyApiRequests from the rolling usage, the rest realistic constants."""

from __future__ import annotations

from typing import Any

from sandbox.salesforce.settings import SalesforceSettings

# Figures a mid-size Enterprise org reports; only DailyApiRequests moves in the sandbox.
_STATIC_LIMITS = {
    "ConcurrentAsyncGetReportInstances": (200, 200),
    "ConcurrentSyncReportRuns": (20, 20),
    "DailyAsyncApexExecutions": (250_000, 250_000),
    "DailyBulkApiBatches": (15_000, 15_000),
    "DailyBulkV2QueryJobs": (10_000, 10_000),
    "DailyStreamingApiEvents": (1_000_000, 1_000_000),
    "DataStorageMB": (1_024, 1_010),
    "FileStorageMB": (2_048, 2_040),
    "HourlyTimeBasedWorkflow": (1_000, 1_000),
    "SingleEmail": (5_000, 5_000),
}


def limits_payload(settings: SalesforceSettings, used: int) -> dict[str, Any]:
    daily: dict[str, Any] = {
        "Max": settings.daily_limit,
        # Usage may pass the limit (Sforce-Limit-Info shows it); Remaining stops at 0.
        "Remaining": max(settings.daily_limit - used, 0),
    }
    for app, (app_max, app_remaining) in settings.per_app_entries.items():
        daily[app] = {"Max": app_max, "Remaining": app_remaining}
    payload: dict[str, Any] = {"DailyApiRequests": daily}
    for name, (limit_max, remaining) in _STATIC_LIMITS.items():
        payload[name] = {"Max": limit_max, "Remaining": remaining}
    payload = dict(sorted(payload.items()))
    return _stringify(payload) if settings.numbers_as_strings else payload


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stringify(item) for key, item in value.items()}
    return str(value) if isinstance(value, int) else value

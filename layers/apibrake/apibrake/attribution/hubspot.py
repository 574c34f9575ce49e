"""HubSpot: the reading's usageByAppType (2027-03-beta) splits the day's calls by app type,
for free. Per-app figures exist only in HubSpot's UI (docs/platform-notes.md C9)."""

from __future__ import annotations

from datetime import datetime

from apibrake.models.attribution import AttributionSource, Consumer, ConsumerKind, Suspects
from apibrake.models.usage import UsageReading

# HubSpot's usage guidelines: a private app's calls are on its Logs tab; an app's requests
# under Monitoring in its details (developers.hubspot.com/docs/api/usage-details).
PER_APP_PAGE = (
    "HubSpot shows calls per app only in its own UI: for a legacy private app, Development > "
    "Legacy apps > the app > Logs; for other apps, the app's Monitoring section "
    "(https://developers.hubspot.com/docs/api/usage-details)."
)
# The reading came from an endpoint that does not split the day's calls by app type.
NO_APP_TYPES = (
    "This usage reading does not split the day's calls by app type (only HubSpot's "
    "2027-03-beta usage endpoint does)."
)
_APP_TYPE_NAMES = {
    "SERVICE_KEY": "service keys",
    "LEGACY_PRIVATE_APP": "legacy private apps",
    "DEVELOPER_PLATFORM_APP": "developer platform apps",
}


def hubspot_suspects(connection_id: str, reading: UsageReading, now: datetime) -> Suspects:
    suspects = Suspects(connection_id=connection_id, notes=[PER_APP_PAGE])
    by_type = {name: calls for name, calls in reading.by_app_type.items() if calls > 0}
    if not by_type:
        suspects.notes.insert(0, NO_APP_TYPES)
        return suspects
    total = sum(by_type.values())
    suspects.consumers = [
        Consumer(
            name=_APP_TYPE_NAMES.get(name, name.lower().replace("_", " ")),
            kind=ConsumerKind.APP_TYPE,
            calls=calls,
            share=round(calls / total, 4),
            allowlisted=False,
        )
        for name, calls in sorted(by_type.items(), key=lambda item: -item[1])
    ]
    suspects.source = AttributionSource.USAGE_BY_APP_TYPE
    suspects.data_as_of = reading.taken_at
    suspects.window_end = reading.taken_at
    return suspects

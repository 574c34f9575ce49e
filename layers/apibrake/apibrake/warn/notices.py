"""Notices about a connection's set-up rather than its usage: a usage figure that cannot
count the connection's own calls (once a day), and HubSpot API versions nearing their
published sunset (once a week from 60 days before)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from apibrake.models.alert import Alert, Severity
from apibrake.models.connection import Connection


@dataclass(frozen=True)
class Sunset:
    api: str  # what HubSpot calls it
    ends: date
    replacement: str  # the version to set instead


# (api_versions field, version) -> its sunset, as HubSpot published it (docs/platform-notes.md C10).
SUNSETS = {
    ("oauth", "v1"): Sunset("OAuth token API v1", date(2027, 2, 16), "2026-03"),
    ("flows", "v4"): Sunset("Automation API v4", date(2027, 3, 30), "2026-09-beta"),
    ("usage", "v3"): Sunset("Account information API v3", date(2027, 9, 1), "2026-09"),
}
NOTICE_BEFORE = timedelta(days=60)
SUNSET_EVERY = timedelta(days=7)
GAP_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Notice:
    key: str  # claimed once per `every`
    every: timedelta
    alert: Alert


def connection_notices(
    connection: Connection, *, gap: str | None, api_versions: dict[str, str], now: datetime
) -> list[Notice]:
    notices = []
    cid = connection.connection_id
    if gap:
        notices.append(
            Notice(
                "usage_gap",
                GAP_EVERY,
                Alert(
                    subject=f"[apibrake] WARNING {cid}: usage figure misses its own calls",
                    body=(
                        f"The daily usage apibrake reads for {cid} does not count every call: "
                        f"{gap}.\nIts percentages, forecasts and brake may come late. "
                        "Use a usage version that counts service keys (api_versions.usage = "
                        f'"2027-03-beta" in secret {connection.secret_id}) or check usage in '
                        "HubSpot (Development > Monitoring > API call usage).\n"
                    ),
                    sms=f"apibrake {cid}: usage figure misses this connection's own calls",
                    severity=Severity.WARNING,
                    connection_id=cid,
                    platform=connection.platform.value,
                    kind="usage_gap",
                    next_steps=(
                        f'Set api_versions.usage = "2027-03-beta" in secret {connection.secret_id}',
                    ),
                ),
            )
        )
    for field, version in sorted(api_versions.items()):
        sunset = SUNSETS.get((field, version))
        if sunset is None or now.date() < sunset.ends - NOTICE_BEFORE:
            continue
        notices.append(
            Notice(
                f"sunset:{field}:{version}",
                SUNSET_EVERY,
                Alert(
                    subject=f"[apibrake] INFO {cid}: HubSpot {sunset.api} ends {sunset.ends}",
                    body=(
                        f"Connection {cid} still calls HubSpot's {sunset.api} ({version}), which "
                        f"HubSpot stops supporting on {sunset.ends:%Y-%m-%d}. Set "
                        f'api_versions.{field} to "{sunset.replacement}" in secret '
                        f"{connection.secret_id} before then.\n"
                    ),
                    sms=f"apibrake {cid}: set api_versions.{field}={sunset.replacement}",
                    severity=Severity.INFO,
                    connection_id=cid,
                    platform=connection.platform.value,
                    kind="api_sunset",
                    next_steps=(
                        f'Set api_versions.{field} = "{sunset.replacement}" in secret '
                        f"{connection.secret_id} before {sunset.ends:%Y-%m-%d}",
                    ),
                ),
            )
        )
    return notices

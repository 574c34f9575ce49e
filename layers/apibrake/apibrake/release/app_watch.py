"""After an app's brake: is the connected app still spending calls?

Whether OAuth tokens issued before a permission set's access was removed stop working is not
confirmed (docs/platform-notes.md S10). So, as for a frozen user (release/freeze_watch.py,
whose rules this follows), while the incident waits the scheduled release counts each
blocked app's calls in ApiTotalUsageEventLog (`ConnectedAppIdentifier`), from the grace
after the brake for an hour, one query per run; calls since the brake raise one critical
"app still spending" alert per incident and app. A person then revokes the app's tokens or
freezes its user: apibrake never does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apibrake.incident.deps import IncidentDeps
from apibrake.incident.records import SETTLED_RELEASE, BrakeState, IncidentMeta, JournalRow
from apibrake.models.allowlist import AutomationKind
from apibrake.models.usage import UsageReading
from apibrake.platforms.salesforce.activity import parse_time
from apibrake.platforms.salesforce.soql import soql_datetime, soql_strings
from apibrake.release.freeze_watch import (
    BRAKE_RUNS_AT_MOST,
    EVENTS_READ,
    IN_FLIGHT,
    Watched,
    alert_once,
    watch_for_calls,
)
from apibrake.warn.incident_alerts import APP_STILL_SPENDING, app_still_spending

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient


@dataclass(frozen=True)
class BlockedApp:
    """An app this incident's brake cut off from one permission set, not released yet."""

    name: str
    app_id: str  # ConnectedApplication.Id, as ConnectedAppIdentifier carries it
    permission_set: str
    counted_from: datetime  # the brake had run by then


def blocked_apps(rows: Sequence[JournalRow], meta: IncidentMeta) -> list[BlockedApp]:
    return [
        BlockedApp(
            name=row.name,
            app_id=str((row.before or {}).get("app_id")),
            permission_set=str(row.options.get("permission_set")),
            counted_from=meta.opened_at + BRAKE_RUNS_AT_MOST,
        )
        for row in rows
        if row.kind is AutomationKind.APP
        and row.brake is BrakeState.BRAKED
        and row.release not in SETTLED_RELEASE
        and (row.before or {}).get("app_id")
    ]


def event_log_app_calls_since(since: datetime, app_ids: Sequence[str]) -> str:
    forms = sorted({form for app_id in app_ids for form in (app_id, app_id[:15])})
    return (
        "SELECT ConnectedAppIdentifier, Timestamp FROM ApiTotalUsageEventLog "  # noqa: S608 - values escaped
        f"WHERE Timestamp >= {soql_datetime(since)} AND IsApiLimitCounted = true "
        f"AND ConnectedAppIdentifier IN ({soql_strings(forms)}) "
        f"ORDER BY Timestamp DESC LIMIT {EVENTS_READ}"
    )


def calls_after_brake(records: Sequence[dict[str, Any]], app: BlockedApp) -> int:
    return sum(
        1
        for record in records
        if str(record.get("ConnectedAppIdentifier") or "")[:15] == app.app_id[:15]
        and parse_time(str(record.get("Timestamp"))) >= app.counted_from + IN_FLIGHT
    )


def alert_key(incident_id: str, app_id: str) -> str:
    return f"{APP_STILL_SPENDING}:{incident_id}:{app_id[:15]}"


class AppWatch:
    """One incident's look at its blocked apps, in one release run (never raises: the
    caller, FreezeWatch.safely, guards it)."""

    def __init__(
        self,
        deps: IncidentDeps,
        off_loop: Callable[..., Awaitable[Any]],
        meta: IncidentMeta,
        rows: Sequence[JournalRow],
    ) -> None:
        self.deps, self.off_loop, self.meta, self.rows = deps, off_loop, meta, rows
        self.cid = meta.connection_id

    async def watch(
        self,
        open_client: Callable[[], Awaitable[SalesforceClient | None]],
        readings: Sequence[UsageReading],
    ) -> None:
        await watch_for_calls(
            self.deps,
            self.off_loop,
            self.cid,
            Watched(
                subjects=blocked_apps(self.rows, self.meta),
                counted_from=lambda app: app.counted_from,
                key=lambda app: alert_key(self.meta.incident_id, app.app_id),
                query=lambda since, due: event_log_app_calls_since(since, [a.app_id for a in due]),
                calls=lambda records, app: calls_after_brake(records, app),
                alert=self._alert,
            ),
            open_client,
            readings,
        )

    async def _alert(self, app: BlockedApp, calls: int, *, at_least: bool) -> None:
        await alert_once(
            self.off_loop,
            self.deps,
            self.cid,
            alert_key(self.meta.incident_id, app.app_id),
            lambda now: app_still_spending(
                connection_id=self.cid,
                platform=self.meta.platform.value,
                incident_id=self.meta.incident_id,
                app=app.name,
                permission_set=app.permission_set,
                counted_from=app.counted_from,
                calls=calls,
                at_least=at_least,
                now=now,
            ),
        )

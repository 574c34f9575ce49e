"""Salesforce's attribution sources, one query each, as Suspects parts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from apibrake.attribution import soql
from apibrake.attribution.caller import CallerKey, allowlist_key, consumer, short_id
from apibrake.attribution.tally import UsageTally
from apibrake.http.errors import PlatformError
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Consumer, Driver, DriverKind, SetupChange
from apibrake.platforms.salesforce import activity

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

# The objects the HubSpot connector syncs by default (contacts and leads, companies as
# accounts, deals as opportunities): an estimate from HubSpot's standard mappings, read when
# the consumer's own objects are unknown. At most 5: a composite holds 5 queries.
SYNCED_OBJECTS = ("Contact", "Lead", "Account", "Opportunity")
# How an object refuses COUNT()/GROUP BY (big objects answer the second).
_AGGREGATES_REFUSED = frozenset({"MALFORMED_QUERY", "BIG_OBJECT_UNSUPPORTED_OPERATION"})


class AggregatesRefused(Exception):
    """ApiTotalUsageEventLog refused the aggregate query: plain rows are the way."""

    def __init__(self, code: str) -> None:
        super().__init__(f"aggregate queries refused ({code})")
        self.code = code


async def setup_changes(
    client: SalesforceClient, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[SetupChange]:
    own_user = await client.running_user_id()
    changes = []
    for row in await activity.setup_audit(client, since):
        automation = allowlist_key(row.flow, entries) if row.flow else None
        changes.append(
            SetupChange(
                at=row.at,
                who=row.who,
                action=row.action,
                display=row.display,
                automation=automation,
                allowlisted=automation is not None if row.flow else None,
                by_apibrake=_same_id(row.who_id, own_user),
            )
        )
    return changes


def _same_id(one: Any, other: str | None) -> bool:
    """Salesforce ids match in their 15-character form (18 adds a checksum)."""
    return bool(one and other) and str(one)[:15] == str(other)[:15]


def activated_flow(change: SetupChange) -> str | None:
    """The flow's unique name when the change activated one (docs/platform-notes.md A4); a
    `...WithSystemMode` run-mode change is not an activation."""
    if not activity.is_flow_activation(change.action):
        return None
    return activity.named_flow(change.display)


def activations(changes: Sequence[SetupChange]) -> list[Driver]:
    """Each flow activated in the window, newest first: the likeliest start of a burn.
    apibrake's own re-activations (a release) are no evidence of one."""
    drivers = []
    for change in changes:
        name = None if change.by_apibrake else activated_flow(change)
        if name is not None:
            drivers.append(
                Driver(
                    name=f"flow {name}",
                    kind=DriverKind.ACTIVATION,
                    at=change.at,
                    who=change.who,
                    automation=change.automation,
                    allowlisted=change.allowlisted,
                )
            )
    return drivers


async def event_log_consumers(
    client: SalesforceClient, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[Consumer]:
    """Top callers since `since` from ApiTotalUsageEventLog (Event Monitoring licence)."""
    try:
        records = await client.query(soql.event_log_top_callers(since))
    except PlatformError as error:
        if error.status == 400 and error.code in _AGGREGATES_REFUSED:
            raise AggregatesRefused(error.code) from error
        raise
    counted = [
        (
            CallerKey(
                connected_app=short_id(str(r.get("ConnectedAppIdentifier") or "")),
                client=str(r.get("ClientName") or ""),
                user=short_id(str(r.get("UserIdentifier") or "")),
            ),
            int(r.get("calls") or 0),
        )
        for r in records
    ]
    total = sum(calls for _, calls in counted)
    return rank(counted, total, entries)


async def event_log_sample(
    client: SalesforceClient, since: datetime, entries: Sequence[AllowlistEntry]
) -> tuple[list[Consumer], datetime | None]:
    """Callers among the newest events since `since`, counted here (no aggregates), and the
    oldest event's time when the sample stops short of `since` (None when it covers it)."""
    records = await client.query(soql.event_log_newest_events(since))
    counted = Counter(
        CallerKey(
            connected_app=short_id(str(r.get("ConnectedAppIdentifier") or "")),
            client=str(r.get("ClientName") or ""),
            user=short_id(str(r.get("UserIdentifier") or "")),
        )
        for r in records
    )
    full = len(records) >= soql.EVENTS_SAMPLED
    oldest = parse_time(str(records[-1]["Timestamp"])) if full else None
    return rank(list(counted.items()), len(records), entries), oldest


async def scheduled_runs(
    client: SalesforceClient, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[Driver]:
    """Scheduled Apex runs per job since `since`: drivers counted in runs, not calls."""
    drivers = []
    for job in await activity.job_runs(client, since):
        automation = allowlist_key(job.name, entries)
        drivers.append(
            Driver(
                name=f"scheduled Apex job {job.name}",
                kind=DriverKind.SCHEDULED_RUNS,
                count=job.runs,
                unit="runs",
                automation=automation,
                allowlisted=automation is not None,
            )
        )
    return drivers


async def changed_records(
    client: SalesforceClient, since: datetime, sobjects: Sequence[str]
) -> tuple[list[Driver], list[str]]:
    """Records changed per object and per changing user (an automation's work shows as its
    running user: the Automated Process user, a job's owner), most first; and a note per
    object the org would not show."""
    changes, refused = await activity.record_changes(client, since, sobjects)
    drivers = [
        Driver(
            name=f"{change.sobject} records",
            kind=DriverKind.RECORD_CHANGES,
            count=change.records,
            unit="records changed",
            who=change.username,
        )
        for change in changes
        if change.records > 0
    ]
    notes = [f"record changes not readable for {', '.join(refused)}"] if refused else []
    return drivers, notes


async def login_hints(
    client: SalesforceClient, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[tuple[str, int]]:
    """Logins per application since `since`, most first: a hint of who is active (rows are
    logins, not calls), never a ranking. `entries` is unused: a login names an application,
    not an automation."""
    del entries
    return await activity.login_counts(client, since)


def login_note(hints: Sequence[tuple[str, int]], window: timedelta) -> str:
    """ "logins in the last 2 h: Nightly ETL (REST) 12, apibrake (REST) 3" """
    hours, rest = divmod(int(window.total_seconds()), 3600)
    span = f"{hours} h" if hours and not rest else f"{int(window.total_seconds()) // 60} min"
    listed = ", ".join(f"{label} {count}" for label, count in hints[:5])
    return f"logins in the last {span}: {listed}"


async def daily_file_records(
    client: SalesforceClient, first: date, last: date
) -> dict[date, dict[str, Any]]:
    """The daily files of the days `first` to `last`, by the day each covers."""
    records = await client.query(soql.daily_files(first, last))
    return {date.fromisoformat(str(r["LogDate"])[:10]): r for r in records}


async def newest_hourly_files(client: SalesforceClient) -> list[dict[str, Any]]:
    """The records of the newest hour's files, by Sequence; [] when the org has none."""
    records = await client.query(soql.newest_hourly_files())
    if not records:
        return []
    hour = records[0].get("LogDate")
    same_hour = [dict(r) for r in records if r.get("LogDate") == hour]
    return sorted(same_hour, key=lambda r: int(r.get("Sequence") or 0))


async def tally_file(client: SalesforceClient, log_file_path: str) -> UsageTally:
    """The file's counted calls, aggregated line by line as the body streams in."""

    async def consume(response: httpx.Response) -> UsageTally:
        tally = UsageTally()
        async for line in response.aiter_lines():
            tally.feed(line)
        return tally

    tally: UsageTally = await client.log_file(log_file_path, consume)
    return tally


def rank(
    counted: Sequence[tuple[CallerKey, int]], total: int, entries: Sequence[AllowlistEntry]
) -> list[Consumer]:
    """Consumers best first, our own calls among them (they count too)."""
    ordered = sorted(counted, key=lambda item: (-item[1], item[0]))
    return [consumer(key, calls, total, entries) for key, calls in ordered if calls > 0]


def parse_time(text: str) -> datetime:
    return activity.parse_time(text)

"""Salesforce's attribution sources, one query each, as Suspects parts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from apibrake.attribution import soql
from apibrake.attribution.caller import CallerKey, allowlist_key, consumer, short_id
from apibrake.attribution.tally import UsageTally
from apibrake.http.errors import PlatformError
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Consumer, ConsumerKind, SetupChange

_UNIQUE_NAME = re.compile(r'Unique Name "([^"]+)"')
# How an object refuses COUNT()/GROUP BY (big objects answer the second).
_AGGREGATES_REFUSED = frozenset({"MALFORMED_QUERY", "BIG_OBJECT_UNSUPPORTED_OPERATION"})


class AggregatesRefused(Exception):
    """ApiTotalUsageEventLog refused the aggregate query: plain rows are the way."""

    def __init__(self, code: str) -> None:
        super().__init__(f"aggregate queries refused ({code})")
        self.code = code


async def setup_changes(
    client: Any, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[SetupChange]:
    records = await client.query(soql.setup_audit_trail(since))
    own_user = await client.running_user_id()
    changes = []
    for record in records:
        display = str(record.get("Display") or "")
        named = _UNIQUE_NAME.search(display)
        automation = allowlist_key(named.group(1), entries) if named else None
        created_by = record.get("CreatedBy") or {}
        changes.append(
            SetupChange(
                at=parse_time(str(record["CreatedDate"])),
                who=str(created_by.get("Username") or "unknown"),
                action=str(record.get("Action") or ""),
                display=display,
                automation=automation,
                allowlisted=automation is not None if named else None,
                by_apibrake=_same_id(record.get("CreatedById"), own_user),
            )
        )
    return changes


def _same_id(one: Any, other: str | None) -> bool:
    """Salesforce ids match in their 15-character form (18 adds a checksum)."""
    return bool(one and other) and str(one)[:15] == str(other)[:15]


def activated_flow(change: SetupChange) -> str | None:
    """The flow's unique name when the change activated one (SetupAuditTrail actions
    `activatedinteractiondefinition` / `activatedinteractiondefversion`,
    docs/platform-notes.md). Their `...WithSystemMode` twins record a run-mode change, not
    an activation."""
    action = change.action.lower()
    if not action.startswith("activatedinteractiondef") or action.endswith("withsystemmode"):
        return None
    named = _UNIQUE_NAME.search(change.display)
    return named.group(1) if named else None


async def event_log_consumers(
    client: Any, since: datetime, entries: Sequence[AllowlistEntry]
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
    client: Any, since: datetime, entries: Sequence[AllowlistEntry]
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


async def apex_runs(
    client: Any, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[Consumer]:
    """Scheduled Apex runs per job since `since` (runs, not calls)."""
    records = await client.query(soql.async_apex_runs(since))
    runs = []
    for record in records:
        name = str(record.get("Name") or "")
        if not name:
            continue  # runs of a job aborted since
        automation = allowlist_key(name, entries)
        runs.append(
            Consumer(
                name=f"scheduled Apex job {name}",
                kind=ConsumerKind.AUTOMATION,
                calls=int(record.get("runs") or 0),
                unit="runs",
                automation=automation,
                allowlisted=automation is not None,
            )
        )
    return runs


async def login_hints(
    client: Any, since: datetime, entries: Sequence[AllowlistEntry]
) -> list[tuple[str, int]]:
    """Logins per application since `since`, most first, as "Nightly ETL (REST)": a hint of
    who is active (rows are logins, not calls), never a ranking. `entries` is unused: a
    login names an application, not an automation."""
    del entries
    records = await client.query(soql.login_counts(since))
    hints = []
    for record in records:
        application = str(record.get("Application") or "unknown application")
        api_type = str(record.get("ApiType") or "")
        label = f"{application} ({api_type})" if api_type else application
        hints.append((label, int(record.get("logins") or 0)))
    return hints


def login_note(hints: Sequence[tuple[str, int]], window: timedelta) -> str:
    """ "logins in the last 2 h: Nightly ETL (REST) 12, apibrake (REST) 3" """
    hours, rest = divmod(int(window.total_seconds()), 3600)
    span = f"{hours} h" if hours and not rest else f"{int(window.total_seconds()) // 60} min"
    listed = ", ".join(f"{label} {count}" for label, count in hints[:5])
    return f"logins in the last {span}: {listed}"


async def daily_file_records(client: Any, first: date, last: date) -> dict[date, dict[str, Any]]:
    """The daily files of the days `first` to `last`, by the day each covers."""
    records = await client.query(soql.daily_files(first, last))
    return {date.fromisoformat(str(r["LogDate"])[:10]): r for r in records}


async def newest_hourly_files(client: Any) -> list[dict[str, Any]]:
    """The records of the newest hour's files, by Sequence; [] when the org has none."""
    records = await client.query(soql.newest_hourly_files())
    if not records:
        return []
    hour = records[0].get("LogDate")
    same_hour = [dict(r) for r in records if r.get("LogDate") == hour]
    return sorted(same_hour, key=lambda r: int(r.get("Sequence") or 0))


async def tally_file(client: Any, log_file_path: str) -> UsageTally:
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
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")

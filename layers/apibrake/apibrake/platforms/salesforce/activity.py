"""What a Salesforce org records about its automations' activity: the one home of the
queries attribution (the drivers behind a burn) and `apibrake discover --suggest` (ranking
automations) send (docs/platform-notes.md A4-A6).

- SetupAuditTrail: who activated or changed what, when (`setup_audit`, `setup_activations`).
- AsyncApexJob: scheduled Apex runs per job (`job_runs`) or per class (`apex_runs`).
- FlowDefinitionView.LastModifiedDate of every active flow (`flow_changes`).
- CronTrigger.CreatedDate of every scheduled Apex job (`job_schedules`: SetupAuditTrail has
  no documented Action for scheduling a job).
- LoginHistory: logins per application (`login_counts`), a hint, never calls.
- Records changed per object and per changing user (`record_changes`): what an automation
  did to the records a consumer syncs, up to 5 objects in one composite call.

Each reader raises the platform's error; `apibrake discover` turns a refusal into `Refused`
(`refusing`) and goes on with the other sources, attribution's Spender notes it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from apibrake.http.errors import PermissionDenied, RequestRejected
from apibrake.platforms.salesforce.soql import soql_datetime

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

T = TypeVar("T")
# The Display text names a flow this way (docs/platform-notes.md A4).
_UNIQUE_NAME = re.compile(r'Unique Name "([^"]+)"')
_SOBJECT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
CHANGING_USERS_PER_OBJECT = 5


class Refused(Exception):
    """The org would not answer this source; `reason` says why, for a person."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class Dated:
    """When something happened to one automation, and by whom when known."""

    at: datetime
    who: str | None = None
    what: str | None = None


@dataclass(frozen=True)
class AuditRow:
    """One SetupAuditTrail row; `flow` is the Unique Name its Display text names, if any;
    `who_id` the CreatedById of the user who made it."""

    at: datetime
    who: str
    action: str
    display: str
    flow: str | None
    who_id: str | None = None


def is_flow_activation(action: str) -> bool:
    """`activatedinteractiondefinition` / `activatedinteractiondefversion`
    (docs/platform-notes.md A4). Their `...WithSystemMode` twins record a run-mode change,
    not an activation."""
    lowered = action.lower()
    return lowered.startswith("activatedinteractiondef") and not lowered.endswith("withsystemmode")


# SetupAuditTrail Action codes in a person's words (docs/platform-notes.md A4); keys lower
# case, as Salesforce's capitalisation of them varies.
_ACTION_WORDS = {
    "activatedinteractiondefinition": "activated flow",
    "activatedinteractiondefversion": "activated flow version",
    "activatedinteractiondefinitionwithsystemmode": "changed flow run mode",
    "activatedinteractiondefversionwithsystemmode": "changed flow version run mode",
    "deactivatedinteractiondefinition": "deactivated flow",
    "deactivatedinteractiondefversion": "deactivated flow version",
    "permsetcreate": "created permission set",
}


def action_words(action: str) -> str:
    """A SetupAuditTrail Action for a person ("activated flow version"); an Action not
    known here is shown as Salesforce recorded it."""
    return _ACTION_WORDS.get(action.lower(), action)


def named_flow(display: str) -> str | None:
    """The flow's Unique Name a SetupAuditTrail Display text names, if any."""
    named = _UNIQUE_NAME.search(display)
    return named.group(1) if named else None


@dataclass(frozen=True)
class JobRuns:
    name: str  # CronJobDetail.Name, the allowlist's scheduled_apex name
    runs: int


@dataclass(frozen=True)
class RecordChanges:
    """Records of one object last changed by one user since a moment."""

    sobject: str
    user_id: str
    username: str
    records: int
    latest: datetime | None = None  # the newest change, when the query asked for it


# Queries ------------------------------------------------------------------------------------


def setup_audit_soql(since: datetime, limit: int) -> str:
    return (
        "SELECT CreatedDate, CreatedById, CreatedBy.Username, Action, Section, Display "  # noqa: S608 - a formatted datetime only
        f"FROM SetupAuditTrail WHERE CreatedDate >= {soql_datetime(since)} "
        f"ORDER BY CreatedDate DESC LIMIT {int(limit)}"
    )


def job_runs_soql(since: datetime) -> str:
    """Runs per scheduled job (CronJobDetail.Name) through AsyncApexJob.CronTriggerId; the
    relationship path is composed (docs/platform-notes.md A6 lists CronTriggerId, not the
    path)."""
    return (
        "SELECT CronTrigger.CronJobDetail.Name, COUNT(Id) runs FROM AsyncApexJob "  # noqa: S608 - a formatted datetime only
        f"WHERE CreatedDate >= {soql_datetime(since)} AND JobType = 'ScheduledApex' "
        "GROUP BY CronTrigger.CronJobDetail.Name ORDER BY COUNT(Id) DESC LIMIT 20"
    )


def login_counts_soql(since: datetime) -> str:
    """Logins per application and API type: LoginTime filters, Application and ApiType
    group but do not filter (docs/platform-notes.md A5)."""
    return (
        "SELECT Application, ApiType, COUNT(Id) logins FROM LoginHistory "  # noqa: S608 - a formatted datetime only
        f"WHERE LoginTime >= {soql_datetime(since)} "
        "GROUP BY Application, ApiType ORDER BY COUNT(Id) DESC LIMIT 10"
    )


def record_changes_soql(sobject: str, since: datetime, *, latest: bool = False) -> str:
    """The users who last changed the object's records since `since`, most records first
    (LastModifiedById and LastModifiedDate are standard on every object); with `latest`,
    each one's newest change too (MAX() takes dateTime fields: platform-notes S6)."""
    if not _SOBJECT.match(sobject):
        raise ValueError(f"not an object API name: {sobject!r}")
    newest = ", MAX(LastModifiedDate) latest" if latest else ""
    return (
        f"SELECT LastModifiedById, LastModifiedBy.Username, COUNT(Id) records{newest} "  # noqa: S608 - a checked API name and a formatted datetime
        f"FROM {sobject} WHERE LastModifiedDate >= {soql_datetime(since)} "
        "GROUP BY LastModifiedById, LastModifiedBy.Username "
        f"ORDER BY COUNT(Id) DESC LIMIT {CHANGING_USERS_PER_OBJECT}"
    )


# Readers ------------------------------------------------------------------------------------


async def setup_audit(
    client: SalesforceClient, since: datetime, *, limit: int = 50
) -> list[AuditRow]:
    """SetupAuditTrail rows since `since`, newest first (one query, one page)."""
    rows = []
    for record in await client.query(setup_audit_soql(since, limit)):
        display = str(record.get("Display") or "")
        created_by = record.get("CreatedBy") or {}
        rows.append(
            AuditRow(
                at=parse_time(str(record["CreatedDate"])),
                who=str(created_by.get("Username") or "unknown"),
                action=str(record.get("Action") or ""),
                display=display,
                flow=named_flow(display),
                who_id=str(record["CreatedById"]) if record.get("CreatedById") else None,
            )
        )
    return rows


async def job_runs(client: SalesforceClient, since: datetime) -> list[JobRuns]:
    """Scheduled Apex runs per job since `since`, most first (runs, not calls)."""
    found = []
    for record in await client.query(job_runs_soql(since)):
        name = str(record.get("Name") or "")
        if name:  # runs of a job aborted since have none
            found.append(JobRuns(name, int(record.get("runs") or 0)))
    return found


async def login_counts(client: SalesforceClient, since: datetime) -> list[tuple[str, int]]:
    """Logins per application since `since`, most first, as "Nightly ETL (REST)"."""
    hints = []
    for record in await client.query(login_counts_soql(since)):
        application = str(record.get("Application") or "unknown application")
        api_type = str(record.get("ApiType") or "")
        label = f"{application} ({api_type})" if api_type else application
        hints.append((label, int(record.get("logins") or 0)))
    return hints


async def record_changes(
    client: SalesforceClient, since: datetime, sobjects: Sequence[str], *, latest: bool = False
) -> tuple[list[RecordChanges], list[str]]:
    """Who changed how many records of each object since `since`, most first, in one
    composite call; and a note per object the org refused (not visible to the user)."""
    answers = await client.query_many(
        {sobject: record_changes_soql(sobject, since, latest=latest) for sobject in sobjects}
    )
    found, refused = [], []
    for sobject, records in answers.items():
        error = getattr(records, "error", None)
        if error is not None:
            refused.append(f"{sobject}: {error.error_code}")
            continue
        for record in records:
            user_id = str(record.get("LastModifiedById") or "")
            username = str(record.get("Username") or user_id or "unknown")
            newest = record.get("latest")
            found.append(
                RecordChanges(
                    sobject,
                    user_id,
                    username,
                    int(record.get("records") or 0),
                    parse_time(str(newest)) if newest else None,
                )
            )
    found.sort(key=lambda change: (-change.records, change.sobject, change.username))
    return found, refused


# `apibrake discover --suggest`'s evidence, one source each ----------------------------------


async def apex_runs(client: SalesforceClient, since: datetime) -> dict[str, int]:
    """Apex class name -> scheduled runs since `since` (one aggregate query, one page)."""
    records = await refusing(
        "AsyncApexJob",
        lambda: client.query(
            "SELECT ApexClass.Name, COUNT(Id) runs FROM AsyncApexJob "  # noqa: S608 - a formatted datetime only
            f"WHERE CreatedDate >= {soql_datetime(since)} AND JobType = 'ScheduledApex' "
            "GROUP BY ApexClass.Name ORDER BY COUNT(Id) DESC LIMIT 200"
        ),
    )
    runs: dict[str, int] = {}
    for record in records:
        name = record.get("Name") or (record.get("ApexClass") or {}).get("Name")
        if name:
            runs[str(name)] = int(record.get("runs") or 0)
    return runs


async def setup_activations(client: SalesforceClient, since: datetime) -> dict[str, Dated]:
    """flow:NAME -> its newest setup change since `since` (who activated or edited it)."""
    rows = await refusing("SetupAuditTrail", lambda: setup_audit(client, since, limit=200))
    found: dict[str, Dated] = {}
    for row in rows:
        if row.flow is not None and f"flow:{row.flow}" not in found:  # newest first
            who = row.who if row.who != "unknown" else None
            found[f"flow:{row.flow}"] = Dated(row.at, who, row.action or None)
    return found


async def flow_changes(client: SalesforceClient) -> dict[str, Dated]:
    """flow:NAME -> LastModifiedDate of every active flow (activation or edit). Active means
    an ActiveVersionId: IsActive is false for a flow running an older version under a newer
    draft (docs/platform-notes.md S4)."""
    records = await refusing(
        "FlowDefinitionView",
        lambda: client.query(
            "SELECT ApiName, NamespacePrefix, LastModifiedDate FROM FlowDefinitionView "
            "WHERE ActiveVersionId != null"
        ),
    )
    found = {}
    for record in records:
        name, namespace = record.get("ApiName"), record.get("NamespacePrefix")
        if name and record.get("LastModifiedDate"):
            qualified = f"{namespace}__{name}" if namespace else str(name)
            found[f"flow:{qualified}"] = Dated(parse_time(record["LastModifiedDate"]))
    return found


async def job_schedules(client: SalesforceClient) -> dict[str, Dated]:
    """scheduled_apex:NAME -> when the job was scheduled (CronTrigger.CreatedDate)."""
    records = await refusing(
        "CronTrigger",
        lambda: client.query(
            "SELECT CronJobDetail.Name, CreatedDate FROM CronTrigger "
            "WHERE CronJobDetail.JobType = '7'"  # scheduled Apex (docs/platform-notes.md S5)
        ),
    )
    found = {}
    for record in records:
        name = (record.get("CronJobDetail") or {}).get("Name")
        if name and record.get("CreatedDate"):
            found[f"scheduled_apex:{name}"] = Dated(parse_time(record["CreatedDate"]))
    return found


async def refusing(source: str, read: Callable[[], Awaitable[T]]) -> T:
    """`read`'s answer; a refusal (no permission, an object the edition lacks) as `Refused`."""
    try:
        return await read()
    except (PermissionDenied, RequestRejected) as error:
        raise Refused(source, error.message) from error


def parse_time(text: str) -> datetime:
    """Salesforce's dateTime: 2026-12-02T09:12:00.000+0000 (or ISO with Z)."""
    value = str(text).replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value).astimezone(UTC)

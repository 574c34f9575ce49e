"""What a Salesforce org records about its automations' activity, one query each: the
evidence `apibrake discover --suggest` ranks automations by (docs/platform-notes.md A4, A6).

- `apex_runs`: AsyncApexJob runs per Apex class since a moment (scheduled Apex ran).
- `setup_activations`: SetupAuditTrail rows naming a flow by its Unique Name (a flow was
  activated or edited), with who and when.
- `flow_changes`: FlowDefinitionView.LastModifiedDate of every active flow.
- `job_schedules`: CronTrigger.CreatedDate of every scheduled Apex job (when it was scheduled:
  SetupAuditTrail has no documented Action for scheduling a job, docs/platform-notes.md A4).

An org may refuse a source (no permission, an object its edition lacks): the caller gets
`Refused` with the platform's reason and goes on with the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apibrake.http.errors import PermissionDenied, RequestRejected
from apibrake.platforms.salesforce.soql import soql_datetime

# The Display text names a flow this way (docs/platform-notes.md A4).
_UNIQUE_NAME = re.compile(r'Unique Name "([^"]+)"')


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


async def apex_runs(client: Any, since: datetime) -> dict[str, int]:
    """Apex class name -> scheduled runs since `since` (one aggregate query, one page)."""
    records = await _query(
        client,
        "AsyncApexJob",
        "SELECT ApexClass.Name, COUNT(Id) runs FROM AsyncApexJob "  # noqa: S608 - a formatted datetime only
        f"WHERE CreatedDate >= {soql_datetime(since)} AND JobType = 'ScheduledApex' "
        "GROUP BY ApexClass.Name ORDER BY COUNT(Id) DESC LIMIT 200",
    )
    runs: dict[str, int] = {}
    for record in records:
        name = record.get("Name") or (record.get("ApexClass") or {}).get("Name")
        if name:
            runs[str(name)] = int(record.get("runs") or 0)
    return runs


async def setup_activations(client: Any, since: datetime) -> dict[str, Dated]:
    """flow:NAME -> its newest setup change since `since` (who activated or edited it)."""
    records = await _query(
        client,
        "SetupAuditTrail",
        "SELECT CreatedDate, CreatedBy.Username, Action, Section, Display "  # noqa: S608 - a formatted datetime only
        f"FROM SetupAuditTrail WHERE CreatedDate >= {soql_datetime(since)} "
        "ORDER BY CreatedDate DESC LIMIT 200",
    )
    found: dict[str, Dated] = {}
    for record in records:
        named = _UNIQUE_NAME.search(str(record.get("Display") or ""))
        if named is None:
            continue
        key = f"flow:{named.group(1)}"
        if key not in found:  # newest first
            who = (record.get("CreatedBy") or {}).get("Username")
            found[key] = Dated(
                _parse(record["CreatedDate"]), str(who) if who else None, record.get("Action")
            )
    return found


async def flow_changes(client: Any) -> dict[str, Dated]:
    """flow:NAME -> LastModifiedDate of every active flow (activation or edit). Active means
    an ActiveVersionId: IsActive is false for a flow running an older version under a newer
    draft (docs/platform-notes.md)."""
    records = await _query(
        client,
        "FlowDefinitionView",
        "SELECT ApiName, NamespacePrefix, LastModifiedDate FROM FlowDefinitionView "
        "WHERE ActiveVersionId != null",
    )
    found = {}
    for record in records:
        name, namespace = record.get("ApiName"), record.get("NamespacePrefix")
        if name and record.get("LastModifiedDate"):
            qualified = f"{namespace}__{name}" if namespace else str(name)
            found[f"flow:{qualified}"] = Dated(_parse(record["LastModifiedDate"]))
    return found


async def job_schedules(client: Any) -> dict[str, Dated]:
    """scheduled_apex:NAME -> when the job was scheduled (CronTrigger.CreatedDate)."""
    records = await _query(
        client,
        "CronTrigger",
        "SELECT CronJobDetail.Name, CreatedDate FROM CronTrigger "
        "WHERE CronJobDetail.JobType = '7'",  # scheduled Apex (docs/platform-notes.md S5)
    )
    found = {}
    for record in records:
        name = (record.get("CronJobDetail") or {}).get("Name")
        if name and record.get("CreatedDate"):
            found[f"scheduled_apex:{name}"] = Dated(_parse(record["CreatedDate"]))
    return found


async def _query(client: Any, source: str, soql: str) -> list[dict[str, Any]]:
    try:
        records: list[dict[str, Any]] = await client.query(soql)
    except (PermissionDenied, RequestRejected) as error:
        raise Refused(source, error.message) from error
    return records


def _parse(text: str) -> datetime:
    """Salesforce's dateTime: 2026-12-02T09:12:00.000+0000 (or ISO with Z)."""
    value = str(text).replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value).astimezone(UTC)

"""`apibrake discover CONNECTION`: the automations that exist on the platform.

Salesforce: flows and Process Builder processes (FlowDefinitionView for type and trigger,
Tooling FlowDefinition for the active version number) and scheduled Apex jobs (CronTrigger
and the AsyncApexJob that names each job's class). HubSpot: every workflow, 100 a page.
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import click

from apibrake.http.transport import platform_client
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection, Platform
from apibrake.platforms.connect import connect
from apibrake_cli.connections import require_connection
from apibrake_cli.context import common_options, confirm, output, target

SALESFORCE_CALLS = 4  # flows view, flow versions, cron triggers, their classes (2000 rows a page)
HUBSPOT_OBJECT_TYPES = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket"}
FIELDS = ("automation", "type", "trigger", "active", "detail", "allowlisted")


def planned_calls(platform: Platform) -> str:
    if platform is Platform.SALESFORCE:
        return f"{SALESFORCE_CALLS} Salesforce API calls (more only past 2,000 flows or jobs)"
    return "1 HubSpot API call per 100 workflows (at least 1)"


async def _salesforce(client: Any) -> list[dict[str, Any]]:
    views = await client.query(
        "SELECT ApiName, Label, ProcessType, TriggerType, ActiveVersionId, NamespacePrefix "
        "FROM FlowDefinitionView"
    )
    versions = await client.tooling_query(
        "SELECT DeveloperName, NamespacePrefix, ActiveVersion.VersionNumber FROM FlowDefinition"
    )
    jobs = await client.query(
        "SELECT Id, CronJobDetail.Name, CronExpression, NextFireTime, State, TimeZoneSidKey "
        "FROM CronTrigger WHERE CronJobDetail.JobType = '7'"
    )
    classes = await client.query(
        "SELECT ApexClass.Name, CronTriggerId FROM AsyncApexJob "
        "WHERE JobType = 'ScheduledApex' AND Status = 'Queued'"
    )
    active_version = {
        _qualified(v.get("DeveloperName"), v.get("NamespacePrefix")): (
            v.get("ActiveVersion") or {}
        ).get("VersionNumber")
        for v in versions
    }
    found = [
        {
            "automation": f"flow:{_qualified(view.get('ApiName'), view.get('NamespacePrefix'))}",
            "label": view.get("Label"),
            "type": "Process Builder"
            if view.get("ProcessType") == "Workflow"
            else view.get("ProcessType"),
            "trigger": view.get("TriggerType"),
            "active": active_version.get(
                _qualified(view.get("ApiName"), view.get("NamespacePrefix"))
            ),
            "detail": "",
        }
        for view in views
    ]
    class_of = {
        job.get("CronTriggerId"): (job.get("ApexClass") or {}).get("Name") for job in classes
    }
    for job in jobs:
        if job.get("State") in {"DELETED", "COMPLETE"}:
            continue
        found.append(
            {
                "automation": f"scheduled_apex:{(job.get('CronJobDetail') or {}).get('Name')}",
                "label": class_of.get(job.get("Id")),
                "type": "Scheduled Apex",
                "trigger": job.get("CronExpression"),
                "active": job.get("State"),
                "detail": f"class {class_of.get(job.get('Id')) or '?'}, "
                f"next {job.get('NextFireTime') or '-'}"
                f" ({job.get('TimeZoneSidKey') or '?'})",
                "apex_class": class_of.get(job.get("Id")),
                "next_fire_time": job.get("NextFireTime"),
            }
        )
    return found


async def _hubspot(client: Any) -> list[dict[str, Any]]:
    flows = await client.list_flows()
    return [
        {
            "automation": f"workflow:{flow.get('id')}",
            "label": flow.get("name"),
            "type": flow.get("flowType") or "WORKFLOW",
            "trigger": HUBSPOT_OBJECT_TYPES.get(
                str(flow.get("objectTypeId")), flow.get("objectTypeId")
            ),
            "active": "enabled" if flow.get("isEnabled") else "disabled",
            "detail": flow.get("name") or "",
        }
        for flow in flows
    ]


def _qualified(name: Any, namespace: Any) -> str:
    return f"{namespace}__{name}" if namespace else str(name)


async def inventory(connection: Connection, secret: dict[str, Any]) -> list[dict[str, Any]]:
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        if connection.platform is Platform.SALESFORCE:
            return await _salesforce(client)
        return await _hubspot(client)


def is_on(row: dict[str, Any]) -> bool:
    return row["active"] not in (None, "disabled", "DELETED", "COMPLETE", "PAUSED")


def write_starter(path: Path, connection_id: str, rows: list[dict[str, Any]]) -> int:
    """The active automations as allowlist entries to review, CSV for .csv, else JSON."""
    entries = []
    for row in rows:
        if not is_on(row) or row.get("allowlisted"):
            continue
        entry = AllowlistEntry(
            connection_id=connection_id,
            automation=row["automation"],
            note=f"review: {row.get('label') or ''} ({row.get('type')})".strip(),
        )
        entries.append(
            entry.model_dump(mode="json", exclude={"added_by", "allow_managed", "drives"})
        )
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(
                stream, fieldnames=["connection_id", "automation", "tier", "note"]
            )
            writer.writeheader()
            writer.writerows(entries)
    else:
        path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    return len(entries)


@click.command()
@click.argument("connection_id")
@click.option(
    "--write",
    "write_to",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a starter allowlist (.csv or .json) of the active automations not yet allowlisted.",
)
@click.option("--yes", is_flag=True, help="Spend the API calls without asking.")
@common_options
def discover(connection_id: str, write_to: Path | None, yes: bool) -> None:
    """List the automations on the platform and mark the allowlisted ones."""
    out = output()
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        out.note(f"Discovery of {connection_id} spends {planned_calls(connection.platform)}.")
        confirm("Spend them?", yes=yes)
        secret = stack.secret(connection.secret_id)
        entries, _ = stack.allowlist.for_connection(connection_id)
        rows = asyncio.run(inventory(connection, secret))
    tiers = {entry.automation: entry.tier for entry in entries}
    for row in rows:
        row["allowlisted"] = tiers.get(row["automation"])
    written = write_starter(write_to, connection_id, rows) if write_to else None
    if out.json_mode:
        out.json(
            {
                "connection_id": connection_id,
                "automations": rows,
                "written": str(write_to) if write_to else None,
                "entries_written": written,
            }
        )
        return
    out.table(
        f"Automations of {connection_id} ({connection.platform.value})",
        ["automation", "label", "type", "trigger / object", "active", "detail", "allowlisted"],
        [
            [
                r["automation"],
                r.get("label"),
                r["type"],
                r["trigger"],
                r["active"],
                r["detail"],
                f"tier {r['allowlisted']}" if r["allowlisted"] else "",
            ]
            for r in rows
        ],
    )
    if write_to:
        out.say(
            f"Wrote {written} entries to {write_to}: review them, "
            f"then apibrake allowlist import {write_to}"
        )

"""`apibrake discover CONNECTION`: the automations that exist on the platform.

Each automation kind's adapter owns its discovery query (`Adapter.discover`): Salesforce
flows and Process Builder processes, scheduled Apex jobs; HubSpot workflows. `--suggest`
ranks them by evidence of activity and proposes allowlist entries (`suggest.py`).
"""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from apibrake.http.transport import platform_client
from apibrake.incident.adapters import adapters_for
from apibrake.incident.adapters.workflow import BRANCHING_NOTE
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection, Platform
from apibrake.models.protected import KEEP_RUNNING, is_hubspot_connector
from apibrake.models.words import counted
from apibrake.platforms.connect import connect
from apibrake.rehearsal.canaries import is_canary
from apibrake_cli.connections import require_connection
from apibrake_cli.context import common_options, confirm, output, target
from apibrake_cli.output import moment
from apibrake_cli.steps import command_line
from apibrake_cli.suggest import (
    SUGGEST_CALLS,
    Gathered,
    Ranked,
    proposals,
    rank,
    salesforce_evidence,
)

# Flows view, flow versions, cron triggers, their classes and constructors; the global
# describe; users, their frozen logins and LoginHistory. Each custom setting adds 2.
SALESFORCE_CALLS = 9
# Kinds a starter file never proposes: a kill switch needs its brake_value decided, a user
# freeze is opt-in at tier 2 or higher.
_NOT_STARTERS = ("setting:", "user:")
FIELDS = ("automation", "type", "trigger", "active", "detail", "allowlisted")


def planned_calls(platform: Platform, *, suggest: bool = False) -> str:
    if platform is Platform.SALESFORCE:
        calls = SALESFORCE_CALLS + (SUGGEST_CALLS if suggest else 0)
        return (
            f"{calls} Salesforce API calls, 2 more per custom setting (more only past 2,000 "
            "flows, jobs or users)"
        )
    return "1 HubSpot API call per 100 workflows, 1 more per 100 enabled ones (at least 1)"


async def inventory(
    connection: Connection, secret: dict[str, Any], *, suggest: bool = False
) -> tuple[list[dict[str, Any]], Gathered]:
    """Every adapter's discovery query for the connection's platform, in turn; with
    `suggest`, the evidence of activity too (Salesforce only: HubSpot keeps none)."""
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        found = []
        for adapter in adapters_for(connection.platform):
            found += [item.as_dict() for item in await adapter.discover(client)]
        gathered = Gathered()
        if suggest and connection.platform is Platform.SALESFORCE:
            gathered = await salesforce_evidence(client, datetime.now(UTC))
        return found, gathered


def is_on(row: dict[str, Any]) -> bool:
    return row["active"] not in (None, "disabled", "DELETED", "COMPLETE", "PAUSED")


def write_starter(path: Path, connection_id: str, rows: list[dict[str, Any]]) -> int:
    """The active automations as allowlist entries to review, CSV for .csv, else JSON
    (kill switches and users are listed by discover but never proposed)."""
    entries = []
    for row in rows:
        if not is_on(row) or row.get("allowlisted"):
            continue
        if str(row["automation"]).startswith(_NOT_STARTERS) or row.get("canary"):
            continue  # a canary is for `apibrake rehearse` alone
        entry = AllowlistEntry(
            connection_id=connection_id,
            automation=row["automation"],
            note=f"review: {row.get('label') or ''} ({row.get('type')})".strip(),
        )
        entries.append(
            entry.model_dump(
                mode="json",
                exclude={
                    "added_by",
                    "allow_managed",
                    "allow_inexact_restore",
                    "drives",
                    "brake_value",
                    "freeze_at_tier_1",
                    "canary",
                },
            )
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
@click.option(
    "--suggest",
    is_flag=True,
    help="Rank the automations by evidence of activity (runs, recent activation) and print "
    "the `apibrake allowlist add` lines worth running.",
)
@click.option("--yes", is_flag=True, help="Spend the API calls without asking.")
@common_options
def discover(connection_id: str, write_to: Path | None, suggest: bool, yes: bool) -> None:
    """List the automations on the platform and mark the allowlisted ones."""
    out = output()
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        cost = planned_calls(connection.platform, suggest=suggest)
        out.note(f"Discovery of {connection_id} spends {cost}.")
        confirm("Spend them?", yes=yes)
        secret = stack.secret(connection.secret_id)
        entries, _ = stack.allowlist.for_connection(connection_id)
        rehearsals = stack.state.rehearsals(connection_id)
        rows, gathered = asyncio.run(inventory(connection, secret, suggest=suggest))
    tiers = {entry.automation: entry.tier for entry in entries}
    canaries = {entry.automation for entry in entries if entry.canary}
    branch_proof = next((r for r in rehearsals if r.proves_branch_updates), None)
    for row in rows:
        row["allowlisted"] = tiers.get(row["automation"])
        row["canary"] = row["automation"] in canaries or is_canary(
            row["automation"], row.get("label")
        )
        if branch_proof is not None and BRANCHING_NOTE in str(row.get("detail")):
            when = moment(branch_proof.rehearsed_at)
            proven = f"; list branches: updates proven by the rehearsal of {when}"
            row["detail"] = str(row["detail"]).replace(BRANCHING_NOTE, proven)
    connector = connector_users(rows)
    written = write_starter(write_to, connection_id, rows) if write_to else None
    if suggest:
        _suggest(connection, rows, gathered)
        if not output().json_mode:
            say_connector(connection, connector)
        return
    if out.json_mode:
        out.json(
            {
                "connection_id": connection_id,
                "automations": rows,
                "written": str(write_to) if write_to else None,
                "entries_written": written,
                "connector_users": connector,
                "protected_consumers": list(connection.protected_consumers),
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
            f"Wrote {counted(written or 0, 'entry', 'entries')} to {write_to}: review them, "
            f"then {command_line('allowlist', 'import', str(write_to))}"
        )
    say_connector(connection, connector)


def connector_users(rows: list[dict[str, Any]]) -> list[str]:
    """Users whose API logins came through a HubSpot application (LoginHistory), or, when
    the logins cannot be read, whose name or username says HubSpot: the connector's."""
    found = []
    for row in rows:
        kind, _, username = str(row["automation"]).partition(":")
        if kind != "user":
            continue
        names = [*(row.get("applications") or []), str(row.get("label") or ""), username]
        if any(is_hubspot_connector(name) for name in names):
            found.append(username)
    return found


def say_connector(connection: Connection, users: list[str]) -> None:
    """Each connector user, protected or with the line that protects it."""
    out = output()
    for user in users:
        if connection.protected.listed(user):
            out.say(f"HubSpot connector's integration user {user}: protected ({KEEP_RUNNING}).")
            continue
        out.say(
            f"HubSpot connector's integration user {user} is not in protected_consumers; "
            "protect it (apibrake never freezes it then):"
        )
        click.echo(f"  {command_line('connections', 'protect', connection.connection_id, user)}")


# No daily ApiTotalUsage summary is read here: said once, with what turns it on.
NO_DAILY_SHARES = (
    "yesterday's share of calls: no daily ApiTotalUsage summary collected for this "
    "connection (turn on event log generation, docs/setup.md)"
)


def _suggest(connection: Connection, rows: list[dict[str, Any]], gathered: Gathered) -> None:
    out = output()
    now = datetime.now(UTC)
    ranked = rank(rows, gathered, {}, now)
    salesforce = connection.platform is Platform.SALESFORCE
    proposed = proposals(connection.connection_id, ranked, now, need_evidence=salesforce)
    notes = [*gathered.notes]
    if salesforce:
        notes.append(NO_DAILY_SHARES)
    else:
        notes.append("workflow runs: HubSpot's API records none, so enabled workflows are proposed")
    if out.json_mode:
        out.json(
            {
                "connection_id": connection.connection_id,
                "ranked": [_ranked_json(item, now) for item in ranked],
                "proposed": proposed,
                "notes": notes,
            }
        )
        return
    out.table(
        f"Automations of {connection.connection_id} by evidence of activity",
        ["automation", "active", "score", "evidence", "allowlisted"],
        [
            [
                item.row["automation"],
                item.row["active"],
                f"{item.score:g}",
                "; ".join(item.proof.reasons(now)) or "-",
                f"tier {item.row['allowlisted']}" if item.row["allowlisted"] else "",
            ]
            for item in ranked
        ],
    )
    for note in notes:
        out.note(f"Evidence not used: {note}.")
    if not proposed:
        out.say(
            "Nothing to propose: no active automation outside the allowlist shows activity. "
            "A starter list of every active one:"
        )
        starter = command_line("discover", connection.connection_id, "--write", "starter.csv")
        click.echo(f"  {starter}")
        return
    out.say("Proposed allowlist entries (review each, then run the line):")
    for entry in proposed:
        click.echo(f"  {entry['command']}")  # whole, never wrapped: a line to copy


def _ranked_json(item: Ranked, now: datetime) -> dict[str, Any]:
    return {
        "automation": item.row["automation"],
        "active": item.row["active"],
        "allowlisted": item.row["allowlisted"],
        "score": item.score,
        "evidence": item.proof.reasons(now),
        "runs_24h": item.proof.runs,
        "share": item.proof.share,
        "changed_at": (change.at.isoformat() if (change := item.proof.newest_change()) else None),
        "changed_by": item.proof.activated.who if item.proof.activated else None,
    }

"""`apibrake discover CONNECTION`: the automations that exist on the platform.

Each automation kind's adapter owns its discovery query (`Adapter.discover`): Salesforce
flows and Process Builder processes, scheduled Apex jobs; HubSpot workflows. `--suggest`
ranks them by evidence of activity and proposes allowlist entries (`suggest.py`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from apibrake.http.transport import platform_client
from apibrake.incident.adapters import adapters_for
from apibrake.incident.adapters.workflow import BRANCHING_NOTE
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.automation_text import with_label
from apibrake.models.connection import Connection, Platform
from apibrake.models.protected import KEEP_RUNNING, is_hubspot_connector
from apibrake.models.rehearsal import RehearsalRecord
from apibrake.models.words import counted
from apibrake.platforms.connect import connect
from apibrake.rehearsal.canaries import is_canary
from apibrake_cli.allowlist_files import COMMENT
from apibrake_cli.connections import require_connection
from apibrake_cli.context import common_options, confirm, output, target
from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.output import moment
from apibrake_cli.steps import command_line
from apibrake_cli.suggest import (
    DEFAULT_PROPOSALS,
    SUGGEST_CALLS,
    Gathered,
    Ranked,
    proposals,
    rank,
    salesforce_evidence,
)

# Flows view, flow versions, cron triggers, their classes and constructors; the global
# describe; users, their frozen logins and LoginHistory; connected apps and their
# permission-set links. Each custom setting adds 2.
SALESFORCE_CALLS = 11
# Kinds a starter file never holds: a kill switch needs its brake_value decided, a user
# freeze is opt-in at tier 2 or higher, an app entry needs its permission set named.
_NOT_STARTERS = ("setting:", "user:", "app:")
STARTER_COLUMNS = ("connection_id", "automation", "tier", "note")
NOT_PROPOSED = (
    "Active, not proposed by --suggest (no evidence of activity, or past the first "
    f"{DEFAULT_PROPOSALS}): delete the '{COMMENT} ' before a line to allowlist it."
)
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


def _starter_entry(connection_id: str, automation: str, note: str) -> dict[str, Any]:
    entry = AllowlistEntry(connection_id=connection_id, automation=automation, note=note)
    return entry.model_dump(mode="json", include={"connection_id", "automation", "tier", "note"})


def starter_entries(
    connection: Connection, ranked: list[Ranked], proposed: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What `--suggest` proposes, as entries, and the other active automations a starter
    may hold, best evidence first, to review. Kill switches and users are listed by
    discover but never written (a brake_value and a freeze are a person's call, at tier 2);
    nor are canaries (for `apibrake rehearse` alone), allowlisted ones (re-importing one
    would reset it to tier 1) or protected consumers."""
    cid = connection.connection_id
    chosen = {item["automation"]: item for item in proposed}
    entries = [_starter_entry(cid, item["automation"], item["note"]) for item in proposed]
    rest = []
    for item in ranked:
        row = item.row
        automation = str(row["automation"])
        if automation in chosen or not is_on(row) or row.get("allowlisted") or row.get("canary"):
            continue
        if automation.startswith(_NOT_STARTERS) or connection.protected.refusal(automation):
            continue
        note = f"review: {row.get('label') or ''} ({row.get('type')})"
        rest.append(_starter_entry(cid, automation, note))
    return entries, rest


def write_starter(
    path: Path, entries: list[dict[str, Any]], commented: list[dict[str, Any]]
) -> None:
    """CSV for .csv (the rest as # comment lines), else JSON ({"entries": [...],
    "not_proposed": [...]}: `allowlist import` reads "entries" alone)."""
    if path.suffix.lower() != ".csv":
        whole = {"entries": entries, "not_proposed": commented}
        path.write_text(json.dumps(whole, indent=2) + "\n", encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(STARTER_COLUMNS))
        writer.writeheader()
        writer.writerows(entries)
        if not commented:
            return
        stream.write(f"{COMMENT} {NOT_PROPOSED}\r\n")
        for entry in commented:
            line = io.StringIO()
            csv.DictWriter(line, fieldnames=list(STARTER_COLUMNS)).writerow(entry)
            stream.write(f"{COMMENT} {line.getvalue()}")


def refuse_to_replace(path: Path, *, force: bool) -> None:
    """An existing file may hold a person's edits: replaced only with --force, and said
    before any API call is spent."""
    if path.exists() and not force:
        raise CliError(
            f"{path} exists: not replaced (it may hold your edits)",
            code=ExitCode.BAD_INPUT,
            hint="write to another file, or add --force to replace it",
        )


@dataclass(frozen=True)
class Suggested:
    """The automations ranked by evidence, what --suggest proposes, and when it was said."""

    ranked: list[Ranked]
    proposed: list[dict[str, Any]]
    now: datetime


@dataclass(frozen=True)
class Written:
    path: Path
    entries: int
    commented: int

    def as_json(self) -> dict[str, Any]:
        return {
            "written": str(self.path),
            "entries_written": self.entries,
            "entries_commented_out": self.commented,
        }

    def say(self) -> None:
        rest = f" ({self.commented} more commented out)" if self.commented else ""
        output().say(
            f"Wrote {counted(self.entries, 'entry', 'entries')}{rest} to {self.path}: review "
            f"them, then {command_line('allowlist', 'import', str(self.path))}"
        )


@click.command()
@click.argument("connection_id")
@click.option(
    "--write",
    "write_to",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a starter allowlist (.csv or .json): what --suggest proposes, the other "
    "active automations not yet allowlisted commented out (evidence costs the calls "
    "--suggest spends). Never replaces a file without --force.",
)
@click.option("--force", is_flag=True, help="Let --write replace an existing file.")
@click.option(
    "--suggest",
    is_flag=True,
    help="Rank the automations by evidence of activity (runs, recent activation) and print "
    "the `apibrake allowlist add` lines worth running.",
)
@click.option("--yes", is_flag=True, help="Spend the API calls without asking.")
@common_options
def discover(
    connection_id: str, write_to: Path | None, force: bool, suggest: bool, yes: bool
) -> None:
    """List the automations on the platform and mark the allowlisted ones."""
    out = output()
    if write_to is not None:
        refuse_to_replace(write_to, force=force)
    ranks = suggest or write_to is not None  # a starter file holds what --suggest proposes
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        cost = planned_calls(connection.platform, suggest=ranks)
        out.note(f"Discovery of {connection_id} spends {cost}.")
        confirm("Spend them?", yes=yes)
        secret = stack.secret(connection.secret_id)
        entries, _ = stack.allowlist.for_connection(connection_id)
        rehearsals = stack.state.rehearsals(connection_id)
        rows, gathered = asyncio.run(inventory(connection, secret, suggest=ranks))
    _mark(rows, entries, rehearsals)
    connector = connector_users(rows)
    suggested = _rank(connection, rows, gathered) if ranks else None
    written = None
    if write_to is not None and suggested is not None:
        proposed, commented = starter_entries(connection, suggested.ranked, suggested.proposed)
        write_starter(write_to, proposed, commented)
        written = Written(write_to, len(proposed), len(commented))
    if suggest and suggested is not None:
        _suggest(connection, suggested, gathered, written)
    else:
        _list(connection, rows, connector, written)
    if not out.json_mode:
        say_connector(connection, connector)


def _mark(
    rows: list[dict[str, Any]],
    entries: list[AllowlistEntry],
    rehearsals: Sequence[RehearsalRecord],
) -> None:
    """Each row's allowlist tier and whether it is a canary; a branching workflow's note
    replaced by the rehearsal that proved its brake, if any."""
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


def _rank(connection: Connection, rows: list[dict[str, Any]], gathered: Gathered) -> Suggested:
    now = datetime.now(UTC)
    ranked = rank(rows, gathered, {}, now)
    proposed = proposals(
        connection.connection_id,
        ranked,
        now,
        need_evidence=connection.platform is Platform.SALESFORCE,
        protected=connection.protected,
    )
    return Suggested(ranked, proposed, now)


def _list(
    connection: Connection,
    rows: list[dict[str, Any]],
    connector: list[str],
    written: Written | None,
) -> None:
    out = output()
    if out.json_mode:
        out.json(
            {
                "connection_id": connection.connection_id,
                "automations": rows,
                **(written.as_json() if written else {"written": None, "entries_written": None}),
                "connector_users": connector,
                "protected_consumers": list(connection.protected_consumers),
            }
        )
        return
    out.table(
        f"Automations of {connection.connection_id} ({connection.platform.value})",
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
    if written is not None:
        written.say()


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


def _suggest(
    connection: Connection, suggested: Suggested, gathered: Gathered, written: Written | None
) -> None:
    out = output()
    ranked, proposed, now = suggested.ranked, suggested.proposed, suggested.now
    notes = [*gathered.notes]
    if connection.platform is Platform.SALESFORCE:
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
                **(written.as_json() if written else {}),
            }
        )
        return
    out.table(
        f"Automations of {connection.connection_id} by evidence of activity",
        ["automation", "active", "score", "evidence", "allowlisted"],
        [
            [
                with_label(item.row["automation"], item.row.get("label")),
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
    if proposed:
        out.say("Proposed allowlist entries (review each, then run the line):")
        for entry in proposed:
            click.echo(f"  {entry['command']}")  # whole, never wrapped: a line to copy
    else:
        out.say("Nothing to propose: no active automation outside the allowlist shows activity.")
    if written is not None:
        written.say()
    elif not proposed:
        out.say("A starter file of every active one, commented out, to review:")
        starter = command_line("discover", connection.connection_id, "--write", "starter.csv")
        click.echo(f"  {starter}")


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

"""`apibrake allowlist add|remove|list|import`: the only automations the brake may touch."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection
from apibrake.models.protected import PROTECTED_FIELD
from apibrake.models.words import counted
from apibrake.store.allowlist import InvalidEntry
from apibrake_cli.allowlist_changes import Outcome, compare
from apibrake_cli.allowlist_check import Existence, check_existence
from apibrake_cli.allowlist_files import BadRow, parse_file
from apibrake_cli.apex_exactness import advice
from apibrake_cli.connections import require_connection
from apibrake_cli.context import WholeHelpGroup, common_options, fail, output, target
from apibrake_cli.errors import CliError, ExitCode, field_error
from apibrake_cli.steps import command_line
from apibrake_cli.target import Target

NO_CHECK_HELP = (
    "Skip the check that each automation exists in the org or portal (one read per kind, "
    "as a brake makes; a few calls more to list close names for one not found): for "
    "offline use. A scheduled Apex job is then not checked for an exact restore either."
)


@click.group(cls=WholeHelpGroup)
def allowlist() -> None:
    """The automations the brake may switch off (KIND:NAME per connection)."""


def _entry_json(entry: AllowlistEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


@allowlist.command("add")
@click.argument("connection_id")
@click.argument("automation")
@click.option("--tier", type=int, default=1, show_default=True)
@click.option("--note", default="")
@click.option("--added-by", default="")
@click.option("--allow-managed", is_flag=True, help="Let the brake try a managed-package flow.")
@click.option(
    "--allow-inexact-restore",
    is_flag=True,
    help="Let the brake abort a scheduled Apex job it cannot re-create exactly (another owner "
    "or time zone); release says what differs.",
)
@click.option(
    "--brake-value",
    type=click.BOOL,
    default=None,
    help="setting entries: the value the brake sets the field to (default true).",
)
@click.option(
    "--freeze-at-tier-1",
    is_flag=True,
    help="user entries: allow tier 1 (a user freeze is tier 2 or higher otherwise).",
)
@click.option(
    "--permission-set",
    default=None,
    help="app entries: the permission set (API name) whose access to the app the brake "
    "removes (required for app entries).",
)
@click.option("--no-check", is_flag=True, help=NO_CHECK_HELP)
@common_options
def add(
    connection_id: str,
    automation: str,
    tier: int,
    note: str,
    added_by: str,
    allow_managed: bool,
    allow_inexact_restore: bool,
    brake_value: bool | None,
    freeze_at_tier_1: bool,
    permission_set: str | None,
    no_check: bool,
) -> None:
    """Allow the brake to switch AUTOMATION off (flow:NAME, scheduled_apex:NAME, workflow:ID,
    setting:Setting__c.Field__c, user:USERNAME at tier 2 or higher, app:NAME with
    --permission-set)."""
    out = output()
    try:
        entry = AllowlistEntry(
            connection_id=connection_id,
            automation=automation,
            tier=tier,
            note=note,
            added_by=added_by,
            allow_managed=allow_managed,
            allow_inexact_restore=allow_inexact_restore,
            brake_value=brake_value,
            freeze_at_tier_1=freeze_at_tier_1,
            permission_set=permission_set,
        )
    except ValidationError as exc:
        raise field_error(exc, f"allowlist entry {automation}") from None
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        refused = connection.protected.refusal(entry.automation)
        if refused is not None:
            raise CliError(
                f"allowlist entry {automation}: field '{PROTECTED_FIELD}': "
                + refused.removeprefix(f"{PROTECTED_FIELD}: "),
                code=ExitCode.BAD_INPUT,
                hint=f"see {command_line('connections', 'list')}; "
                f"{command_line('discover', connection_id, '--suggest')} "
                "names what changes the records",
            )
        existence = None if no_check else _existing(stack, connection, entry)
        if existence is not None:
            entry = existence.labelled(entry)
        stored, _ = stack.allowlist.for_connection(connection_id)
        outcome = compare([entry], {(e.connection_id, e.automation): e for e in stored})
        stack.allowlist.put(entry)
    warnings = [] if existence is None else existence.warnings(connection_id)
    if existence is not None and not allow_inexact_restore:
        warnings += _inexact(existence)
    _say_added(connection, entry, outcome, existence, warnings)


def _existing(stack: Target, connection: Connection, entry: AllowlistEntry) -> Existence:
    """The brake's read of the entry's automation; refused when it matches nothing."""
    secret = stack.secret(connection.secret_id)
    existence = asyncio.run(check_existence(connection, secret, [entry]))
    if existence.not_found:
        (missing,) = existence.not_found
        raise CliError(
            f"allowlist entry {entry.automation}: field 'automation': "
            + missing.reason(connection.platform),
            code=ExitCode.BAD_INPUT,
            hint=f"{command_line('discover', connection.connection_id, '--yes')} lists the "
            f"names (this check spent {counted(existence.api_calls, 'API call')}); "
            "--no-check adds an entry unchecked",
        )
    return existence


def _inexact(existence: Existence) -> list[str]:
    """Scheduled Apex jobs the brake would not put back exactly, from the check's own read."""
    jobs = existence.observed.get(AutomationKind.SCHEDULED_APEX, {})
    return [
        advice(name, o.summary["inexact"]) for name, o in jobs.items() if o.summary.get("inexact")
    ]


def _say_added(
    connection: Connection,
    entry: AllowlistEntry,
    outcome: Outcome,
    existence: Existence | None,
    warnings: list[str],
) -> None:
    out = output()
    calls = existence.api_calls if existence is not None else None
    if out.json_mode:
        state = "added" if outcome.added else "changed" if outcome.changed else "unchanged"
        out.json(
            {
                "added": _entry_json(entry),
                "outcome": state,
                "changes": [change.as_json(connection) for change in outcome.changed],
                "warnings": warnings,
                "api_calls": calls,
            }
        )
        return
    where = f"{entry.named_automation} on {entry.connection_id}"
    if outcome.added:
        out.say(f"Allowlisted {where} (tier {entry.tier}).")
    for change in outcome.changed:
        out.say(f"Changed {change.describe(connection)}.")
    if outcome.unchanged:
        out.say(f"{where} was allowlisted already, as given (tier {entry.tier}): unchanged.")
    if calls is None:
        out.note("Not checked against the platform (--no-check).")
    else:
        out.note(f"Checked it on the platform ({counted(calls, 'API call')}).")
    for warning in warnings:
        out.say(f"Warning: {warning}")


@allowlist.command("remove")
@click.argument("connection_id")
@click.argument("automation")
@common_options
def remove(connection_id: str, automation: str) -> None:
    """Take AUTOMATION off the allowlist."""
    out = output()
    with target(out) as stack:
        entries, invalid = stack.allowlist.for_connection(connection_id)
        known = {e.automation for e in entries} | {i.automation for i in invalid}
        if automation not in known:
            raise CliError(
                f"{automation} is not on the allowlist of {connection_id}",
                code=ExitCode.NOT_FOUND,
                hint=f"see {command_line('allowlist', 'list', connection_id)}",
            )
        stack.allowlist.delete(connection_id, automation)
    if out.json_mode:
        out.json({"removed": {"connection_id": connection_id, "automation": automation}})
    else:
        out.say(f"Removed {automation} from the allowlist of {connection_id}.")


@allowlist.command("list")
@click.argument("connection_id", required=False)
@common_options
def list_entries(connection_id: str | None) -> None:
    """The allowlist of one connection, or of every connection."""
    out = output()
    with target(out) as stack:
        if connection_id:
            require_connection(stack, connection_id)
            ids = [connection_id]
        else:
            connections, _ = stack.connections.load(include_disabled=True)
            ids = [c.connection_id for c in connections]
        entries: list[AllowlistEntry] = []
        invalid: list[InvalidEntry] = []
        for cid in ids:
            valid, broken = stack.allowlist.for_connection(cid)
            entries += valid
            invalid += broken
    if out.json_mode:
        out.json(
            {"entries": [_entry_json(e) for e in entries], "invalid": [vars(i) for i in invalid]}
        )
        return
    out.table(
        "Allowlist",
        ["connection", "automation", "tier", "note", "added by", "managed ok"],
        [
            [e.connection_id, e.named_automation, e.tier, e.note, e.added_by, e.allow_managed]
            for e in entries
        ],
    )
    for bad in invalid:
        out.say(
            f"invalid entry {bad.connection_id} {bad.automation}: field '{bad.field}': {bad.error}"
        )


@allowlist.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--no-check", is_flag=True, help=NO_CHECK_HELP)
@common_options
def import_file(file: Path, no_check: bool) -> None:
    """Import entries from CSV or JSON; if any row is bad, nothing is imported.

    CSV header: connection_id,automation,tier,note,added_by,allow_managed,
    allow_inexact_restore,drives,brake_value,freeze_at_tier_1,permission_set (drives:
    connection ids separated by ;). Separated by , or ; (Excel), UTF-8 with or without a
    byte-order mark; lines starting with # are comments. JSON: an array,
    {"entries": [...]}, or one object per line. Each automation is checked to exist (one
    read per kind and connection) unless --no-check.
    """
    out = output()
    good, bad = parse_file(file)
    checked = PlatformCheck()
    with target(out) as stack:
        connections, _ = stack.connections.load(include_disabled=True)
        known = {c.connection_id: c for c in connections}
        bad += _refused_rows(good, known)
        if not no_check:
            storable = [(line, e) for line, e in good if not _refused(e, known)]
            checked = _check_platforms(stack, storable, known)
            bad += checked.not_found
            good = [(line, checked.labelled(entry)) for line, entry in good]
        if bad:
            _refuse_file(file, bad, checked)
        stored = {
            (e.connection_id, e.automation): e
            for cid in sorted({e.connection_id for _, e in good})
            for e in stack.allowlist.for_connection(cid)[0]
        }
        outcome = compare([entry for _, entry in good], stored)
        # An unchanged row is stored again only to keep the platform's newer name, or, when
        # it drives another connection, to carry the DrivesIndex marker (rows stored before
        # the index existed lack it, and a brake's linked-brake lookup reads the index).
        renamed = [
            e
            for e in outcome.unchanged
            if e.label != stored[(e.connection_id, e.automation)].label or e.drives
        ]
        for entry in [*outcome.added, *(change.entry for change in outcome.changed), *renamed]:
            stack.allowlist.put(entry)
    _say_imported(file, outcome, known, checked)


def _refused(entry: AllowlistEntry, known: dict[str, Connection]) -> str | None:
    """Why the entry may not be stored whatever the platform holds, or None."""
    connection = known.get(entry.connection_id)
    if connection is None:
        return f"no connection {entry.connection_id!r} ({command_line('connections', 'list')})"
    return connection.protected.refusal(entry.automation)


def _refused_rows(
    good: list[tuple[int, AllowlistEntry]], known: dict[str, Connection]
) -> list[BadRow]:
    rows = []
    for line, entry in good:
        refused = _refused(entry, known)
        if refused is None:
            continue
        if entry.connection_id not in known:
            rows.append(BadRow(line, "connection_id", refused))
        else:
            rows.append(BadRow(line, PROTECTED_FIELD, refused.removeprefix(f"{PROTECTED_FIELD}: ")))
    return rows


@dataclass
class PlatformCheck:
    """What checking a file's automations against the platforms found: the rows naming
    nothing there, kinds left unchecked, the calls spent (None: not checked)."""

    not_found: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    api_calls: int | None = None
    # (connection, automation) -> the name the platform showed for it.
    labels: dict[tuple[str, str], str] = field(default_factory=dict)

    def labelled(self, entry: AllowlistEntry) -> AllowlistEntry:
        label = self.labels.get((entry.connection_id, entry.automation))
        return entry.model_copy(update={"label": label}) if label else entry

    def say(self) -> None:
        out = output()
        if self.api_calls is None:
            out.note("Not checked against the platforms (--no-check).")
        else:
            out.note(
                f"Checked each automation on its platform ({counted(self.api_calls, 'API call')})."
            )
        for warning in self.warnings:
            out.say(f"Warning: {warning}")


def _check_platforms(
    stack: Target, good: list[tuple[int, AllowlistEntry]], known: dict[str, Connection]
) -> PlatformCheck:
    """One existence check per connection among `good`."""
    checked = PlatformCheck(api_calls=0)
    for cid in sorted({entry.connection_id for _, entry in good}):
        connection = known[cid]
        entries = [(line, e) for line, e in good if e.connection_id == cid]
        secret = stack.secret(connection.secret_id)
        existence = asyncio.run(check_existence(connection, secret, [e for _, e in entries]))
        checked.api_calls = (checked.api_calls or 0) + existence.api_calls
        checked.warnings += existence.warnings(cid)
        for _, entry in entries:
            if label := existence.labelled(entry).label:
                checked.labels[(cid, entry.automation)] = label
        problems = {m.automation: m.problem(connection.platform) for m in existence.not_found}
        checked.not_found += [
            BadRow(line, "automation", problems[e.automation])
            for line, e in entries
            if e.automation in problems
        ]
    return checked


def _refuse_file(file: Path, bad: list[BadRow], checked: PlatformCheck) -> None:
    out = output()
    bad.sort(key=lambda row: row.line)
    if not out.json_mode:
        out.table(
            f"{file}: {counted(len(bad), 'bad row')}, nothing imported",
            ["line", "field", "problem"],
            [[b.line, b.field, b.message] for b in bad],
        )
        checked.say()
    fail(
        CliError(
            f"{counted(len(bad), 'bad row')} in {file}; nothing imported",
            code=ExitCode.BAD_INPUT,
            hint="fix those lines and import the file again",
        ),
        out,
        {"imported": 0, "bad_rows": [vars(b) for b in bad], "api_calls": checked.api_calls},
    )


def _say_imported(
    file: Path, outcome: Outcome, known: dict[str, Connection], checked: PlatformCheck
) -> None:
    out = output()
    if out.json_mode:
        out.json(
            {
                "imported": len(outcome.added) + len(outcome.changed) + len(outcome.unchanged),
                "added": len(outcome.added),
                "changed": [c.as_json(known[c.entry.connection_id]) for c in outcome.changed],
                "unchanged": len(outcome.unchanged),
                "bad_rows": [],
                "api_calls": checked.api_calls,
                "warnings": checked.warnings,
            }
        )
        return
    out.say(f"Imported {outcome.entries()} from {file}: {outcome.summary()}.")
    for change in outcome.changed:
        # One line each, never folded: a tier change decides whether the automatic brake
        # still stops the automation.
        click.echo(f"  {change.describe(known[change.entry.connection_id])}")
    checked.say()

"""`apibrake allowlist add|remove|list|import`: the only automations the brake may touch."""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.protected import PROTECTED_FIELD
from apibrake.models.validation import describe
from apibrake.models.words import counted
from apibrake.store.allowlist import InvalidEntry
from apibrake_cli.apex_exactness import CHECK_CALLS, advice, inexact_jobs
from apibrake_cli.connections import require_connection
from apibrake_cli.context import WholeHelpGroup, common_options, fail, output, target
from apibrake_cli.errors import CliError, ExitCode, field_error
from apibrake_cli.steps import command_line

CSV_COLUMNS = (
    "connection_id",
    "automation",
    "tier",
    "note",
    "added_by",
    "allow_managed",
    "allow_inexact_restore",
    "drives",
    "brake_value",
    "freeze_at_tier_1",
)
_FLAGS = ("allow_managed", "allow_inexact_restore", "brake_value", "freeze_at_tier_1")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}


@dataclass(frozen=True)
class BadRow:
    line: int
    field: str
    message: str


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
    "--no-check",
    is_flag=True,
    help=f"Skip the exact-restore check of a scheduled Apex job ({CHECK_CALLS} API calls).",
)
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
    no_check: bool,
) -> None:
    """Allow the brake to switch AUTOMATION off (flow:NAME, scheduled_apex:NAME, workflow:ID,
    setting:Setting__c.Field__c, user:USERNAME at tier 2 or higher)."""
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
        )
    except ValidationError as exc:
        raise field_error(exc, f"allowlist entry {automation}") from None
    warnings: list[str] = []
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
        stack.allowlist.put(entry)
        checked = entry.kind is AutomationKind.SCHEDULED_APEX and not (
            no_check or allow_inexact_restore
        )
        if checked:
            secret = stack.secret(connection.secret_id)
            found = asyncio.run(inexact_jobs(connection, secret, [entry.name]))
            warnings = [advice(name, differs) for name, differs in found.items()]
    if out.json_mode:
        out.json({"added": _entry_json(entry), "warnings": warnings})
        return
    out.say(f"Allowlisted {automation} on {connection_id} (tier {tier}).")
    if checked:
        out.note(f"Checked whether it can be put back exactly ({CHECK_CALLS} API calls).")
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
            [e.connection_id, e.automation, e.tier, e.note, e.added_by, e.allow_managed]
            for e in entries
        ],
    )
    for bad in invalid:
        out.say(
            f"invalid entry {bad.connection_id} {bad.automation}: field '{bad.field}': {bad.error}"
        )


def _read_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    missing = {"connection_id", "automation"} - set(reader.fieldnames or [])
    if missing:
        raise CliError(
            f"CSV header (line 1) lacks {', '.join(sorted(missing))}",
            code=ExitCode.BAD_INPUT,
            hint=f"columns: {','.join(CSV_COLUMNS)}",
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for raw in reader:
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue  # blank line
        row: dict[str, Any] = {
            k: v for k, v in values.items() if v != "" or k in ("connection_id", "automation")
        }
        for option in _FLAGS:
            if values.get(option):
                flag = values[option].lower()
                row[option] = True if flag in _TRUE else False if flag in _FALSE else flag
        if values.get("drives"):
            # Connection ids this automation also spends calls on, separated by ; or spaces.
            row["drives"] = values["drives"].replace(";", " ").split()
        rows.append((reader.line_num, row))
    return rows


def _read_json(text: str) -> list[tuple[int, Any]]:
    """Entries with the line each starts on: a JSON array, {"entries": [...]}, or JSON Lines."""
    decoder = json.JSONDecoder()
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")) or (
        stripped.startswith("{") and "\n{" in stripped.strip()
    ):
        return _read_json_lines(text)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}", code=ExitCode.BAD_INPUT
        ) from None
    if isinstance(whole, dict):
        if not isinstance(whole.get("entries"), list):
            raise CliError('a JSON object must hold an "entries" array', code=ExitCode.BAD_INPUT)
        start = text.index("[", text.index('"entries"'))
    elif isinstance(whole, list):
        start = text.index("[")
    else:
        raise CliError("expected a JSON array of entries", code=ExitCode.BAD_INPUT)
    items: list[tuple[int, Any]] = []
    index = start + 1
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return items
        value, end = decoder.raw_decode(text, index)
        items.append((text.count("\n", 0, index) + 1, value))
        index = end


def _read_json_lines(text: str) -> list[tuple[int, Any]]:
    items: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            items.append((number, ValueError(f"not valid JSON: {exc.msg}")))
    return items


def parse_file(path: Path) -> tuple[list[tuple[int, AllowlistEntry]], list[BadRow]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", code=ExitCode.BAD_INPUT) from None
    rows = _read_csv(text) if path.suffix.lower() == ".csv" else _read_json(text)
    good: list[tuple[int, AllowlistEntry]] = []
    bad: list[BadRow] = []
    for line, raw in rows:
        if isinstance(raw, ValueError):
            bad.append(BadRow(line, "(line)", str(raw)))
            continue
        if not isinstance(raw, dict):
            bad.append(
                BadRow(line, "(entry)", "must be an object with connection_id and automation")
            )
            continue
        try:
            good.append((line, AllowlistEntry.model_validate(raw)))
        except ValidationError as exc:
            field, message = describe(exc)
            bad.append(BadRow(line, field, message))
    return good, bad


@allowlist.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@common_options
def import_file(file: Path) -> None:
    """Import entries from CSV or JSON; if any row is bad, nothing is imported.

    CSV header: connection_id,automation,tier,note,added_by,allow_managed,
    allow_inexact_restore,drives,brake_value,freeze_at_tier_1 (drives:
    connection ids separated by ;). JSON: an array, {"entries": [...]}, or one object per line.
    """
    out = output()
    good, bad = parse_file(file)
    with target(out) as stack:
        connections, _ = stack.connections.load(include_disabled=True)
        known = {c.connection_id: c for c in connections}
        bad += [
            BadRow(
                line,
                "connection_id",
                f"no connection {e.connection_id!r} ({command_line('connections', 'list')})",
            )
            for line, e in good
            if e.connection_id not in known
        ]
        bad += [
            BadRow(line, PROTECTED_FIELD, refused.removeprefix(f"{PROTECTED_FIELD}: "))
            for line, e in good
            if e.connection_id in known
            and (refused := known[e.connection_id].protected.refusal(e.automation)) is not None
        ]
        if bad:
            bad.sort(key=lambda row: row.line)
            if not out.json_mode:
                out.table(
                    f"{file}: {counted(len(bad), 'bad row')}, nothing imported",
                    ["line", "field", "problem"],
                    [[b.line, b.field, b.message] for b in bad],
                )
            fail(
                CliError(
                    f"{counted(len(bad), 'bad row')} in {file}; nothing imported",
                    code=ExitCode.BAD_INPUT,
                    hint="fix those lines and import the file again",
                ),
                out,
                {"imported": 0, "bad_rows": [vars(b) for b in bad]},
            )
        for _, entry in good:
            stack.allowlist.put(entry)
    if out.json_mode:
        out.json({"imported": len(good), "bad_rows": []})
    else:
        out.say(f"Imported {counted(len(good), 'entry', 'entries')} from {file}.")

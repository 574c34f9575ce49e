"""Allowlist files for `apibrake allowlist import`: CSV (Excel's too) or JSON, each entry
with the line it starts on, so a bad one is named by its line.

CSV: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes one), separated by
`,` or `;` (Excel writes `;` where the decimal separator is a comma), lines starting with `#`
are comments (`apibrake discover --write` comments out what it does not propose).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.validation import describe
from apibrake.models.words import counted
from apibrake_cli.errors import CliError, ExitCode

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
    "permission_set",
)
REQUIRED_COLUMNS = ("connection_id", "automation")
DELIMITERS = (",", ";")
COMMENT = "#"
_FLAGS = ("allow_managed", "allow_inexact_restore", "brake_value", "freeze_at_tier_1")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}


@dataclass(frozen=True)
class BadRow:
    line: int
    field: str
    message: str


def sniff_delimiter(header: str) -> str:
    """`;` when the header holds more of them than commas, else `,`. Read from the header
    alone: a data row of a comma file may hold `;` inside its `drives` cell."""
    return ";" if header.count(";") > header.count(",") else ","


def _header_problem(header: list[str], delimiter: str, line: int) -> CliError:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    # Quoted, so a tab or a stray quote shows for what it is.
    shown = ", ".join(repr(cell) for cell in header) if header else "nothing"
    return CliError(
        f"CSV header (line {line}) lacks {', '.join(missing)}: read "
        f"{counted(len(header), 'column')} split at {delimiter!r}: {shown}",
        code=ExitCode.BAD_INPUT,
        hint=f"the first line names the columns, separated by ',' or ';': "
        f"{','.join(CSV_COLUMNS)} (connection_id and automation required)",
    )


def _csv_row(values: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {k: v for k, v in values.items() if v != "" or k in REQUIRED_COLUMNS}
    for option in _FLAGS:
        if values.get(option):
            flag = values[option].lower()
            row[option] = True if flag in _TRUE else False if flag in _FALSE else flag
    if values.get("drives"):
        # Connection ids this automation also spends calls on, separated by ; or spaces.
        row["drives"] = values["drives"].replace(";", " ").split()
    return row


def read_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Each data row with its line; blank and comment lines skipped (kept as empty lines,
    so every line number stays the file's own)."""
    lines = ["" if line.lstrip().startswith(COMMENT) else line for line in text.splitlines()]
    first = next((line for line in lines if line.strip()), "")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    for fields in reader:
        cells = [field.strip() for field in fields]
        if not any(cells):
            continue
        if header is None:
            header = [cell.lower() for cell in cells]
            if any(column not in header for column in REQUIRED_COLUMNS):
                raise _header_problem(cells, delimiter, reader.line_num)
            continue
        values = dict(zip(header, cells, strict=False))
        rows.append((reader.line_num, _csv_row(values)))
    if header is None:
        raise _header_problem([], delimiter, 1)
    return rows


def read_json(text: str) -> list[tuple[int, Any]]:
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


def _same_key(entry: AllowlistEntry) -> tuple[str, str]:
    # Salesforce matches usernames whatever their case: two spellings are one user.
    name = entry.name.lower() if entry.kind is AutomationKind.USER else entry.name
    return entry.connection_id, f"{entry.kind.value}:{name}"


def duplicates(good: list[tuple[int, AllowlistEntry]]) -> list[BadRow]:
    """Each row naming an entry an earlier row of the file names too. Which of the two would
    be kept depends on the order of the writes, so neither is: both lines are named."""
    first_line: dict[tuple[str, str], int] = {}
    bad = []
    for line, entry in good:
        key = _same_key(entry)
        if key in first_line:
            bad.append(
                BadRow(
                    line,
                    "automation",
                    f"{entry.automation} of {entry.connection_id} is on line "
                    f"{first_line[key]} too: keep one of lines {first_line[key]} and {line}",
                )
            )
        else:
            first_line[key] = line
    return bad


def parse_file(path: Path) -> tuple[list[tuple[int, AllowlistEntry]], list[BadRow]]:
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") would otherwise be part of the
        # first column's name, and the header would lack connection_id.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"{path} is not UTF-8 (byte {exc.start}): save it as UTF-8 (Excel: CSV UTF-8)",
            code=ExitCode.BAD_INPUT,
        ) from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", code=ExitCode.BAD_INPUT) from None
    rows = read_csv(text) if path.suffix.lower() == ".csv" else read_json(text)
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
    return good, bad + duplicates(good)

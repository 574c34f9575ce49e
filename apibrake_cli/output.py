"""What the CLI prints: rich tables for people, one JSON document for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table


class Output:
    """Tables and messages go to stdout for people; with `json_mode` stdout carries only JSON
    and everything for people goes to stderr."""

    def __init__(self, *, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        # soft_wrap keeps long lines (commands to copy) whole; width for tests and pipes.
        self.console = Console(highlight=False, soft_wrap=False, width=160)
        self.err = Console(stderr=True, highlight=False, width=160)

    def json(self, value: Any) -> None:
        click.echo(json.dumps(value, indent=2, default=_default, sort_keys=False))

    def table(
        self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = ""
    ) -> None:
        table = Table(title=title, caption=caption or None, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(value) for value in row))
        self.console.print(table)

    def say(self, text: str) -> None:
        """A line for people: stdout normally, stderr when stdout is JSON."""
        (self.err if self.json_mode else self.console).print(text, markup=False)

    def note(self, text: str) -> None:
        """Always stderr: side remarks that must never mix with results; kept whole, as
        they may hold a line to copy (a command, a permission set entry)."""
        self.err.print(text, markup=False, soft_wrap=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v is not None) or "-"
    return str(value)


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', '2 h ago'; '-' when unknown."""
    if moment is None:
        return "-"
    delta = (now or datetime.now(UTC)) - moment
    return f"{duration(delta)} ago" if delta >= timedelta(0) else f"in {duration(-delta)}"


def duration(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return f"{int(delta.total_seconds())} s"
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def moment(value: datetime | str | None) -> str:
    """'2026-11-02 12:00 UTC': a time for a terminal says its zone; '-' when unknown."""
    if value is None or value == "":
        return "-"
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # the stores keep UTC
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

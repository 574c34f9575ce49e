"""Quoting values into SOQL queries and anonymous Apex: one place for Salesforce's escaping
and its dateTime literals.

Both use single-quoted string literals in which a backslash and a single quote must be
escaped with a backslash.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def soql_strings(values: Iterable[str]) -> str:
    """Values as a SOQL `IN (...)` list body: `'a', 'b'`."""
    return ", ".join(f"'{_escaped(value)}'" for value in values)


def apex_string(value: str) -> str:
    """One value as an Apex string literal."""
    return f"'{_escaped(value)}'"


def soql_datetime(moment: datetime) -> str:
    """A dateTime literal (unquoted, UTC): `2026-12-02T06:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

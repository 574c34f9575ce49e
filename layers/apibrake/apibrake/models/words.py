"""Small words every message shares: a count with its noun in the right number."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 row', '2 rows', '1,200 entries' ("entry" needs its plural said: `plural`)."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"


def in_units(count: int, unit: str) -> str:
    """A count in a unit the data names in the plural ('calls', 'runs', 'logins'):
    '1 call', '3 calls'."""
    return counted(count, unit.removesuffix("s") if unit.endswith("s") else unit, unit)


def hourly_rate(per_hour: float | None) -> str:
    """A burn rate for a person: '1,250/h'; 'falling' below zero (calls aging out of
    Salesforce's rolling 24 hours outnumber new ones: no call is un-spent); '-' unknown."""
    if per_hour is None:
        return "-"
    if per_hour < 0:
        return "falling"
    return f"{per_hour:,.0f}/h"

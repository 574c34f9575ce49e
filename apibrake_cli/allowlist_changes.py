"""What writing allowlist entries changes: added, changed (and how), unchanged.

A put overwrites the stored entry, so an import that raises a tier from 1 to 2 used to take
the flow out of the automatic brake's reach without a word. Every change is said, and a
tier change says what it does to the automatic brake (`auto_brake_tier`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.models.words import counted


def tier_effect(connection: Connection, old: int, new: int) -> str:
    """What a tier change does, in the brake's own terms: the automatic brake takes tiers
    1..auto_brake_tier (at the effective brake_at), a manual brake with --tier N 1..N."""
    manual = f"a manual brake with --tier {new} or higher"
    if not (connection.brakes_automatically or connection.brakes_in_shadow):
        return f"auto_brake is off on {connection.connection_id}: {manual} stops it"
    top = connection.auto_brake_tier
    reach = f"it takes tier {top}" if top == 1 else f"it takes tiers 1-{top}"
    reach += f", at {connection.effective_brake_at:g} %"
    brake = "the automatic brake" + (" (shadow mode)" if connection.brakes_in_shadow else "")
    covered_before, covered_now = old <= top, new <= top
    if covered_before and not covered_now:
        return f"{brake} no longer covers it ({reach}); only {manual} does"
    if covered_now and not covered_before:
        return f"{brake} now covers it too ({reach})"
    if covered_now:
        return f"{brake} still covers it ({reach})"
    return f"still only {manual} stops it ({brake}: {reach})"


def differing_fields(old: AllowlistEntry, new: AllowlistEntry) -> list[str]:
    before, after = old.model_dump(), new.model_dump()
    return [name for name in after if before.get(name) != after[name]]


@dataclass(frozen=True)
class Change:
    entry: AllowlistEntry
    old: AllowlistEntry

    @property
    def fields(self) -> list[str]:
        return differing_fields(self.old, self.entry)

    def describe(self, connection: Connection) -> str:
        """'flow:X: tier 1 → 2, no longer automatic: ... (the automatic brake ...)'; other
        fields by name."""
        said = []
        if self.old.tier != self.entry.tier:
            said.append(
                f"tier {self.old.tier} → {self.entry.tier}: "
                + tier_effect(connection, self.old.tier, self.entry.tier)
            )
        others = [name for name in self.fields if name != "tier"]
        if others:
            said.append(f"{', '.join(others)} changed")
        return f"{self.entry.automation} on {self.entry.connection_id}: " + "; ".join(said)

    def as_json(self, connection: Connection) -> dict[str, Any]:
        before, after = self.old.model_dump(mode="json"), self.entry.model_dump(mode="json")
        return {
            "connection_id": self.entry.connection_id,
            "automation": self.entry.automation,
            "changes": {name: [before.get(name), after[name]] for name in self.fields},
            "said": self.describe(connection),
        }


@dataclass
class Outcome:
    """Entries sorted by what writing them does to the stored allowlist."""

    added: list[AllowlistEntry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: list[AllowlistEntry] = field(default_factory=list)

    def summary(self) -> str:
        """'2 added, 1 changed (tier 1 → 2), 3 unchanged'."""
        tiers = sorted(
            {f"tier {c.old.tier} → {c.entry.tier}" for c in self.changed if "tier" in c.fields}
        )
        changed = f"{len(self.changed)} changed" + (f" ({', '.join(tiers)})" if tiers else "")
        return f"{len(self.added)} added, {changed}, {len(self.unchanged)} unchanged"

    def entries(self) -> str:
        return counted(
            len(self.added) + len(self.changed) + len(self.unchanged), "entry", "entries"
        )


def compare(
    entries: Iterable[AllowlistEntry], stored: Mapping[tuple[str, str], AllowlistEntry]
) -> Outcome:
    """Each entry against the stored one of its (connection_id, automation)."""
    outcome = Outcome()
    for entry in entries:
        old = stored.get((entry.connection_id, entry.automation))
        if old is None:
            outcome.added.append(entry)
        elif old.model_copy(update={"label": entry.label}) == entry:
            # The platform's name is read at each check, not given: a new one is no change.
            outcome.unchanged.append(entry)
        else:
            outcome.changed.append(Change(entry, old))
    return outcome

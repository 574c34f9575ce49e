"""A release that does not restart the fire: the drivers of the burn stay braked until fixed.

Putting back exactly what the brake changed brings back the runaway too, and it burns the
next day's calls the same way. So a braked automation that attribution named as a driver of
the burn (`suspects_before.drivers[*].automation`, its allowlist key) and that nobody has
reworked since the brake (its adapter's `reworked_since`: a new flow version, a new
workflow revision) is held: it stays braked, the incident stays open, and the row says how
to release it once fixed (`apibrake release --incident ID --include KIND:NAME`). Everything
else the brake stopped (the collateral) comes back as before.

A driver released by `include` while still unchanged is remembered for three days
(`released#` items of the state table): if it drives a new burn, the critical alert says so.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apibrake.incident.adapters import Adapter
from apibrake.incident.adapters.base import RESTORE, Observed, ReleaseDecision
from apibrake.incident.records import IncidentMeta, JournalRow, ReleaseState
from apibrake.models.attribution import Suspects
from apibrake.store.state import StateStore
from apibrake.warn.chain import driver_text

HELD = "held: "


def burn_drivers(suspects: Suspects | None) -> dict[str, str]:
    """Allowlist key -> what attribution said of it (the evidence a person checks), for each
    driver apibrake can stop; the first mention wins (drivers come strongest first)."""
    found: dict[str, str] = {}
    for driver in suspects.drivers if suspects is not None else ():
        if driver.automation:
            found.setdefault(driver.automation, driver_text(driver))
    return found


def release_command(incident_id: str, automation: str) -> str:
    return f"apibrake release --incident {shlex.quote(incident_id)} --include " + shlex.quote(
        automation
    )


def held_message(incident_id: str, automation: str, evidence: str) -> str:
    return (
        f"{HELD}it drove the burn ({evidence}) and is unchanged since the brake; fix it, then "
        f"release it: `{release_command(incident_id, automation)}`"
    )


@dataclass
class HoldPolicy:
    """Decides, per row the adapter would restore, whether to hold it instead."""

    incident_id: str
    drivers: dict[str, str]  # allowlist key -> evidence
    include: frozenset[str] = frozenset()  # keys a person released explicitly
    # Drivers released by `include` although unchanged: remembered so a new burn says so.
    released_unchanged: list[JournalRow] = field(default_factory=list)

    @classmethod
    def for_incident(cls, meta: IncidentMeta, include: frozenset[str]) -> HoldPolicy:
        return cls(meta.incident_id, burn_drivers(meta.suspects_before), include)

    def decide(
        self, adapter: Adapter[Any], row: JournalRow, observed: Observed | None
    ) -> ReleaseDecision:
        """HELD for an unchanged driver not named in `include`; RESTORE otherwise."""
        evidence = self.drivers.get(row.automation)
        if evidence is None or adapter.reworked_since(row, observed):
            return RESTORE
        if row.automation in self.include:
            self.released_unchanged.append(row)
            return RESTORE
        return ReleaseDecision(
            ReleaseState.HELD, held_message(self.incident_id, row.automation, evidence)
        )


def remember_released_unchanged(
    state: StateStore, meta: IncidentMeta, rows: list[JournalRow], now: datetime
) -> None:
    """Blocking (DynamoDB)."""
    state.put_released_unchanged(
        meta.connection_id, [row.automation for row in rows], incident_id=meta.incident_id, now=now
    )

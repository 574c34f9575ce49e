"""What every automation kind's adapter knows: inventory, brake, verify, release, permissions.

The orchestration (brake/responder.py, release/restorer.py) owns the journal and the order
of steps; an adapter owns the platform calls of one kind and decides, per automation, what
to do from what it observed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from apibrake.deadline import Deadline
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.store.journal import BrakeState, JournalRow, ReleaseState


@dataclass
class Observed:
    """One automation as the platform showed it just now."""

    summary: dict[str, Any]  # what the journal and the report record
    raw: Any = None  # what a later call needs (e.g. the full HubSpot flow for its PUT)


class BrakeDecision(NamedTuple):
    state: BrakeState | None  # None: act on it
    error: str | None = None


class ReleaseDecision(NamedTuple):
    state: ReleaseState | None  # None: restore it
    error: str | None = None


ACT = BrakeDecision(None)
RESTORE = ReleaseDecision(None)


@dataclass
class AdapterRun:
    """What an adapter gets for one brake or release of one connection."""

    client: Any  # SalesforceClient | HubSpotClient
    deadline: Deadline
    journal: Callable[[list[JournalRow]], None]  # persists rows (called before each change)
    observed: dict[str, Observed] = field(default_factory=dict)  # by name, from inventory
    concurrency: int = 25
    stopped: list[JournalRow] = field(default_factory=list)  # rows left untouched at the deadline

    def start_batch(self, rows: list[JournalRow], *, release: bool = False) -> bool:
        """Journals the batch as pending before its platform call; False when out of time."""
        if not self.deadline.has_time():
            self.stopped += rows
            return False
        for row in rows:
            if release:
                row.release = ReleaseState.PENDING
            else:
                row.brake = BrakeState.PENDING
        self.journal(rows)
        return True


class Adapter(ABC):
    kind: ClassVar[AutomationKind]
    platform: ClassVar[Platform]
    # Least privilege, declared next to the calls that need it (README lists them).
    permissions: ClassVar[tuple[str, ...]]

    @abstractmethod
    async def inventory(self, client: Any, names: list[str]) -> dict[str, Observed]:
        """The current state of the named automations; absent names were not found."""

    async def observe(self, client: Any, names: list[str]) -> dict[str, Observed]:
        """A cheaper re-read for verification; by default the inventory itself."""
        return await self.inventory(client, names)

    @abstractmethod
    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision: ...

    @abstractmethod
    def is_off(self, observed: Observed | None) -> bool: ...

    @abstractmethod
    def brake_calls(self, count: int) -> int:
        """API calls braking `count` automations spends, verification included."""

    @abstractmethod
    async def brake(self, run: AdapterRun, rows: list[JournalRow]) -> None:
        """Switches the rows' automations off; sets each row's `brake`, `after`, `error`."""

    def confirm_brake(self, row: JournalRow, observed: Observed | None) -> None:
        if row.brake is BrakeState.BRAKED and not self.is_off(observed):
            row.brake = BrakeState.FAILED
            row.error = "still on after the change (verification re-read)"
        elif row.brake is BrakeState.BRAKED and observed is not None:
            row.after = observed.summary

    @abstractmethod
    def decide_release(self, row: JournalRow, observed: Observed | None) -> ReleaseDecision: ...

    def release_calls(self, count: int) -> int:
        """API calls releasing `count` automations spends; by default what braking them does."""
        return self.brake_calls(count)

    @abstractmethod
    async def release(self, run: AdapterRun, rows: list[JournalRow]) -> None:
        """Restores each row's recorded state; sets `release`, `restored`, `release_error`."""

    @abstractmethod
    def confirm_release(self, row: JournalRow, observed: Observed | None) -> None: ...


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]

"""What every automation kind's adapter knows, in both directions.

The engine (`incident/engine.py`) owns the journal, the order of steps and the one resume
rule (`incident/resume.py`); an adapter only describes its kind:

- read: `inventory` (all a brake journals), `observe` (a cheaper re-read), `probe`,
  `discover`;
- compare: `is_off` / `is_braked` (what the brake sets), `is_restored` (the recorded state
  again), `compare` (what the platform shows next to the journal row, as a `Shown`), and
  the words for a person's change (`changed_note`);
- vet a fresh brake: `decide_brake` (missing, managed, not restorable...);
- apply: `brake` and `release`, recording each outcome through `AdapterRun`.

Whether a step is already done, still to do or was changed by a person is the engine's
decision from those answers, the same for every kind. Next to its calls an adapter
declares what a person and the CLI need: the permissions or scopes, the by-hand steps for
alerts, a read probe for `apibrake connections test` and the discovery query for
`apibrake discover`. Adding a kind is one file beside this one, registered in
`__init__.py`: the abstract methods below, and `compare`/`changed_note` when the platform
shows more than on/off (a revision, a modification time).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from apibrake.deadline import Deadline
from apibrake.http.client import Timeouts
from apibrake.incident.records import (
    BrakeState,
    Direction,
    JournalRow,
    Outcome,
    ReleaseState,
)
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.permissions import Permission
from apibrake.models.protected import ProtectedConsumers

ClientT = TypeVar("ClientT")

CHANGE_CALL_MS = int(Timeouts().work * 1000)
LANDED = "the change landed although its call reported an error (verification re-read)"


@dataclass
class Observed:
    """One automation as the platform showed it just now."""

    summary: dict[str, Any]  # what the journal and the report record
    raw: Any = None  # what a later call needs (e.g. the full HubSpot flow for its PUT)


class Shown(StrEnum):
    """What the platform shows now next to a journal row: the adapter's description, from
    which the engine's resume rule decides (`incident/resume.py`)."""

    AS_RECORDED = "as_recorded"  # the state journalled before the brake, untouched since
    BACK_ON = "back_on"  # on again, but not as recorded (a new revision, a new job id)
    AS_BRAKED = "as_braked"  # what the brake left
    EDITED_OFF = "edited_off"  # still off, but changed by someone since the brake
    OTHER = "other"  # neither as recorded nor as braked: changed by someone
    GONE = "gone"  # not readable any more: deleted, or out of the user's sight


class BrakeDecision(NamedTuple):
    state: BrakeState | None  # None: act on it
    error: str | None = None


class ReleaseDecision(NamedTuple):
    state: ReleaseState | None  # None: restore it
    error: str | None = None


ACT = BrakeDecision(None)
RESTORE = ReleaseDecision(None)


@dataclass
class Discovered:
    """One automation `apibrake discover` lists."""

    automation: str  # kind:name, as the allowlist names it
    label: str | None
    type: str | None
    trigger: str | None
    active: Any  # the platform's own word: a version, a state, enabled/disabled
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        values = {k: v for k, v in self.__dict__.items() if k != "extra"}
        return {**values, **self.extra}


@dataclass
class AdapterRun(Generic[ClientT]):
    """What an adapter gets for one direction of one connection's incident."""

    client: ClientT
    direction: Direction
    deadline: Deadline
    journal: Callable[[list[JournalRow]], Awaitable[None]]  # persists rows, off the event loop
    observed: dict[str, Observed] = field(default_factory=dict)  # by name, from the plan's read
    concurrency: int = 25
    stopped: list[JournalRow] = field(default_factory=list)  # rows left untouched at the deadline

    async def start_batch(self, rows: list[JournalRow]) -> bool:
        """Journals the batch as pending before its platform call; False when out of time
        (the call's answer may take a change call's whole read timeout)."""
        if not self.deadline.has_time(reserve_ms=CHANGE_CALL_MS):
            self.stopped += rows
            return False
        for row in rows:
            row.record(self.direction, Outcome.PENDING)
        await self.journal(rows)
        return True

    def changed(self, row: JournalRow, state: dict[str, Any] | None = None) -> None:
        row.record(self.direction, Outcome.CHANGED, state=state)

    def failed(self, row: JournalRow, error: str) -> None:
        row.record(self.direction, Outcome.FAILED, error=error)

    def needs_human(self, row: JournalRow, error: str) -> None:
        row.record(self.direction, Outcome.NEEDS_HUMAN, error=error)


class Adapter(ABC, Generic[ClientT]):
    kind: ClassVar[AutomationKind]
    platform: ClassVar[Platform]
    # Least privilege, declared next to the calls that need it, beyond what the usage read
    # needs (platforms/permissions.py): the permission set in salesforce/ and the scopes in
    # docs/setup.md are tested against them. Reads are proven by `probe`, writes only by a
    # real change.
    permissions: ClassVar[tuple[Permission, ...]]
    # What a person does in the platform's UI when apibrake cannot (alerts, runbook).
    by_hand: ClassVar[str]
    # The read `apibrake connections test` makes to prove the read permission.
    probe_description: ClassVar[str]
    # What switching it off means beyond "off", said on report rows and in summaries.
    off_note: ClassVar[str | None] = None
    # Whether a re-read that does not list an automation proves it gone (a query by name),
    # or may just mean it could not be read (HubSpot's batch read drops flows it fails on).
    absent_is_gone: ClassVar[bool] = False
    # A kind whose permission nobody should hold unless it is allowlisted (freezing users):
    # `connections test` of an empty allowlist leaves it out.
    opt_in: ClassVar[bool] = False

    # Reading --------------------------------------------------------------------------

    @abstractmethod
    async def inventory(self, client: ClientT, names: list[str]) -> dict[str, Observed]:
        """The current state of the named automations, all a brake needs to decide and to
        journal; absent names were not found."""

    async def observe(self, client: ClientT, names: list[str]) -> dict[str, Observed]:
        """A cheaper re-read for release and verification; by default the inventory."""
        return await self.inventory(client, names)

    @abstractmethod
    async def probe(self, client: ClientT) -> None:
        """One small read that needs the kind's read permission (`connections test`)."""

    @abstractmethod
    async def discover(self, client: ClientT) -> list[Discovered]:
        """Every automation of this kind the connection can see (`apibrake discover`)."""

    def label(self, state: dict[str, Any] | None) -> str | None:
        """The name the platform shows for the automation in a recorded state, when its key
        does not say it (a HubSpot workflow's id); None by default."""
        del state
        return None

    # Deciding ---------------------------------------------------------------------------

    @abstractmethod
    def is_off(self, observed: Observed | None) -> bool: ...

    def is_braked(self, row: JournalRow, observed: Observed | None) -> bool:
        """Whether `observed` is what the row's brake sets; `is_off` unless the brake's
        target depends on the entry (a setting's brake_value)."""
        return self.is_off(observed)

    @abstractmethod
    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        """Whether `observed` is the row's recorded state again."""

    @abstractmethod
    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision: ...

    def protected_reason(
        self, observed: Observed | None, protected: ProtectedConsumers
    ) -> str | None:
        """Why the brake must leave this one alone: it is a protected consumer (the
        connection's `protected_consumers`). Only a kind that stops a consumer (a user
        freeze) can be one; automations feed consumers, they are not them."""
        del observed, protected
        return None

    def nothing_to_restore(self, row: JournalRow) -> bool:
        """Whether the brake recorded nothing to put back: no prior state, or it was off
        already."""
        return not row.before or self.is_off(Observed(row.before))

    def compare(self, row: JournalRow, observed: Observed | None) -> Shown:
        """What `observed` is next to the row's journal. By default from `is_restored` and
        `is_braked`; a kind whose platform keeps a revision or a modification time tells
        AS_RECORDED from BACK_ON and AS_BRAKED from EDITED_OFF too."""
        if observed is None and not self.absent_is_gone:
            return Shown.GONE
        if self.is_restored(row, observed):
            return Shown.AS_RECORDED
        if self.is_braked(row, observed):
            return Shown.AS_BRAKED
        return Shown.OTHER

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        """Why release leaves the row to a person, in the kind's words, for a `shown` that
        is neither what the brake left nor untouched."""
        if shown is Shown.GONE:
            return "no longer readable on the platform; put it back by hand"
        return "changed by hand since the brake; left as is"

    def reworked_since(self, row: JournalRow, observed: Observed | None) -> bool:
        """Whether someone reworked the automation since the brake (not counting the brake's
        own change): release brings back a driver of the burn only then (release/hold.py).
        False by default: a kind whose platform shows no sign of a rework."""
        del row, observed
        return False

    @abstractmethod
    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        """The state the brake would leave the row's automation in, from its recorded
        `before`: what a dry run shows as `after`."""

    def planned_restore(self, row: JournalRow) -> dict[str, Any] | None:
        """The state a release would put back: the one recorded before the brake."""
        return row.before

    # Acting -----------------------------------------------------------------------------

    @abstractmethod
    def brake_calls(self, count: int) -> int:
        """API calls braking `count` automations spends, verification included."""

    def release_calls(self, count: int) -> int:
        """API calls releasing `count` automations spends; by default what braking them does."""
        return self.brake_calls(count)

    @abstractmethod
    async def brake(self, run: AdapterRun[ClientT], rows: list[JournalRow]) -> None:
        """Switches the rows' automations off, recording each outcome through `run`."""

    @abstractmethod
    async def release(self, run: AdapterRun[ClientT], rows: list[JournalRow]) -> None:
        """Puts back each row's recorded state, recording each outcome through `run`."""

    # Verifying --------------------------------------------------------------------------

    def reached(self, direction: Direction, row: JournalRow, observed: Observed | None) -> bool:
        if direction is Direction.BRAKE:
            return self.is_braked(row, observed)
        return self.is_restored(row, observed)

    def shown(
        self, direction: Direction, row: JournalRow, observed: Observed | None
    ) -> dict[str, Any] | None:
        """What the journal records as the platform's state after the change."""
        return observed.summary if observed is not None else None

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        """Why the re-read does not show the change the act step reported."""
        if direction is Direction.BRAKE:
            return "still on after the change (verification re-read)"
        return "not back as recorded after the restore (verification re-read)"

    def verify(self, direction: Direction, row: JournalRow, observed: Observed | None) -> None:
        """Records what the platform shows now for a row the act step touched or tried:
        a change reported done but absent fails; a change whose call failed (or whose
        answer was lost) but which landed counts as made, so release puts it back."""
        outcome = row.outcome(direction)
        if self.reached(direction, row, observed):
            # A failed call counts as landed only on a real sighting, never on a silence.
            seen = observed is not None or self.absent_is_gone
            landed = outcome in (Outcome.FAILED, Outcome.PENDING) and seen
            if landed or outcome is Outcome.CHANGED:
                state = self.shown(direction, row, observed)
                row.record(
                    direction, Outcome.CHANGED, error=LANDED if landed else None, state=state
                )
        elif outcome is Outcome.CHANGED:
            row.record(direction, Outcome.FAILED, error=self.missed(direction, row, observed))


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]

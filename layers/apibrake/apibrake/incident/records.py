"""The journal's records: one row per automation an incident looked at, and the incident header.

A row carries both directions: the brake's state (`brake`, `error`, `after`) and the
release's (`release`, `release_error`, `restored`). `record()` is the one way an outcome
reaches a row, whichever the direction; the engine and the adapters never pick the
fields themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from apibrake.models.allowlist import AutomationKind
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Platform


class Direction(StrEnum):
    BRAKE = "brake"
    RELEASE = "release"


class Outcome(StrEnum):
    """What happened to one automation in one direction, before the direction's wording."""

    PENDING = "pending"  # journalled, the platform call not (known to be) done
    CHANGED = "changed"
    FAILED = "failed"
    NEEDS_HUMAN = "needs_human"


class BrakeState(StrEnum):
    PENDING = "pending"  # prior state journalled, platform call not (known to be) done
    BRAKED = "braked"
    ALREADY_OFF = "already_off"
    FAILED = "failed"
    NEEDS_HUMAN = "needs_human"
    SKIPPED = "skipped"
    # A shadow incident's row: the real brake would have changed it (nothing was changed).
    WOULD_BRAKE = "would_brake"


class ReleaseState(StrEnum):
    PENDING = "pending"  # restore call about to be made
    RELEASED = "released"
    NEEDS_HUMAN = "needs_human"
    FAILED = "failed"  # may be retried by the next release
    NOTHING = "nothing"  # the brake changed nothing here
    # Kept braked on purpose: attribution named it as a driver of the burn and nobody has
    # reworked it since, so putting it back would restart the fire (release/hold.py). Not
    # settled: the incident stays open until a person fixes it or names it in `include`.
    HELD = "held"


# A shadow incident (auto_brake: shadow) journals what the brake would have changed. It has
# no open marker and no lease, so it never blocks a real brake nor waits for a release.
SHADOW_STATUS = "shadow"
# A row's options key: journalled pending by a break-glass block, which reads the prior state
# and changes it in one call (brake/break_glass.py), so it journals no prior state before.
GLASS_PENDING = "glass_pending"
# What a person is told about a row such a block may have changed with its prior state lost.
PRIOR_STATE_LOST = (
    "its prior state went with the block's answer; check the Setup Audit Trail and put it "
    "back by hand after the incident"
)

# Rows in these brake states were changed by us (or may have been): release looks at them.
CHANGED_STATES = frozenset({BrakeState.BRAKED, BrakeState.PENDING})
# A row is settled for release when it reached one of these.
SETTLED_RELEASE = frozenset({ReleaseState.RELEASED, ReleaseState.NEEDS_HUMAN, ReleaseState.NOTHING})

_BRAKE_STATE = {
    Outcome.PENDING: BrakeState.PENDING,
    Outcome.CHANGED: BrakeState.BRAKED,
    Outcome.FAILED: BrakeState.FAILED,
    Outcome.NEEDS_HUMAN: BrakeState.NEEDS_HUMAN,
}
_RELEASE_STATE = {
    Outcome.PENDING: ReleaseState.PENDING,
    Outcome.CHANGED: ReleaseState.RELEASED,
    Outcome.FAILED: ReleaseState.FAILED,
    Outcome.NEEDS_HUMAN: ReleaseState.NEEDS_HUMAN,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class JournalRow(BaseModel):
    connection_id: str
    platform: Platform
    kind: AutomationKind
    name: str
    # The allowlist entry's `drives` at brake time: release waits for these connections too.
    drives: list[str] = Field(default_factory=list)
    # The entry's kind-specific options at brake time (a setting's brake_value).
    options: dict[str, Any] = Field(default_factory=dict)
    before: dict[str, Any] | None = None  # prior state, journalled before the change
    after: dict[str, Any] | None = None  # state after the brake
    brake: BrakeState = BrakeState.PENDING
    error: str | None = None
    # False when the automation cannot be put back generically (e.g. a scheduled Apex class
    # without a no-argument constructor); restore_note says what a human must do.
    restorable: bool = True
    restore_note: str | None = None
    release: ReleaseState | None = None
    restored: dict[str, Any] | None = None  # state after release
    release_error: str | None = None

    @property
    def automation(self) -> str:
        return f"{self.kind.value}:{self.name}"

    @property
    def glass_unanswered(self) -> bool:
        """Journalled pending by a break-glass block whose answer never came: whether the
        block changed it is unknown, and if it did, its prior state is lost."""
        return bool(self.options.get(GLASS_PENDING)) and self.before is None

    def outcome(self, direction: Direction) -> Outcome | None:
        """The row's state in `direction` as an Outcome; None for the states no act step
        produces (already off, skipped, nothing to restore, not looked at yet)."""
        state = self.brake if direction is Direction.BRAKE else self.release
        for outcome, value in (
            _BRAKE_STATE if direction is Direction.BRAKE else _RELEASE_STATE
        ).items():
            if value is state:
                return outcome
        return None

    def record(
        self,
        direction: Direction,
        outcome: Outcome,
        *,
        error: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        """Sets the row's outcome in `direction`; `state` is what the platform shows (or is
        known to show) afterwards, kept when given."""
        if direction is Direction.BRAKE:
            self.brake, self.error = _BRAKE_STATE[outcome], error
            if state is not None:
                self.after = state
        else:
            self.release, self.release_error = _RELEASE_STATE[outcome], error
            if state is not None:
                self.restored = state


class IncidentMeta(BaseModel):
    incident_id: str
    connection_id: str
    platform: Platform
    opened_at: datetime
    reason: str = ""
    requested_by: str = ""
    tier: int = 1
    # The allowlist keys a restricted brake named (a rehearsal); None: a real incident.
    only: list[str] | None = None
    status: str = "open"  # open | closed | shadow (SHADOW_STATUS: a plan, never released)
    brake_complete: bool = False
    # When the release last re-read rows it holds (release/hold.py): re-read hourly only.
    held_checked_at: datetime | None = None
    closed_at: datetime | None = None
    # Usage when the brake ran: restore's hysteresis and HubSpot's reset come from here.
    trip_percent: float | None = None
    resets_at: datetime | None = None
    api_calls: dict[str, int] = Field(default_factory=dict)  # brake | release -> calls spent
    # Who burned the calls: what the monitor knew when it braked, and what the sources knew
    # at release (so a person can fix the cause, not brake again tomorrow).
    suspects_before: Suspects | None = None
    suspects_after: Suspects | None = None

    @property
    def is_shadow(self) -> bool:
        return self.status == SHADOW_STATUS

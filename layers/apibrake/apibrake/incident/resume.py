"""The one resume rule, the same for every kind and both directions.

Given a journal row and what the platform shows now, a row's step is done already (an
earlier invocation's change landed, or the brake never reached it), still to do, or was
changed by a person since (left to them, in the kind's words). Adapters only describe
their kind (`is_braked`, `compare`, `changed_note`: incident/adapters/base.py); this
module decides, so the same crash sequence ends the same way whatever the kind.

The engine's plan asks it for every row it reads; the policy has its say only on what the
rule leaves open: a brake row nothing was journalled for (vet it), a release row the rule
would restore (hold it back?).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apibrake.incident.adapters.base import (
    RESTORE,
    Adapter,
    Observed,
    ReleaseDecision,
    Shown,
)
from apibrake.incident.records import (
    PRIOR_STATE_LOST,
    BrakeState,
    Direction,
    JournalRow,
    Outcome,
    ReleaseState,
)

# The policy's say on a row the rule leaves to it; True: act on it (the decision otherwise
# recorded on the row).
Decide = Callable[[Adapter[Any], JournalRow, Observed | None], bool]

# A release row an earlier invocation journalled and tried: its change may have landed.
_TRIED = frozenset({ReleaseState.PENDING, ReleaseState.FAILED})
_ON_AGAIN = frozenset({Shown.AS_RECORDED, Shown.BACK_ON})
# A break-glass block's answer never came (incident/records.py GLASS_PENDING) and the
# platform shows the row braked: the block ran (or it was off already; nobody can tell).
GLASS_LOST = (
    f"off, and a break-glass block whose answer was lost may have switched it off: "
    f"{PRIOR_STATE_LOST}"
)


def acts_on(
    direction: Direction,
    adapter: Adapter[Any],
    row: JournalRow,
    observed: Observed | None,
    policy: Decide,
    *,
    journalled: bool,
) -> bool:
    """Whether the plan acts on `row`. `journalled`: the brake row was journalled by an
    earlier invocation (its recorded prior state stands); every release row was."""
    if direction is Direction.RELEASE:
        return resume_release(adapter, row, observed) and policy(adapter, row, observed)
    if journalled and row.glass_unanswered:
        # Still on: the block never ran, and nothing of its prior state is journalled:
        # looked at as a new row (the policy journals what the platform shows, then vets).
        return resume_brake(adapter, row, observed) and policy(adapter, row, observed)
    if journalled:
        return resume_brake(adapter, row, observed)
    return policy(adapter, row, observed)


def resume_brake(adapter: Adapter[Any], row: JournalRow, observed: Observed | None) -> bool:
    """A brake row left pending (or failed) by an earlier invocation; True: still on, switch
    it off (again). A break-glass row whose answer never came, shown braked: the block ran,
    and its prior state is lost; never recorded as changed (release would find nothing)."""
    if adapter.is_braked(row, observed):
        if row.glass_unanswered:
            row.record(Direction.BRAKE, Outcome.NEEDS_HUMAN, error=GLASS_LOST)
        elif adapter.is_braked(row, Observed(row.before or {})):
            row.brake = BrakeState.ALREADY_OFF  # it was off before the brake
        else:  # the earlier change landed
            row.record(Direction.BRAKE, Outcome.CHANGED, state=_summary(observed))
        return False
    if row.brake is BrakeState.FAILED:
        row.brake, row.error = BrakeState.PENDING, None  # still on: try once more
    return row.brake is BrakeState.PENDING


def resume_release(adapter: Adapter[Any], row: JournalRow, observed: Observed | None) -> bool:
    """A release row; True: the platform shows what the brake left, put it back. Otherwise
    the rule's decision is recorded on the row."""
    decision = release_decision(adapter, row, observed)
    if decision.state is not None:
        row.release, row.release_error = decision.state, decision.error
    return decision.state is None


def release_decision(
    adapter: Adapter[Any], row: JournalRow, observed: Observed | None
) -> ReleaseDecision:
    """Restore, or why not. An earlier restore (pending, or failed on a lost answer) that
    the platform shows landed is released; an automation back as recorded while its brake
    was still pending was never reached; anything else a person changed is theirs. A
    break-glass block whose answer never came: shown braked, it ran, and only a person can
    put it back (its prior state is lost); shown on, it never changed it."""
    if row.glass_unanswered and row.brake is BrakeState.PENDING:
        if adapter.is_braked(row, observed):
            return ReleaseDecision(ReleaseState.NEEDS_HUMAN, GLASS_LOST)
        return ReleaseDecision(ReleaseState.NOTHING)
    if adapter.nothing_to_restore(row):
        return ReleaseDecision(ReleaseState.NOTHING)
    shown = adapter.compare(row, observed)
    if shown is Shown.AS_BRAKED:
        if not row.restorable:
            return ReleaseDecision(ReleaseState.NEEDS_HUMAN, row.restore_note)
        return RESTORE
    if shown in _ON_AGAIN:
        if row.release in _TRIED:
            return ReleaseDecision(ReleaseState.RELEASED)  # our earlier restore landed
        if row.brake is BrakeState.PENDING and shown is Shown.AS_RECORDED:
            return ReleaseDecision(ReleaseState.NOTHING)  # the brake never reached it
    return ReleaseDecision(ReleaseState.NEEDS_HUMAN, adapter.changed_note(row, observed, shown))


def _summary(observed: Observed | None) -> dict[str, Any] | None:
    return observed.summary if observed is not None else None

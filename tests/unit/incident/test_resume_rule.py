"""The one resume rule (incident/resume.py) across every kind and every crash boundary.

Each sequence is what a crash leaves: the journal row's brake and release states and what
the platform shows when the next invocation reads it. Every kind must end the same way:
the same status, the same report wording and the same number of changes. A kind's own
words are allowed only where a person changed something (they say what the person did).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from apibrake.incident import resume
from apibrake.incident.adapters import ADAPTERS
from apibrake.incident.adapters.base import Adapter, Observed
from apibrake.incident.records import (
    GLASS_PENDING,
    BrakeState,
    Direction,
    JournalRow,
    Outcome,
    ReleaseState,
)
from apibrake.incident.report_rows import NOT_REACHED, brake_row, release_row
from apibrake.models.allowlist import AutomationKind


@dataclass(frozen=True)
class KindCase:
    """One kind's states: as recorded before the brake, as the brake leaves it (None: not
    listed), and as apibrake's own restore leaves it."""

    kind: AutomationKind
    before: dict[str, Any]
    braked: dict[str, Any] | None
    restored: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def adapter(self) -> Adapter[Any]:
        return ADAPTERS[self.kind]

    def row(
        self, brake: BrakeState, release: ReleaseState | None, *, glass: bool = False
    ) -> JournalRow:
        """`glass`: journalled pending by a break-glass block, which learns the prior state
        from its answer (none came)."""
        row = JournalRow(
            connection_id="c",
            platform=self.adapter.platform,
            kind=self.kind,
            name="x",
            options={**self.options, **({GLASS_PENDING: True} if glass else {})},
            before=None if glass else self.before,
            brake=brake,
            release=release,
        )
        if brake is BrakeState.BRAKED:
            row.after = self.braked or self.adapter.planned_after(row)
        return row

    def shows(self, what: str) -> Observed | None:
        state = {"recorded": self.before, "braked": self.braked, "restored": self.restored}
        shown = state[what]
        return Observed(dict(shown)) if shown is not None else None


USER_ON = {
    "user_id": "005A",
    "username": "etl@acme.com",
    "name": "ETL",
    "is_active": True,
    "login_id": "0YnA",
    "frozen": False,
    "last_modified": "t0",
    "is_apibrake": False,
}
SWITCH_ROW = {"exists": True, "record_id": "a0B1", "value": False, "last_modified": "t0"}
JOB = {"id": "08e1", "name": "Rollup", "cron": "0 0 * * * ?", "state": "WAITING"}
FLOW = {"id": "300", "active_version": 3, "latest_version": 3, "namespace": None}
WORKFLOW = {"id": "9", "name": "Nurture", "isEnabled": True, "revisionId": "5"}
_LINK = {"link_id": "0J01", "parent_id": "0PS1", "permission_set": "ETL", "setup_entity_id": "0H4"}
APP = {"app_id": "0H4", "app_name": "x", "admin_approved": True, "links": [_LINK]}

KINDS = [
    KindCase(AutomationKind.FLOW, FLOW, {**FLOW, "active_version": None}, FLOW),
    KindCase(
        AutomationKind.WORKFLOW,
        WORKFLOW,
        {**WORKFLOW, "isEnabled": False, "revisionId": "6"},
        {**WORKFLOW, "revisionId": "7"},  # every PUT makes a revision
    ),
    KindCase(
        AutomationKind.SETTING,
        SWITCH_ROW,
        {**SWITCH_ROW, "value": True, "last_modified": "t1"},
        {**SWITCH_ROW, "last_modified": "t2"},
        options={"brake_value": True},
    ),
    KindCase(
        AutomationKind.USER,
        USER_ON,
        {**USER_ON, "frozen": True, "last_modified": "t1"},
        {**USER_ON, "last_modified": "t2"},
    ),
    KindCase(
        AutomationKind.SCHEDULED_APEX,
        JOB,
        None,  # aborted: the job is gone
        {**JOB, "id": "08e2"},  # re-created: a new CronTrigger
        options={},
    ),
    KindCase(
        AutomationKind.APP,
        APP,
        {**APP, "links": []},  # the permission set's grant removed
        {**APP, "links": [{**_LINK, "link_id": "0J02"}]},  # re-created: a new row
        options={"permission_set": "ETL"},
    ),
]


@dataclass(frozen=True)
class Sequence:
    """What a crash (or a person) left, and how the next invocation must end."""

    direction: Direction
    brake: BrakeState
    release: ReleaseState | None
    shows: str  # recorded | braked | restored
    status: str
    error: str | None
    changes: int  # platform changes the next invocation makes


B, R = Direction.BRAKE, Direction.RELEASE
PENDING, FAILED, BRAKED = BrakeState.PENDING, BrakeState.FAILED, BrakeState.BRAKED
R_PENDING, R_FAILED, R_HELD = ReleaseState.PENDING, ReleaseState.FAILED, ReleaseState.HELD
NOTHING = "nothing to restore (brake: pending)"

SEQUENCES = {
    # The brake, invoked again after its crash.
    "brake killed before its change": Sequence(B, PENDING, None, "recorded", "braked", None, 1),
    "brake killed after its change": Sequence(B, PENDING, None, "braked", "braked", None, 0),
    "brake change failed, not landed": Sequence(B, FAILED, None, "recorded", "braked", None, 1),
    "brake change failed, landed": Sequence(B, FAILED, None, "braked", "braked", None, 0),
    # The release after a brake that crashed (and was not invoked again).
    "release after brake killed before change": Sequence(
        R, PENDING, None, "recorded", "skipped", NOTHING, 0
    ),
    "release after brake killed after change": Sequence(
        R, PENDING, None, "braked", "released", None, 1
    ),
    # The release, invoked again after its own crash.
    "release killed before its change": Sequence(
        R, BRAKED, R_PENDING, "braked", "released", None, 1
    ),
    "release killed after its change": Sequence(
        R, BRAKED, R_PENDING, "restored", "released", None, 0
    ),
    "both killed after their change": Sequence(
        R, PENDING, R_PENDING, "restored", "released", None, 0
    ),
    "brake killed after, release before change": Sequence(
        R, PENDING, R_PENDING, "braked", "released", None, 1
    ),
    "release change failed, not landed": Sequence(
        R, BRAKED, R_FAILED, "braked", "released", None, 1
    ),
    "release change failed, landed unverified": Sequence(
        R, BRAKED, R_FAILED, "restored", "released", None, 0
    ),
    "held driver, then let go": Sequence(R, BRAKED, R_HELD, "braked", "released", None, 1),
}
# A break-glass block's answer never came (its invocation died): no prior state journalled.
LOST = resume.GLASS_LOST
GLASS_SEQUENCES = {
    "brake again, the block had run": Sequence(B, PENDING, None, "braked", "needs_human", LOST, 0),
    "brake again, the block never ran": Sequence(B, PENDING, None, "recorded", "braked", None, 1),
    "release, the block had run": Sequence(R, PENDING, None, "braked", "needs_human", LOST, 0),
    "release, the block never ran": Sequence(R, PENDING, None, "recorded", "skipped", NOTHING, 0),
}
# A person put it back on while it was braked: left to them, in the kind's words.
BY_HAND = Sequence(R, BRAKED, None, "restored", "needs_human", "by hand", 0)


def _next_invocation(
    case: KindCase, sequence: Sequence, *, glass: bool = False
) -> tuple[str, str | None, int]:
    """The next invocation's plan decision for the row, its change assumed to work; the
    report row's status and wording, and the changes made."""
    row = case.row(sequence.brake, sequence.release, glass=glass)
    observed = case.shows(sequence.shows)
    acts = resume.acts_on(
        sequence.direction,
        case.adapter,
        row,
        observed,
        lambda adapter, row, observed: True,  # the policy lets through all it is asked
        journalled=True,
    )
    if acts:
        row.record(sequence.direction, Outcome.CHANGED)
    report = brake_row(row) if sequence.direction is Direction.BRAKE else release_row(row)
    return report.status.value, report.error, int(acts)


def test_every_kind_is_in_the_table() -> None:
    """A new kind joins the table: its before, braked and restored states."""
    assert {case.kind for case in KINDS} == set(ADAPTERS)


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_the_same_crash_sequence_ends_the_same_for_every_kind(name: str) -> None:
    sequence = SEQUENCES[name]
    ends = {case.kind.value: _next_invocation(case, sequence) for case in KINDS}
    expected = (sequence.status, sequence.error, sequence.changes)
    assert ends == dict.fromkeys(ends, expected)


@pytest.mark.parametrize("name", list(GLASS_SEQUENCES))
def test_a_break_glass_row_whose_answer_never_came_ends_the_same_for_every_kind(
    name: str,
) -> None:
    """Never "nothing to restore" nor "braked" without a prior state when it shows braked:
    the block ran, and only a person can put it back."""
    sequence = GLASS_SEQUENCES[name]
    ends = {case.kind.value: _next_invocation(case, sequence, glass=True) for case in KINDS}
    expected = (sequence.status, sequence.error, sequence.changes)
    assert ends == dict.fromkeys(ends, expected)


def test_a_break_glass_row_whose_answer_never_came_says_a_person_puts_it_back() -> None:
    assert "break-glass block whose answer was lost" in LOST
    assert "put it back by hand" in LOST


def test_a_restore_by_hand_is_left_to_the_person_for_every_kind() -> None:
    ends = {case.kind.value: _next_invocation(case, BY_HAND) for case in KINDS}
    assert {(status, changes) for status, _, changes in ends.values()} == {("needs_human", 0)}
    for kind, (_, error, _) in ends.items():
        assert error is not None, kind
        assert "by hand" in error, kind
        assert "left as is" in error, kind


def test_a_brake_row_left_pending_and_not_reached_says_so() -> None:
    """The wording of a row the resumed brake still has to change, before it acts."""
    for case in KINDS:
        row = case.row(PENDING, None)
        assert resume.resume_brake(case.adapter, row, case.shows("recorded"))
        assert brake_row(row).error == NOT_REACHED, case.kind

"""The `setting` and `user` adapters' brake and release decisions and what verification
counts as done, as tables: what the platform shows -> what apibrake does."""

from __future__ import annotations

from typing import Any

import pytest

from apibrake.incident.adapters import ADAPTERS
from apibrake.incident.adapters.base import Observed
from apibrake.incident.records import BrakeState, Direction, JournalRow, ReleaseState
from apibrake.incident.resume import release_decision
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform

SETTING = ADAPTERS[AutomationKind.SETTING]
USER = ADAPTERS[AutomationKind.USER]
SWITCH = "setting:Switches__c.Disable__c"


def _entry(automation: str, **options: Any) -> AllowlistEntry:
    return AllowlistEntry(connection_id="c", automation=automation, **options)


def _row(kind: AutomationKind, before: dict[str, Any] | None, **fields: Any) -> JournalRow:
    options = {"brake_value": True} if kind is AutomationKind.SETTING else {}
    return JournalRow(
        connection_id="c",
        platform=Platform.SALESFORCE,
        kind=kind,
        name="x",
        before=before,
        options=fields.pop("options", options),
        **fields,
    )


def _seen(**summary: Any) -> Observed:
    return Observed(summary)


ROW = {"exists": True, "record_id": "a0B1", "value": False, "last_modified": "t0"}
NO_ROW = {"exists": False, "record_id": None, "value": None, "last_modified": None}
SET = {**ROW, "value": True, "last_modified": "t1"}
BRAKED = {"brake": BrakeState.BRAKED, "after": SET}


@pytest.mark.parametrize(
    ("entry", "observed", "state"),
    [
        (_entry(SWITCH), None, BrakeState.SKIPPED),
        (_entry(SWITCH), _seen(**ROW), None),
        (_entry(SWITCH), _seen(**NO_ROW), None),
        (_entry(SWITCH), _seen(**SET), BrakeState.ALREADY_OFF),
        (_entry(SWITCH, brake_value=False), _seen(**ROW), BrakeState.ALREADY_OFF),
        (_entry(SWITCH, brake_value=False), _seen(**SET), None),
    ],
    ids=["not-visible", "off", "no-row", "on-already", "false-already", "false-wanted"],
)
def test_setting_brake_decisions(
    entry: AllowlistEntry, observed: Observed | None, state: BrakeState | None
) -> None:
    assert SETTING.decide_brake(entry, observed).state is state


@pytest.mark.parametrize(
    ("row", "observed", "state"),
    [
        (_row(AutomationKind.SETTING, None), None, ReleaseState.NOTHING),
        (_row(AutomationKind.SETTING, ROW, **BRAKED), None, ReleaseState.NEEDS_HUMAN),
        (_row(AutomationKind.SETTING, ROW, **BRAKED), _seen(**SET), None),
        (
            _row(AutomationKind.SETTING, ROW, **BRAKED),
            _seen(**{**SET, "last_modified": "t2"}),
            None,  # another field of the row changed: ours still set, restore only ours
        ),
        (_row(AutomationKind.SETTING, ROW, **BRAKED), _seen(**ROW), ReleaseState.NEEDS_HUMAN),
        (
            _row(AutomationKind.SETTING, ROW, brake=BrakeState.PENDING),
            _seen(**ROW),
            ReleaseState.NOTHING,
        ),
        (
            _row(AutomationKind.SETTING, ROW, **BRAKED, release=ReleaseState.PENDING),
            _seen(**ROW),
            ReleaseState.RELEASED,
        ),
        (_row(AutomationKind.SETTING, ROW, **BRAKED), _seen(**NO_ROW), ReleaseState.NEEDS_HUMAN),
        (_row(AutomationKind.SETTING, NO_ROW, **BRAKED), _seen(**SET), None),
        (
            _row(AutomationKind.SETTING, NO_ROW, **BRAKED),
            _seen(**NO_ROW),
            ReleaseState.NEEDS_HUMAN,  # someone deleted the row we created: as recorded
        ),
    ],
    ids=[
        "never-read",
        "unreadable",
        "restore",
        "row-edited-elsewhere",
        "set-back-by-hand",
        "brake-never-landed",
        "earlier-restore-landed",
        "row-deleted",
        "created-row",
        "created-row-gone",
    ],
)
def test_setting_release_decisions(
    row: JournalRow, observed: Observed | None, state: ReleaseState | None
) -> None:
    assert release_decision(SETTING, row, observed).state is state


def test_setting_changed_to_a_third_value_is_left_alone() -> None:
    row = _row(AutomationKind.SETTING, ROW, options={"brake_value": False}, **BRAKED)
    decision = release_decision(SETTING, row, _seen(**SET))
    assert decision.state is ReleaseState.NEEDS_HUMAN
    assert "by hand" in (decision.error or "")


USER_ON = {
    "user_id": "005A",
    "username": "etl@acme.com",
    "is_active": True,
    "login_id": "0YnA",
    "frozen": False,
    "last_modified": "t0",
    "is_apibrake": False,
}
FROZEN = {**USER_ON, "frozen": True, "last_modified": "t1"}
USER_BRAKED = {"brake": BrakeState.BRAKED, "after": FROZEN}
USER_ENTRY = _entry("user:etl@acme.com", tier=2)


@pytest.mark.parametrize(
    ("observed", "state"),
    [
        (None, BrakeState.SKIPPED),
        (_seen(**USER_ON), None),
        (_seen(**FROZEN), BrakeState.ALREADY_OFF),
        (_seen(**{**USER_ON, "is_active": False}), BrakeState.ALREADY_OFF),
        (_seen(**{**USER_ON, "is_apibrake": True}), BrakeState.NEEDS_HUMAN),
        (_seen(**{**USER_ON, "login_id": None}), BrakeState.NEEDS_HUMAN),
    ],
    ids=["missing", "active", "frozen-already", "inactive", "apibrake-itself", "no-login"],
)
def test_user_brake_decisions(observed: Observed | None, state: BrakeState | None) -> None:
    assert USER.decide_brake(USER_ENTRY, observed).state is state


@pytest.mark.parametrize(
    ("row", "observed", "state"),
    [
        (_row(AutomationKind.USER, FROZEN), _seen(**FROZEN), ReleaseState.NOTHING),
        (_row(AutomationKind.USER, USER_ON, **USER_BRAKED), None, ReleaseState.NEEDS_HUMAN),
        (_row(AutomationKind.USER, USER_ON, **USER_BRAKED), _seen(**FROZEN), None),
        (
            _row(AutomationKind.USER, USER_ON, **USER_BRAKED),
            _seen(**{**FROZEN, "last_modified": "t3"}),
            ReleaseState.NEEDS_HUMAN,  # unfrozen and frozen again by someone
        ),
        (
            _row(AutomationKind.USER, USER_ON, **USER_BRAKED),
            _seen(**USER_ON),
            ReleaseState.NEEDS_HUMAN,
        ),
        (
            _row(AutomationKind.USER, USER_ON, brake=BrakeState.PENDING),
            _seen(**USER_ON),
            ReleaseState.NOTHING,
        ),
        (
            _row(AutomationKind.USER, USER_ON, **USER_BRAKED, release=ReleaseState.PENDING),
            _seen(**USER_ON),
            ReleaseState.RELEASED,
        ),
        (_row(AutomationKind.USER, USER_ON, brake=BrakeState.PENDING), _seen(**FROZEN), None),
    ],
    ids=[
        "frozen-before",
        "unreadable",
        "unfreeze",
        "refrozen-by-hand",
        "unfrozen-by-hand",
        "freeze-never-landed",
        "earlier-unfreeze-landed",
        "pending-freeze-landed",
    ],
)
def test_user_release_decisions(
    row: JournalRow, observed: Observed | None, state: ReleaseState | None
) -> None:
    assert release_decision(USER, row, observed).state is state


@pytest.mark.parametrize(
    ("adapter", "row", "off", "restored"),
    [
        (SETTING, _row(AutomationKind.SETTING, ROW), SET, ROW),
        (SETTING, _row(AutomationKind.SETTING, NO_ROW), {**SET, "exists": True}, NO_ROW),
        (USER, _row(AutomationKind.USER, USER_ON), FROZEN, USER_ON),
    ],
    ids=["setting", "setting-created-row", "user"],
)
def test_verification_knows_braked_and_restored(
    adapter: Any, row: JournalRow, off: dict[str, Any], restored: dict[str, Any]
) -> None:
    assert adapter.reached(Direction.BRAKE, row, Observed(off))
    assert not adapter.reached(Direction.BRAKE, row, Observed(restored))
    assert adapter.reached(Direction.RELEASE, row, Observed(restored))
    assert not adapter.reached(Direction.RELEASE, row, Observed(off))


def test_a_false_brake_value_is_what_verification_looks_for() -> None:
    row = _row(AutomationKind.SETTING, SET, options={"brake_value": False})
    assert SETTING.reached(Direction.BRAKE, row, Observed(ROW))
    assert not SETTING.reached(Direction.BRAKE, row, Observed(SET))

"""What a dry run shows: each kind's planned `after` (the state the brake would leave), a
release's planned `after` (the recorded state it puts back), and the platform's name beside
a key that does not say it."""

from __future__ import annotations

from typing import Any

import pytest

from apibrake.incident.adapters import ADAPTERS
from apibrake.incident.records import BrakeState, JournalRow
from apibrake.incident.report_rows import brake_row, journal_label, release_row
from apibrake.models.allowlist import AutomationKind
from apibrake.models.automation_text import NO_ACTIVE_VERSION, state_text, with_label
from apibrake.models.connection import Platform
from apibrake.models.reports import RowStatus

FLOW = {"id": "300A", "active_version": 3, "latest_version": 4, "namespace": None}
JOB = {"id": "08eA", "name": "Nightly", "cron": "0 0 1 * * ?", "state": "WAITING"}
WORKFLOW = {"id": "2001", "name": "Enrichment - chatty", "isEnabled": True, "revisionId": "7"}
USER = {"user_id": "005A", "username": "etl@acme.com", "name": "ETL Integration", "frozen": False}
SWITCH = {"exists": True, "record_id": "a0B1", "value": False, "last_modified": "t0"}
NO_SWITCH = {"exists": False, "record_id": None, "value": None, "last_modified": None}


def _row(
    kind: AutomationKind, before: dict[str, Any], *, options: dict[str, Any] | None = None
) -> JournalRow:
    return JournalRow(
        connection_id="c",
        platform=Platform.HUBSPOT if kind is AutomationKind.WORKFLOW else Platform.SALESFORCE,
        kind=kind,
        name=str(before.get("id") or "x"),
        before=before,
        options=options or {},
    )


@pytest.mark.parametrize(
    ("kind", "before", "options", "changed"),
    [
        (AutomationKind.FLOW, FLOW, {}, {"active_version": None}),
        (
            AutomationKind.SCHEDULED_APEX,
            {**JOB, "next_fire_time": "2025-01-01T00:00:00Z"},
            {},
            {"state": "DELETED", "next_fire_time": None},
        ),
        (AutomationKind.WORKFLOW, WORKFLOW, {}, {"isEnabled": False}),
        (AutomationKind.USER, USER, {}, {"frozen": True}),
        (AutomationKind.SETTING, SWITCH, {"brake_value": True}, {"value": True}),
        (AutomationKind.SETTING, NO_SWITCH, {}, {"exists": True, "value": True}),
        (
            AutomationKind.SETTING,
            {**SWITCH, "value": True},
            {"brake_value": False},
            {"value": False},
        ),
    ],
    ids=["flow", "scheduled-apex", "workflow", "user", "setting", "setting-no-row", "to-false"],
)
def test_each_kind_plans_its_off_state_from_the_recorded_one(
    kind: AutomationKind,
    before: dict[str, Any],
    options: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    row = _row(kind, before, options=options)
    assert ADAPTERS[kind].planned_after(row) == {**before, **changed}
    assert row.before == before  # the recorded state is not touched


def test_a_planned_brake_row_shows_the_change_it_would_make() -> None:
    row = _row(AutomationKind.FLOW, FLOW)
    planned = brake_row(row, would_brake=True)
    assert planned.status is RowStatus.WOULD_BRAKE
    assert planned.before == FLOW
    assert planned.after == {**FLOW, "active_version": None}
    assert state_text(planned.after) == NO_ACTIVE_VERSION


def test_a_shadow_row_shows_the_change_it_would_have_made() -> None:
    row = _row(AutomationKind.WORKFLOW, WORKFLOW)
    row.brake = BrakeState.WOULD_BRAKE
    assert brake_row(row).after == {**WORKFLOW, "isEnabled": False}


def test_a_planned_release_row_shows_what_the_brake_left_and_what_comes_back() -> None:
    row = _row(AutomationKind.FLOW, FLOW)
    row.brake, row.after = BrakeState.BRAKED, {**FLOW, "active_version": None}
    planned = release_row(row, would_release=True)
    assert planned.status is RowStatus.WOULD_RELEASE
    assert state_text(planned.before) == NO_ACTIVE_VERSION
    assert planned.after == FLOW
    assert release_row(row).after is None  # not released: nothing restored yet


def test_a_workflow_row_carries_its_name_and_keeps_its_key() -> None:
    row = _row(AutomationKind.WORKFLOW, WORKFLOW)
    reported = brake_row(row, would_brake=True)
    assert reported.name == "2001"
    assert reported.label == "Enrichment - chatty"
    assert reported.named_automation == "workflow:2001 (Enrichment - chatty)"
    assert journal_label(row) == "Enrichment - chatty"
    assert brake_row(_row(AutomationKind.FLOW, FLOW)).label is None


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (None, "-"),
        ({}, "-"),
        ({"id": "x"}, "-"),
        ({"active_version": 3, "latest_version": 4}, "active_version=3"),
        ({"active_version": None}, NO_ACTIVE_VERSION),
        ({"isEnabled": False, "revisionId": "8", "name": "N"}, "isEnabled=False, revisionId=8"),
        ({"frozen": True, "username": "u"}, "frozen=True"),
    ],
)
def test_a_state_reads_the_same_everywhere(state: dict[str, Any] | None, shown: str) -> None:
    assert state_text(state) == shown


@pytest.mark.parametrize(
    ("automation", "label", "shown"),
    [
        ("workflow:2001", "Enrichment", "workflow:2001 (Enrichment)"),
        ("workflow:2001", None, "workflow:2001"),
        ("workflow:2001", "", "workflow:2001"),
        ("scheduled_apex:Nightly", "Nightly", "scheduled_apex:Nightly"),
    ],
)
def test_the_name_stands_beside_the_key_only_when_it_says_more(
    automation: str, label: str | None, shown: str
) -> None:
    assert with_label(automation, label) == shown

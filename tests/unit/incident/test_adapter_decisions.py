"""Each adapter's brake and release decisions, and what verification counts as done,
as tables: what the platform shows -> what apibrake does."""

from __future__ import annotations

from typing import Any

import pytest

from apibrake.incident.adapters import ADAPTERS, adapters_for
from apibrake.incident.adapters.base import Observed
from apibrake.incident.records import BrakeState, Direction, JournalRow, ReleaseState
from apibrake.incident.resume import release_decision
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform

FLOW = ADAPTERS[AutomationKind.FLOW]
APEX = ADAPTERS[AutomationKind.SCHEDULED_APEX]
WORKFLOW = ADAPTERS[AutomationKind.WORKFLOW]


def _entry(automation: str, **options: Any) -> AllowlistEntry:
    return AllowlistEntry(connection_id="c", automation=automation, **options)


def _row(kind: AutomationKind, before: dict[str, Any] | None, **fields: Any) -> JournalRow:
    platform = Platform.HUBSPOT if kind is AutomationKind.WORKFLOW else Platform.SALESFORCE
    return JournalRow(
        connection_id="c", platform=platform, kind=kind, name="x", before=before, **fields
    )


def _seen(**summary: Any) -> Observed:
    return Observed(summary)


ACTIVE_FLOW = {"id": "300", "active_version": 3, "latest_version": 4, "namespace": None}
MANAGED_FLOW = {**ACTIVE_FLOW, "namespace": "pkg"}
JOB = {
    "id": "08e1",
    "name": "Rollup",
    "cron": "0 0 * * * ?",
    "state": "WAITING",
    "apex_class": "Roll",
}
ENABLED = {"id": "9", "isEnabled": True, "revisionId": "5"}


@pytest.mark.parametrize(
    ("entry", "observed", "state"),
    [
        (_entry("flow:x"), None, BrakeState.SKIPPED),
        (
            _entry("flow:x"),
            _seen(**{**ACTIVE_FLOW, "active_version": None}),
            BrakeState.ALREADY_OFF,
        ),
        (_entry("flow:x"), _seen(**ACTIVE_FLOW), None),
        (_entry("flow:pkg__x"), _seen(**MANAGED_FLOW), BrakeState.NEEDS_HUMAN),
        (_entry("flow:pkg__x", allow_managed=True), _seen(**MANAGED_FLOW), None),
    ],
    ids=["missing", "inactive", "active", "managed", "managed-allowed"],
)
def test_flow_brake_decisions(
    entry: AllowlistEntry, observed: Observed | None, state: BrakeState | None
) -> None:
    assert FLOW.decide_brake(entry, observed).state is state


@pytest.mark.parametrize(
    ("observed", "state"),
    [(None, BrakeState.ALREADY_OFF), (_seen(**JOB), None)],
    ids=["gone", "scheduled"],
)
def test_scheduled_apex_brake_decisions(
    observed: Observed | None, state: BrakeState | None
) -> None:
    assert APEX.decide_brake(_entry("scheduled_apex:Rollup"), observed).state is state


@pytest.mark.parametrize(
    ("observed", "state"),
    [
        (None, BrakeState.SKIPPED),
        (_seen(**{**ENABLED, "isEnabled": False}), BrakeState.ALREADY_OFF),
        (_seen(**ENABLED), None),
    ],
    ids=["missing", "off", "on"],
)
def test_workflow_brake_decisions(observed: Observed | None, state: BrakeState | None) -> None:
    assert WORKFLOW.decide_brake(_entry("workflow:9"), observed).state is state


@pytest.mark.parametrize(
    ("row", "observed", "state"),
    [
        (
            _row(AutomationKind.FLOW, {**ACTIVE_FLOW, "active_version": None}),
            None,
            ReleaseState.NOTHING,
        ),
        (
            _row(AutomationKind.FLOW, ACTIVE_FLOW, brake=BrakeState.BRAKED),
            None,
            ReleaseState.NEEDS_HUMAN,
        ),
        (
            _row(AutomationKind.FLOW, ACTIVE_FLOW, brake=BrakeState.BRAKED),
            _seen(**{**ACTIVE_FLOW, "active_version": None}),
            None,
        ),
        (
            _row(AutomationKind.FLOW, ACTIVE_FLOW, brake=BrakeState.PENDING),
            _seen(**ACTIVE_FLOW),
            ReleaseState.NOTHING,
        ),
        (
            _row(
                AutomationKind.FLOW,
                ACTIVE_FLOW,
                brake=BrakeState.BRAKED,
                release=ReleaseState.PENDING,
            ),
            _seen(**ACTIVE_FLOW),
            ReleaseState.RELEASED,
        ),
        (
            _row(AutomationKind.FLOW, ACTIVE_FLOW, brake=BrakeState.BRAKED),
            _seen(**{**ACTIVE_FLOW, "active_version": 4}),
            ReleaseState.NEEDS_HUMAN,
        ),
    ],
    ids=["was-off", "deleted", "restore", "never-braked", "earlier-restore-landed", "reactivated"],
)
def test_flow_release_decisions(
    row: JournalRow, observed: Observed | None, state: ReleaseState | None
) -> None:
    assert release_decision(FLOW, row, observed).state is state


@pytest.mark.parametrize(
    ("row", "observed", "state"),
    [
        (_row(AutomationKind.SCHEDULED_APEX, None), None, ReleaseState.NOTHING),
        (_row(AutomationKind.SCHEDULED_APEX, JOB, brake=BrakeState.BRAKED), None, None),
        (
            _row(
                AutomationKind.SCHEDULED_APEX,
                JOB,
                brake=BrakeState.BRAKED,
                restorable=False,
                restore_note="by hand",
            ),
            None,
            ReleaseState.NEEDS_HUMAN,
        ),
        (
            _row(AutomationKind.SCHEDULED_APEX, JOB, brake=BrakeState.PENDING),
            _seen(**JOB),
            ReleaseState.NOTHING,
        ),
        (
            _row(AutomationKind.SCHEDULED_APEX, JOB, brake=BrakeState.BRAKED),
            _seen(**{**JOB, "id": "08e2"}),
            ReleaseState.NEEDS_HUMAN,
        ),
    ],
    ids=["nothing-journalled", "restore", "not-restorable", "never-aborted", "rescheduled-by-hand"],
)
def test_scheduled_apex_release_decisions(
    row: JournalRow, observed: Observed | None, state: ReleaseState | None
) -> None:
    assert release_decision(APEX, row, observed).state is state


BRAKED_WF = {
    "after": {**ENABLED, "isEnabled": False, "revisionId": "6"},
    "brake": BrakeState.BRAKED,
}


@pytest.mark.parametrize(
    ("row", "observed", "state"),
    [
        (
            _row(AutomationKind.WORKFLOW, {**ENABLED, "isEnabled": False}),
            None,
            ReleaseState.NOTHING,
        ),
        (_row(AutomationKind.WORKFLOW, ENABLED, **BRAKED_WF), None, ReleaseState.NEEDS_HUMAN),
        (
            _row(AutomationKind.WORKFLOW, ENABLED, **BRAKED_WF),
            _seen(**{**ENABLED, "isEnabled": False, "revisionId": "6"}),
            None,
        ),
        (
            _row(AutomationKind.WORKFLOW, ENABLED, **BRAKED_WF),
            _seen(**{**ENABLED, "isEnabled": False, "revisionId": "7"}),
            ReleaseState.NEEDS_HUMAN,
        ),
        (
            _row(AutomationKind.WORKFLOW, ENABLED, **BRAKED_WF),
            _seen(**ENABLED),
            ReleaseState.NEEDS_HUMAN,
        ),
        (
            _row(AutomationKind.WORKFLOW, ENABLED, **BRAKED_WF, release=ReleaseState.PENDING),
            _seen(**ENABLED),
            ReleaseState.RELEASED,
        ),
    ],
    ids=["was-off", "deleted", "restore", "edited", "re-enabled-by-hand", "earlier-put-landed"],
)
def test_workflow_release_decisions(
    row: JournalRow, observed: Observed | None, state: ReleaseState | None
) -> None:
    assert release_decision(WORKFLOW, row, observed).state is state


@pytest.mark.parametrize(
    ("adapter", "row", "off", "restored"),
    [
        (
            FLOW,
            _row(AutomationKind.FLOW, ACTIVE_FLOW),
            {**ACTIVE_FLOW, "active_version": None},
            ACTIVE_FLOW,
        ),
        (APEX, _row(AutomationKind.SCHEDULED_APEX, JOB), None, {**JOB, "id": "08e9"}),
        (
            WORKFLOW,
            _row(AutomationKind.WORKFLOW, ENABLED),
            {**ENABLED, "isEnabled": False},
            ENABLED,
        ),
    ],
    ids=["flow", "scheduled_apex", "workflow"],
)
def test_verification_knows_off_and_restored_for_every_kind(
    adapter: Any, row: JournalRow, off: dict[str, Any] | None, restored: dict[str, Any]
) -> None:
    shown_off = Observed(off) if off is not None else None
    assert adapter.reached(Direction.BRAKE, row, shown_off)
    assert not adapter.reached(Direction.BRAKE, row, Observed(restored))
    assert adapter.reached(Direction.RELEASE, row, Observed(restored))
    assert not adapter.reached(Direction.RELEASE, row, shown_off)


@pytest.mark.parametrize("platform", list(Platform))
def test_every_adapter_declares_what_people_and_the_cli_need(platform: Platform) -> None:
    for adapter in adapters_for(platform):
        assert adapter.permissions
        assert adapter.by_hand
        assert adapter.probe_description

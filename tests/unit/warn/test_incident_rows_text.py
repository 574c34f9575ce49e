"""The brake's and release's summary alert: each automation named as a person knows it, with
its state before and after in the words the CLI uses."""

from __future__ import annotations

from typing import Any

from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.warn.incident_alerts import human_must_act, summary_alert

WORKFLOW = {"id": "2001", "name": "Enrichment - chatty", "isEnabled": True, "revisionId": "7"}


def _row(kind: AutomationKind, name: str, status: RowStatus, **fields: Any) -> AutomationRow:
    platform = Platform.HUBSPOT if kind is AutomationKind.WORKFLOW else Platform.SALESFORCE
    return AutomationRow(
        platform=platform, connection_id="c", kind=kind, name=name, status=status, **fields
    )


def test_a_dry_run_summary_names_the_workflow_and_says_the_change() -> None:
    rows = [
        _row(
            AutomationKind.WORKFLOW,
            "2001",
            RowStatus.WOULD_BRAKE,
            label="Enrichment - chatty",
            before=WORKFLOW,
            after={**WORKFLOW, "isEnabled": False},
        ),
        _row(
            AutomationKind.FLOW,
            "Account_Rollup",
            RowStatus.WOULD_BRAKE,
            before={"active_version": 3},
            after={"active_version": None},
        ),
        _row(
            AutomationKind.FLOW,
            "Old_Import",
            RowStatus.ALREADY_OFF,
            before={"active_version": None},
        ),
    ]
    told = summary_alert(
        action="brake",
        incident_id="i",
        connection_id="c",
        platform="hubspot",
        rows=rows,
        calls=2,
        dry_run=True,
        complete=True,
    )
    assert (
        "would_brake  workflow:2001 (Enrichment - chatty): isEnabled=True, revisionId=7 -> "
        "isEnabled=False, revisionId=7\n" in told.body
    )
    assert "would_brake  flow:Account_Rollup: active_version=3 -> no active version\n" in told.body
    assert "already_off  flow:Old_Import: no active version\n" in told.body
    assert "active_version=None" not in told.body


def test_a_blocked_brake_names_the_workflow_to_switch_off_by_hand() -> None:
    rows = [
        _row(
            AutomationKind.WORKFLOW,
            "2001",
            RowStatus.FAILED,
            label="Enrichment - chatty",
            before=WORKFLOW,
        )
    ]
    told = human_must_act("c", "hubspot", rows, "the daily limit is spent")
    assert "- workflow:2001 (Enrichment - chatty) (HubSpot Automation" in told.body
    assert "Turn off by hand: Enrichment - chatty" in told.sms

"""An incident report's severity matches its news: the brake's critical alert is the news,
its report and a release are info, rows a person must take over are critical."""

from __future__ import annotations

from apibrake.models.alert import Severity
from apibrake.models.reports import RowStatus
from tests.unit.warn.alert_kinds import automation_row, incident_summary


def test_a_clean_brake_report_is_info_not_a_second_warning() -> None:
    rows = [automation_row(f"Flow_{n}", RowStatus.BRAKED) for n in range(5)]

    alert = incident_summary("brake", rows)

    assert alert.severity is Severity.INFO
    assert alert.subject == "[apibrake] INFO sf-prod: brake - 5 braked"


def test_a_release_is_info() -> None:
    alert = incident_summary("release", [automation_row("Flow_1", RowStatus.RELEASED)])

    assert alert.severity is Severity.INFO
    assert alert.subject.startswith("[apibrake] INFO sf-prod: release")


def test_a_dry_run_is_info() -> None:
    alert = incident_summary("brake", [automation_row("Flow_1", RowStatus.BRAKED)], dry_run=True)

    assert alert.severity is Severity.INFO


def test_rows_a_person_must_take_over_are_critical() -> None:
    rows = [
        automation_row("Flow_1", RowStatus.BRAKED),
        automation_row("Flow_2", RowStatus.FAILED, error="refused"),
    ]

    for action in ("brake", "release"):
        assert incident_summary(action, rows).severity is Severity.CRITICAL

"""Shadow mode's "would have braked" alert: a warning that lists the plan with each
automation's state before, says nothing changed, and fits its SMS in one segment."""

from __future__ import annotations

from apibrake.models.alert import Alert
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.warn.incident_alerts import would_have_braked


def row(name: str, status: RowStatus, before: dict[str, object] | None = None) -> AutomationRow:
    return AutomationRow(
        platform=Platform.SALESFORCE,
        connection_id="sf-prod",
        kind=AutomationKind.FLOW,
        name=name,
        status=status,
        before=before,
    )


def alert(rows: list[AutomationRow]) -> Alert:
    return would_have_braked(
        connection_id="sf-prod",
        platform="salesforce",
        incident_id="sf-prod-shadow-20261102T060000Z",
        rows=rows,
        reason="shadow mode: usage 91.0% reached brake_at 90%: would have braked",
        calls=3,
        planned_calls=2,
    )


def test_it_lists_what_it_would_have_braked_with_before_states_and_changes_nothing() -> None:
    told = alert(
        [
            row("Account_Rollup", RowStatus.WOULD_BRAKE, {"active_version": 3, "namespace": None}),
            row("Old_Import", RowStatus.ALREADY_OFF, {"active_version": None}),
        ]
    )
    assert told.severity.value == "warning"
    assert told.kind == "shadow_brake"
    assert told.subject == (
        "[apibrake] WARNING sf-prod: shadow: would have braked 1 automation, nothing changed"
    )
    assert "  - flow:Account_Rollup, before: active_version=3\n" in told.body
    assert "already_off  flow:Old_Import" in told.body
    assert "Nothing was changed on Salesforce." in told.body
    assert "apibrake incidents sf-prod-shadow-20261102T060000Z" in told.body
    assert told.sms == (
        "apibrake WARNING sf-prod: shadow: would have braked 1 (Account_Rollup). Nothing changed."
    )
    assert told.incident_id == "sf-prod-shadow-20261102T060000Z"  # the chat thread


def test_the_sms_stays_in_one_segment() -> None:
    many = [row(f"Very_Long_Flow_Name_Number_{n:02d}", RowStatus.WOULD_BRAKE) for n in range(9)]
    told = alert(many)
    assert len(told.sms) <= 160
    assert told.sms.startswith("apibrake WARNING sf-prod: shadow: would have braked 9 (")


def test_nothing_running_is_said() -> None:
    told = alert([row("Old_Import", RowStatus.ALREADY_OFF)])
    assert "would have braked nothing" in told.body
    assert told.sms == "apibrake WARNING sf-prod: shadow: would have braked 0. Nothing changed."


def test_a_plan_that_would_fail_says_so_not_nothing_to_brake() -> None:
    told = alert(
        [
            row("Account_Rollup", RowStatus.WOULD_BRAKE, {"active_version": 3}),
            row("Lead_Router", RowStatus.FAILED),
        ]
    )
    assert told.subject == (
        "[apibrake] WARNING sf-prod: shadow: would have braked 1 automation, would have "
        "failed on 1, nothing changed"
    )
    assert "The real brake would have FAILED on these" in told.body
    assert "It would have left alone" not in told.body

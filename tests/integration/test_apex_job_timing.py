"""Scheduled Apex jobs at the edges of their schedule: one scheduled in Setup with an end
date (System.schedule sets none, so it cannot come back exactly), and one running at brake
time (its run is Processing: no Queued AsyncApexJob names its class)."""

from __future__ import annotations

from datetime import UTC, datetime

from drill.stack import LocalStack
from tests.integration.brake_support import rows_by_name, statuses

INTEGRATION_USER_ZONE = "America/New_York"  # the sandbox integration user's time zone
ENDS = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def _brake(stack: LocalStack, **entry: object) -> dict[str, object]:
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Rollup", **entry)
    return stack.brake(connection_id="sf-prod", reason="test")


def test_a_job_with_an_end_date_is_not_aborted_without_consent(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_scheduled_job(
        "Rollup", apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE, end_time=ENDS
    )

    row = rows_by_name(_brake(stack))["Rollup"]

    assert row["status"] == "needs_human"
    assert "end date 2026-12-31T23:00:00.000+0000" in row["error"]
    assert stack.sandbox.salesforce.job("Rollup") is not None


def test_an_allowed_restore_of_a_job_with_an_end_date_says_it_lost_it(
    stack: LocalStack,
) -> None:
    stack.sandbox.salesforce.add_scheduled_job(
        "Rollup", apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE, end_time=ENDS
    )

    report = _brake(stack, allow_inexact_restore=True)
    released = stack.release_incident(str(report["incident_id"]))

    assert statuses(report) == {"Rollup": "braked"}
    assert rows_by_name(report)["Rollup"]["before"]["end_time"] == "2026-12-31T23:00:00.000+0000"
    line = rows_by_name(released)["Rollup"]
    assert line["status"] == "released"
    assert "not exactly" in line["error"]
    assert "end date None (was 2026-12-31T23:00:00.000+0000)" in line["error"]


def test_a_job_running_at_brake_time_is_found_with_its_class(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_scheduled_job(
        "Rollup", apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE, state="EXECUTING"
    )

    report = _brake(stack)

    row = rows_by_name(report)["Rollup"]
    assert row["status"] == "braked", row["error"]
    assert row["before"]["apex_class"] == "RollupJob"
    assert row["before"]["inexact"] == []

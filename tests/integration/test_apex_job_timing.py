"""Scheduled Apex jobs at the edges of what Salesforce shows: one scheduled in Setup with an
end date (System.schedule sets none, so it cannot come back exactly), one running at brake
time (its run is Processing: no Queued AsyncApexJob names its class), and classes whose
SymbolTable comes back null in a multi-row answer or lists no constructor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from drill.stack import LocalStack
from sandbox.salesforce import SalesforceSettings
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


def test_a_symbol_table_left_null_is_read_again_alone(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Tooling has been seen to answer SymbolTable null on some rows of a multi-row answer
    stack = stack_factory(salesforce=SalesforceSettings(symbol_table_null_after_first=True))
    org = stack.sandbox.salesforce
    org.add_scheduled_job("Rollup", apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE)
    org.add_scheduled_job(  # no constructor declared: `constructors: []`
        "Cleanup", apex_class="CleanupJob", time_zone=INTEGRATION_USER_ZONE,
        constructor_access="default",
    )  # fmt: skip
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Rollup")
    stack.allow("sf-prod", "scheduled_apex:Cleanup")

    report = stack.brake(connection_id="sf-prod", reason="test")
    released = stack.release_incident(str(report["incident_id"]))

    assert statuses(report) == {"Rollup": "braked", "Cleanup": "braked"}
    assert rows_by_name(report)["Cleanup"]["before"]["constructor"] == "default"
    assert statuses(released) == {"Rollup": "released", "Cleanup": "released"}

"""Scheduled Apex is put back exactly, or not touched without the entry's consent.

System.schedule runs in the calling user's time zone and makes that user the owner, and
anonymous Apex reaches a managed class only through a global constructor: the sandbox
behaves so, and apibrake must read the job and decide before it aborts anything.
"""

from __future__ import annotations

from drill.stack import LocalStack
from tests.integration.brake_support import rows_by_name, statuses

INTEGRATION_USER_ZONE = "America/New_York"  # the sandbox integration user's time zone


def _job(stack: LocalStack, name: str = "Rollup", **job: object) -> None:
    stack.sandbox.salesforce.add_scheduled_job(name, cron="0 0 2 * * ?", **job)  # type: ignore[arg-type]


def _brake(stack: LocalStack, **entry: object) -> dict[str, object]:
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Rollup", **entry)
    return stack.brake(connection_id="sf-prod", reason="test")


def _job_now(stack: LocalStack) -> tuple[str, str, str] | None:
    job = stack.sandbox.salesforce.job("Rollup")
    return None if job is None else (job.cron_expression, job.time_zone, job.owner_id)


def test_a_job_apibrake_owns_comes_back_exactly(stack: LocalStack) -> None:
    _job(stack, apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE)
    before = _job_now(stack)
    report = _brake(stack)
    assert statuses(report) == {"Rollup": "braked"}
    journalled = rows_by_name(report)["Rollup"]["before"]
    assert journalled["owner_id"] == stack.sandbox.salesforce.settings.user_id
    assert journalled["time_zone"] == INTEGRATION_USER_ZONE
    assert journalled["constructor"] == "public"
    assert journalled["inexact"] == []
    released = stack.release_incident(str(report["incident_id"]))
    assert statuses(released) == {"Rollup": "released"}
    assert rows_by_name(released)["Rollup"]["error"] is None
    assert _job_now(stack) == before


def test_a_job_in_another_time_zone_is_left_running_and_named(stack: LocalStack) -> None:
    _job(stack, apex_class="RollupJob", time_zone="Europe/Paris", owner_id="005PARISUSER00")
    report = _brake(stack)
    row = rows_by_name(report)["Rollup"]
    assert row["status"] == "needs_human"
    assert "owner" in row["error"]
    assert "Europe/Paris" in row["error"]  # the by-hand steps name the zone to use
    assert _job_now(stack) is not None  # not aborted


def test_an_allowed_inexact_restore_says_what_differs(stack: LocalStack) -> None:
    _job(stack, apex_class="RollupJob", time_zone="Europe/Paris", owner_id="005PARISUSER00")
    report = _brake(stack, allow_inexact_restore=True)
    row = rows_by_name(report)["Rollup"]
    assert row["status"] == "braked"
    released = stack.release_incident(str(report["incident_id"]))
    line = rows_by_name(released)["Rollup"]
    assert line["status"] == "released"
    assert "not exactly" in line["error"]
    assert "Europe/Paris" in line["error"]
    assert _job_now(stack) == (
        "0 0 2 * * ?",
        INTEGRATION_USER_ZONE,
        stack.sandbox.salesforce.settings.user_id,
    )


def test_a_managed_class_with_a_global_constructor_comes_back_with_its_namespace(
    stack: LocalStack,
) -> None:
    _job(stack, apex_class="SyncJob", namespace="acme", constructor_access="global")
    report = _brake(stack)
    assert statuses(report) == {"Rollup": "braked"}
    released = stack.release_incident(str(report["incident_id"]))
    assert statuses(released) == {"Rollup": "released"}
    job = stack.sandbox.salesforce.job("Rollup")
    assert job is not None
    assert job.apex_class.qualified_name == "acme.SyncJob"


def test_a_managed_class_without_a_global_constructor_is_not_touched(stack: LocalStack) -> None:
    _job(stack, apex_class="SyncJob", namespace="acme", constructor_access="public")
    report = _brake(stack)
    row = rows_by_name(report)["Rollup"]
    assert row["status"] == "needs_human"
    assert "acme.SyncJob" in row["error"]
    assert _job_now(stack) is not None


def test_a_private_constructor_blocks_the_restore(stack: LocalStack) -> None:
    _job(stack, apex_class="Hidden", constructor_access="private")
    report = _brake(stack)
    assert rows_by_name(report)["Rollup"]["status"] == "needs_human"
    assert _job_now(stack) is not None


def test_a_job_in_error_is_left_alone(stack: LocalStack) -> None:
    _job(stack, apex_class="RollupJob", state="ERROR")
    report = _brake(stack)
    row = rows_by_name(report)["Rollup"]
    assert row["status"] == "already_off"
    assert "ERROR" in row["error"]
    assert _job_now(stack) is not None


def test_a_changed_user_time_zone_is_reported_at_release(stack: LocalStack) -> None:
    _job(stack, apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE)
    report = _brake(stack)
    assert statuses(report) == {"Rollup": "braked"}
    user = stack.sandbox.salesforce.records.users[stack.sandbox.salesforce.settings.user_id]
    user.time_zone = "Asia/Tokyo"  # someone changed the integration user meanwhile
    stack.sandbox.salesforce.settings.user_time_zone = "Asia/Tokyo"
    released = stack.release_incident(str(report["incident_id"]))
    line = rows_by_name(released)["Rollup"]
    assert line["status"] == "released"
    assert "time zone Asia/Tokyo (was America/New_York)" in line["error"]

"""Brake then release over the wire restores exactly the prior state, on both platforms."""

from __future__ import annotations

from datetime import timedelta

from drill.stack import LocalStack
from tests.integration.brake_support import (
    api_mutations,
    rows_by_name,
    statuses,
)


def _salesforce_org(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_flow("Account_Rollup", versions=3, active_version=2)
    stack.sandbox.salesforce.add_flow("Lead_Router", versions=1)
    stack.sandbox.salesforce.add_flow("Already_Off", versions=2, active_version=None)
    stack.sandbox.salesforce.add_flow("Not_Allowlisted", versions=1)
    stack.sandbox.salesforce.add_scheduled_job(
        "Nightly Sync", cron="0 0 2 * * ?", apex_class="NightlySync"
    )
    stack.sandbox.salesforce.add_scheduled_job(
        "Hourly Ping", cron="0 15 * * * ?", apex_class="HourlyPing"
    )
    stack.sandbox.salesforce.add_scheduled_job(
        "Other Job", cron="0 30 * * * ?", apex_class="OtherJob"
    )


def test_salesforce_round_trip_restores_exact_state(stack: LocalStack) -> None:
    # Given an org with flows and scheduled jobs, most of them allowlisted
    _salesforce_org(stack)
    stack.add_salesforce()
    stack.allow(
        "sf-prod",
        "flow:Account_Rollup",
        "flow:Lead_Router",
        "flow:Already_Off",
        "scheduled_apex:Nightly Sync",
        "scheduled_apex:Hourly Ping",
    )
    jobs_before = {
        j.name: (j.cron_expression, j.apex_class.name) for j in stack.sandbox.salesforce.jobs()
    }
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="test")
    # Then every allowlisted automation is off, the rest untouched
    assert statuses(report) == {
        "Account_Rollup": "braked",
        "Lead_Router": "braked",
        "Already_Off": "already_off",
        "Nightly Sync": "braked",
        "Hourly Ping": "braked",
    }
    assert stack.sandbox.salesforce.flow("Account_Rollup").active_version is None
    assert stack.sandbox.salesforce.flow("Not_Allowlisted").active_version == 1
    assert {j.name for j in stack.sandbox.salesforce.jobs()} == {"Other Job"}
    assert rows_by_name(report)["Account_Rollup"]["before"]["active_version"] == 2
    assert report["api_calls"]["sf-prod"] <= 10
    incident_id = report["incident_id"]
    # When it is released (usage is low, so the window has recovered)
    released = stack.release_incident(incident_id)
    # Then the recorded version (not the latest) is active again and the jobs are back
    assert statuses(released)["Account_Rollup"] == "released"
    assert statuses(released)["Nightly Sync"] == "released"
    assert stack.sandbox.salesforce.flow("Account_Rollup").active_version == 2
    assert stack.sandbox.salesforce.flow("Lead_Router").active_version == 1
    assert stack.sandbox.salesforce.flow("Already_Off").active_version is None
    jobs_after = {
        j.name: (j.cron_expression, j.apex_class.name) for j in stack.sandbox.salesforce.jobs()
    }
    assert jobs_after == jobs_before
    # And the audit shows exactly one change and one restore per braked automation
    targets = sorted(m.target for m in api_mutations(stack.sandbox, "salesforce"))
    assert targets == sorted(["Account_Rollup", "Lead_Router", "Nightly Sync", "Hourly Ping"] * 2)
    assert stack.journal.open_incident_id("sf-prod") is None  # closed


def test_hubspot_round_trip_restores_exact_state(stack: LocalStack) -> None:
    # Given a portal with three enabled workflows and one disabled, three allowlisted
    ids = [
        stack.sandbox.hubspot.add_workflow(
            f"Flow {n}", enrolments_per_hour=100, custom_code_calls=1
        )["id"]
        for n in range(3)
    ]
    off = stack.sandbox.hubspot.add_workflow("Off", enabled=False)["id"]
    other = stack.sandbox.hubspot.add_workflow("Other")["id"]
    before = {fid: stack.sandbox.hubspot.workflow(fid) for fid in [*ids, off, other]}
    stack.add_hubspot()
    stack.allow("hs-main", *(f"workflow:{fid}" for fid in [*ids, off]))
    # When the brake runs
    report = stack.brake(connection_id="hs-main")
    # Then the enabled ones are off, everything else about them untouched
    assert statuses(report) == {**dict.fromkeys(ids, "braked"), off: "already_off"}
    for fid in ids:
        now = stack.sandbox.hubspot.workflow(fid)
        assert now["isEnabled"] is False
        assert now["actions"] == before[fid]["actions"]
    assert stack.sandbox.hubspot.workflow(other)["isEnabled"] is True
    assert report["api_calls"]["hs-main"] <= len(ids) + 3
    # When the scheduled release runs before HubSpot's reset: nothing happens
    waiting = stack.release_recovered()
    assert all(stack.sandbox.hubspot.workflow(fid)["isEnabled"] is False for fid in ids)
    assert "reset" in waiting["errors"][0]["error"]
    # When it runs after the reset
    stack.sandbox.advance(timedelta(days=1))
    released = stack.release_recovered()
    # Then each workflow is enabled again, with its actions as they were
    assert statuses(released) == {**dict.fromkeys(ids, "released"), off: "skipped"}
    for fid in [*ids, off, other]:
        now = stack.sandbox.hubspot.workflow(fid)
        assert now["isEnabled"] == before[fid]["isEnabled"]
        assert now["actions"] == before[fid]["actions"]
    puts = api_mutations(stack.sandbox, "hubspot")
    assert sorted(m.target for m in puts) == sorted(ids * 2)

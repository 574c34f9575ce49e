"""A waiting scheduled restore decides from stored data: no platform call while not recovered."""

from __future__ import annotations

from datetime import timedelta

from drill.stack import LocalStack


def _platform_calls(stack: LocalStack) -> int:
    sandbox = stack.sandbox
    return sandbox.salesforce_server.requests_served + sandbox.hubspot_server.requests_served


def test_waiting_hubspot_restore_spends_no_calls_until_the_reset(stack: LocalStack) -> None:
    # Given a braked portal whose usage the monitor keeps reading every 5 minutes
    hubspot = stack.sandbox.hubspot
    flow_id = hubspot.add_workflow("Chatty", enrolments_per_hour=100, custom_code_calls=1)["id"]
    stack.add_hubspot("hs-main")
    stack.allow("hs-main", f"workflow:{flow_id}")
    hubspot.add_usage(240_000)
    braked = stack.brake({"connection_id": "hs-main"})
    assert braked["rows"][0]["status"] == "braked"
    stack.sandbox.advance(timedelta(minutes=5))
    stack.check()
    # When the scheduled restore runs before HubSpot's reset
    calls_before = _platform_calls(stack)
    waiting = stack.release_recovered()
    # Then it waits without spending a single platform call
    assert _platform_calls(stack) == calls_before
    assert sum(waiting["api_calls"].values()) == 0
    assert "reset" in waiting["errors"][0]["error"]
    assert hubspot.workflow(flow_id)["isEnabled"] is False
    # When the day has reset and the monitor has read the new day's usage
    stack.sandbox.advance(timedelta(days=1))
    stack.check()
    released = stack.release_recovered()
    # Then the workflow is back on
    assert released["rows"][0]["status"] == "released"
    assert hubspot.workflow(flow_id)["isEnabled"] is True


def test_waiting_salesforce_restore_uses_the_fresh_stored_reading(
    stack: LocalStack,
) -> None:
    # Given a braked org still at 92 % of its limit, read by the monitor 5 minutes ago
    salesforce = stack.sandbox.salesforce
    salesforce.add_flow("Account_Rollup", versions=2, active_version=2)
    stack.add_salesforce("sf-prod")
    stack.allow("sf-prod", "flow:Account_Rollup")
    salesforce.add_usage(92_000)
    stack.brake({"connection_id": "sf-prod"})
    stack.sandbox.advance(timedelta(minutes=5))
    stack.check()
    # When the scheduled restore runs
    calls_before = _platform_calls(stack)
    waiting = stack.release_recovered()
    # Then it compares the stored reading with release_below without calling Salesforce
    assert _platform_calls(stack) == calls_before
    assert "release_below" in waiting["errors"][0]["error"]
    assert waiting["errors"][0]["code"] == "not_recovered"
    (row,) = waiting["rows"]
    assert row["error"].startswith("not released yet: usage")  # the real reason, per row
    assert salesforce.flow("Account_Rollup").active_version is None
    # When the monitor has not stored a reading for longer than a check period allows
    stack.sandbox.advance(timedelta(minutes=20))
    stale = stack.release_recovered()
    # Then restore falls back to one usage call (plus the token it needs for it)
    assert 1 <= _platform_calls(stack) - calls_before <= 2
    assert "release_below" in stale["errors"][0]["error"]
    assert "release_below" in stale["rows"][0]["error"]
    assert salesforce.flow("Account_Rollup").active_version is None

"""Setup audit rows that are no new activation: apibrake's own re-activation at release and
an admin switching a flow's run mode (`...WithSystemMode`). An alert must not name such a
flow an activation driver "after the newest usage data" (moto server + the sandbox over
HTTP)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drill.stack import LocalStack
from tests.integration.brake_support import statuses


def _suspects(report: dict[str, Any]) -> dict[str, Any]:
    row = next(r for r in report["connections"] if r["connection_id"] == "sf-prod")
    suspects: dict[str, Any] = row["suspects"]
    return suspects


def test_a_release_and_a_run_mode_change_are_not_promoted(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup")
    org = stack.sandbox.salesforce
    org.add_flow("Account_Rollup", trigger_type="Scheduled", records_per_hour=500)
    org.add_flow("Lead_Router", trigger_type="Scheduled", records_per_hour=500)
    stack.sandbox.advance(timedelta(days=2))  # their first activation is old news
    braked = stack.brake(connection_id="sf-prod", reason="test")
    released = stack.release_incident(str(braked["incident_id"]))
    org.run_flow_in_system_mode_by_hand("Lead_Router")
    stack.sandbox.advance(timedelta(minutes=5))
    org.add_usage(75_000)  # past 70 %: an alert with suspects

    suspects = _suspects(stack.check())

    assert statuses(released) == {"Account_Rollup": "released"}
    actions = {(c["action"], c["by_apibrake"]) for c in suspects["changes"]}
    assert ("activatedinteractiondefversion", True) in actions  # the release, seen as ours
    assert ("activatedinteractiondefversionWithSystemMode", False) in actions
    # Neither is an activation driver, so neither is "after the newest usage data"
    assert [d for d in suspects["drivers"] if d["kind"] == "activation"] == []
    assert [d for d in suspects["drivers"] if "after the newest" in d["evidence"]] == []

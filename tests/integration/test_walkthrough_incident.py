"""The runbook's local walk-through (docs/runbook.md, "Rehearse locally") with the real
handlers: the `incident` scenario checked once a minute, as `apibrake status --watch 60
--check --local` does, with the runaways allowlisted as the `local up` banner says. The
minutes are the sandbox clock's; the runbook promises them in real time."""

from __future__ import annotations

from datetime import timedelta

from drill.stack import LocalStack
from sandbox.salesforce.connector import HUBSPOT_USERNAME
from sandbox.scenarios import INCIDENT_FLOW, INCIDENT_WORKFLOW_ID, incident


def _walk(stack: LocalStack, minutes: int) -> dict[str, list[str]]:
    """A check a minute, the monitor's brakes delivered: "minute: subject" per connection."""
    alerts: dict[str, list[str]] = {"sf-local": [], "hs-local": []}
    for minute in range(minutes):
        stack.check()
        stack.run_auto_brakes()
        for alert in stack.alerts():
            alerts[alert.attributes["connection_id"]].append(f"{minute}: {alert.subject}")
        stack.sandbox.clock.advance(timedelta(minutes=1))
    return alerts


def test_warnings_then_a_brake_on_each_platform_within_twenty_minutes(stack: LocalStack) -> None:
    incident(stack.sandbox)
    stack.add_salesforce("sf-local", protected_consumers=[HUBSPOT_USERNAME])
    stack.add_hubspot("hs-local")
    stack.allow("sf-local", f"flow:{INCIDENT_FLOW}")
    stack.allow("hs-local", f"workflow:{INCIDENT_WORKFLOW_ID}")

    alerts = _walk(stack, 21)

    salesforce, hubspot = alerts["sf-local"], alerts["hs-local"]
    assert "0: [apibrake] WARNING sf-local: 78% of daily API limit used" in salesforce
    assert "0: [apibrake] WARNING hs-local: 76% of daily API limit used" in hubspot
    assert any(line.startswith("5: ") and "80% of daily API limit" in line for line in salesforce)
    assert any(line.startswith("6: ") and "80% of daily API limit" in line for line in hubspot)
    # Salesforce brakes ahead of 90 %: the connector's tail would carry it to 100 %
    sf_brake = next(line for line in salesforce if "braked ahead" in line)
    assert int(sf_brake.split(":")[0]) <= 15
    hs_brake = next(line for line in hubspot if "braked ahead" in line)
    assert int(hs_brake.split(":")[0]) <= 20
    assert stack.sandbox.salesforce.flow(INCIDENT_FLOW).active_version is None
    assert stack.sandbox.hubspot.workflow(INCIDENT_WORKFLOW_ID)["isEnabled"] is False

"""A release that does not restart the fire, over the wire: the automation attribution named
as a driver of the burn stays braked until someone reworks it or names it (`include`); the
rest comes back; a driver released unchanged that burns again is called out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    Suspects,
)
from drill.stack import LocalStack
from tests.integration.brake_support import rows_by_name, statuses

DRIVER = "flow:Mass_Update_Accounts"


def _suspects(stack: LocalStack) -> dict[str, Any]:
    """What the monitor would have known: the connector spends, the mass update drives it."""
    return Suspects(
        connection_id="sf-prod",
        source=AttributionSource.EVENT_LOG_OBJECT,
        data_as_of=stack.sandbox.clock.now(),
        consumers=[Consumer(name="HubSpot connector", kind=ConsumerKind.CONNECTED_APP, calls=900)],
        drivers=[
            Driver(
                name="flow Mass_Update_Accounts",
                kind=DriverKind.ACTIVATION,
                at=datetime(2026, 11, 2, 9, 5, tzinfo=UTC),
                who="admin@acme.com",
                automation=DRIVER,
            )
        ],
    ).model_dump(mode="json")


def _braked(stack: LocalStack) -> str:
    """Two flows braked: the named driver and a collateral one."""
    org = stack.sandbox.salesforce
    org.add_flow("Mass_Update_Accounts", versions=2, active_version=2)
    org.add_flow("Lead_Router", versions=1)
    stack.add_salesforce()
    stack.allow("sf-prod", DRIVER, "flow:Lead_Router")
    braked = stack.brake(connection_id="sf-prod", reason="test", suspects=_suspects(stack))
    assert statuses(braked) == {"Mass_Update_Accounts": "braked", "Lead_Router": "braked"}
    return str(braked["incident_id"])


def test_an_unchanged_driver_is_held_and_the_collateral_released(stack: LocalStack) -> None:
    incident_id = _braked(stack)
    stack.alerts()  # the brake's

    released = stack.release_incident(incident_id)

    assert statuses(released) == {"Mass_Update_Accounts": "held", "Lead_Router": "released"}
    error = rows_by_name(released)["Mass_Update_Accounts"]["error"]
    assert error.startswith("held: it drove the burn (flow Mass_Update_Accounts activated")
    assert "unchanged since the brake" in error
    assert f"apibrake release --incident {incident_id} --include {DRIVER}" in error
    org = stack.sandbox.salesforce
    assert org.flow("Mass_Update_Accounts").active_version is None
    assert org.flow("Lead_Router").active_version == 1
    assert stack.journal.open_incident_id("sf-prod") == incident_id  # still open
    (summary,) = [a for a in stack.alerts() if a.attributes.get("kind") == "release"]
    held_line = next(line for line in summary.body.splitlines() if line.startswith("held "))
    assert f"held         {DRIVER}" in held_line
    assert "(held: it drove the burn" in held_line
    # The scheduled release finds the same hold: it releases nothing and says nothing again
    again = stack.release_recovered()
    assert statuses(again)["Mass_Update_Accounts"] == "held"
    assert org.flow("Mass_Update_Accounts").active_version is None
    assert not [a for a in stack.alerts() if a.attributes.get("kind") == "release"]
    # Forcing does not release it either
    forced = stack.release_incident(incident_id, force=True)
    assert statuses(forced)["Mass_Update_Accounts"] == "held"


def test_a_reworked_driver_is_released(stack: LocalStack) -> None:
    incident_id = _braked(stack)
    stack.release_incident(incident_id)
    # Its owner saves a fixed version (not activated yet)
    stack.sandbox.salesforce.rework_flow("Mass_Update_Accounts", 0.0)
    # The scheduled release re-reads rows it only holds once an hour (each read is a call)
    assert "held" in str(stack.release_recovered())
    assert stack.sandbox.salesforce.flow("Mass_Update_Accounts").active_version is None
    stack.sandbox.advance(timedelta(hours=1))

    released = stack.release_recovered()

    assert statuses(released)["Mass_Update_Accounts"] == "released"
    assert stack.sandbox.salesforce.flow("Mass_Update_Accounts").active_version == 2
    assert stack.journal.open_incident_id("sf-prod") is None  # every row settled: closed


def test_include_releases_a_held_driver_and_a_new_burn_says_so(stack: LocalStack) -> None:
    incident_id = _braked(stack)
    stack.release_incident(incident_id)

    released = stack.release_incident(incident_id, include=[DRIVER])

    assert statuses(released)["Mass_Update_Accounts"] == "released"
    org = stack.sandbox.salesforce
    assert org.flow("Mass_Update_Accounts").active_version == 2
    assert stack.journal.open_incident_id("sf-prod") is None
    # The same flow, activated again, drives a new burn the next day
    stack.alerts()
    org.activate_flow_by_hand("Mass_Update_Accounts", None)
    org.activate_flow_by_hand("Mass_Update_Accounts", 2)
    org.add_usage(75_000)
    stack.check()
    bodies = "\n".join(alert.body for alert in stack.alerts())
    today = stack.sandbox.clock.now()
    assert f"released on {today:%Y-%m-%d} unchanged, burning again" in bodies


def test_include_is_validated_like_only(stack: LocalStack) -> None:
    incident_id = _braked(stack)

    refused = stack.release_incident(incident_id, include=["not a key"])

    assert refused["error"] == "invalid_event"
    assert stack.sandbox.salesforce.flow("Mass_Update_Accounts").active_version is None

"""A Salesforce brake ahead for the connector's tail alone, over the wire: it stands down
when what changed the records has stopped (the tail is spent whatever apibrake does, so a
brake would stop nothing), and starts when the changes go on.

The org's limit is 100,000; its 90 % brake threshold is 90,000 calls. A data-load flow
changes Leads that HubSpot's connector syncs at 70,000 calls an hour, a cycle behind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from apibrake.warn.rules import brake_threshold_alert
from drill.score import states
from drill.stack import LocalStack
from sandbox.salesforce.connector import HUBSPOT_USERNAME

FLOW = "Lead_Import_Dedupe"
THRESHOLD = 90_000
BRAKE_ALERT = brake_threshold_alert(90.0).key


def data_load_org(stack: LocalStack) -> None:
    """An org at 72 %, the data-load flow off and allowlisted, the connector protected; then
    half an hour of calm ticks, so the load starts as a connector cycle begins."""
    states.short_burst(stack.sandbox)
    stack.add_salesforce(protected_consumers=[HUBSPOT_USERNAME])
    stack.allow("sf-prod", f"flow:{FLOW}")
    for _ in range(30):
        minute(stack)


def minute(stack: LocalStack) -> dict[str, Any]:
    """One simulated minute, then a schedule tick and the brakes it queued."""
    stack.sandbox.advance(timedelta(minutes=1))
    report = stack.tick()
    stack.run_auto_brakes()
    rows = [row for row in report["connections"] if row["connection_id"] == "sf-prod"]
    return rows[0] if rows else {}


def used(stack: LocalStack) -> float:
    return float(stack.sandbox.salesforce.usage_ledger.used(stack.sandbox.clock.now()))


def test_a_load_that_stopped_is_not_braked_for_its_tail(stack: LocalStack) -> None:
    # Given the data load runs for 12 minutes and stops by itself
    data_load_org(stack)
    org = stack.sandbox.salesforce
    org.activate_flow_by_hand(FLOW, 1)
    rows = [minute(stack) for _ in range(12)]
    org.activate_flow_by_hand(FLOW, None)
    # When the connector syncs what it changed over the next half hour, checked every minute
    rows += [minute(stack) for _ in range(30)]
    # Then no brake started, though the tail guard saw 100 % within its 30 minutes
    assert not any(row.get("auto_brake_triggered") for row in rows)
    assert not stack.invoker.events
    kinds = [alert.attributes["kind"] for alert in stack.alerts()]
    assert "brake_threshold" not in kinds
    # and the stand-down gave the brake alert's claim back: a real crossing can still alert
    assert stack.state.claimed_at("sf-prod", BRAKE_ALERT) is None
    # and the load finished: usage stopped short of the threshold on its own
    assert used(stack) < THRESHOLD
    # and the drivers check spent its call where it ran: one composite on top of the reading
    assert any(row.get("api_calls", 0) >= 2 for row in rows)


def test_a_load_still_changing_records_is_braked_ahead_for_its_tail(stack: LocalStack) -> None:
    # Given the data load runs on
    data_load_org(stack)
    stack.sandbox.salesforce.activate_flow_by_hand(FLOW, 1)
    rows = []
    # When the schedule ticks every minute until the brake starts
    while not any(row.get("auto_brake_triggered") for row in rows) and len(rows) < 40:
        rows.append(minute(stack))
    # Then it braked ahead, below the threshold, for the tail: the records still change
    braked = rows[-1]
    assert braked["auto_brake_triggered"]
    assert braked["braked_ahead"]
    assert braked["used"] < THRESHOLD
    assert stack.sandbox.salesforce.flow(FLOW).active_version is None
    # When the connector's tail goes on after the brake, checked every minute
    after = [minute(stack) for _ in range(5)]
    # Then no check asks about the drivers again: the brake's claim is held for the window
    assert [row["api_calls"] for row in after if row] == [1] * len([r for r in after if r])

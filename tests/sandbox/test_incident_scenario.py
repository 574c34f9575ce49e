"""The `incident` scenario the runbook's local walk-through serves (`apibrake local up
--scenario incident`): where it starts, and that the sandbox's own model carries it through
the warnings within the minutes the runbook promises (the local stack runs on the wall
clock, so those minutes are real ones; here the clock is advanced instead)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox.clock import VirtualClock
from sandbox.salesforce.connector import HUBSPOT_USERNAME
from sandbox.scenarios import (
    INCIDENT_FLOW,
    INCIDENT_RUNNING_FOR,
    INCIDENT_SALESFORCE_CALLS_PER_HOUR,
    SCENARIO_HISTORY,
    SCENARIOS,
    incident,
)
from sandbox.server import Sandbox


def _percent(usage: tuple[int, int]) -> float:
    used, limit = usage
    return used / limit * 100


@pytest.fixture
def walkthrough() -> Sandbox:
    """The scenario as `local up` builds it (not served: nothing here calls over HTTP)."""
    sandbox = Sandbox(clock=VirtualClock())
    SCENARIOS["incident"](sandbox)
    return sandbox


def _at(sandbox: Sandbox, minutes: float) -> tuple[float, float]:
    """(Salesforce %, HubSpot %) `minutes` into the walk-through."""
    sandbox.clock.advance(timedelta(minutes=minutes))
    return _percent(sandbox.salesforce.usage()), _percent(sandbox.hubspot.usage())


def test_it_starts_past_the_first_warning_with_its_history_run() -> None:
    sandbox = Sandbox(clock=VirtualClock())
    built_at = sandbox.clock.now()
    incident(sandbox)

    # The runaway's first half hour already ran: `local up` builds it that far back
    assert SCENARIO_HISTORY["incident"] == INCIDENT_RUNNING_FOR
    assert sandbox.clock.now() - built_at == INCIDENT_RUNNING_FOR
    salesforce, hubspot = _percent(sandbox.salesforce.usage()), _percent(sandbox.hubspot.usage())
    assert 77 <= salesforce < 78
    assert 75.5 <= hubspot < 76.5


def test_salesforce_crosses_80_within_5_minutes_and_the_brake_threshold_within_25(
    walkthrough: Sandbox,
) -> None:
    assert _at(walkthrough, 4)[0] < 80
    assert _at(walkthrough, 1.5)[0] >= 80  # 5.5 minutes in
    # Unbraked it reaches brake_at (90 %) about 25 minutes in; the monitor brakes ahead of
    # it, as the connector's tail would otherwise reach 100 %
    # (tests/integration/test_walkthrough_incident.py).
    assert _at(walkthrough, 19)[0] < 90
    assert _at(walkthrough, 1.5)[0] >= 90


def test_hubspot_crosses_80_within_7_minutes_and_90_within_22(walkthrough: Sandbox) -> None:
    assert _at(walkthrough, 5)[1] < 80
    assert _at(walkthrough, 2)[1] >= 80
    assert _at(walkthrough, 13)[1] < 90
    assert _at(walkthrough, 2)[1] >= 90


def test_the_flow_changes_records_and_the_connector_spends_the_calls(walkthrough: Sandbox) -> None:
    org = walkthrough.salesforce
    connector = sum(
        rate for caller, rate in org.spenders_now() if caller.username == HUBSPOT_USERNAME
    )
    assert connector == pytest.approx(INCIDENT_SALESFORCE_CALLS_PER_HOUR, rel=0.05)
    # Deactivated (what the brake does), the flow stops changing records: the climb ends
    # once the connector has synced the last ones (its tail), and none of the day's earlier
    # calls ages out within the hour after.
    org.activate_flow_by_hand(INCIDENT_FLOW, None)
    after_the_tail = _at(walkthrough, 35)[0]
    an_hour_on = _at(walkthrough, 60)[0]
    assert after_the_tail - 2 < an_hour_on <= after_the_tail + 2  # background traffic only

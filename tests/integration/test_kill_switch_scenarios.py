"""The sandbox states the score builds on for the new kinds: a trigger-driven runaway the
monitor's automatic brake contains through a `setting` entry, and scenario 7's external
ETL contained once its user is allowlisted at tier 2 (and the connection's automatic brake
takes tier 2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drill.stack import LocalStack
from sandbox.scenarios import ETL_USER, TRIGGER_SWITCH, noisy_neighbour, trigger_runaway
from tests.integration.brake_support import statuses


def _check_until_braked(stack: LocalStack, *, minutes: int = 5, checks: int = 30) -> dict[str, Any]:
    for _ in range(checks):
        stack.sandbox.advance(timedelta(minutes=minutes))
        stack.check()
        braked = stack.run_auto_brakes()
        if braked:
            return braked[0]
    raise AssertionError("the automatic brake never ran")


def test_trigger_runaway_is_contained_through_its_kill_switch(stack: LocalStack) -> None:
    # Given a runaway trigger that reads a kill switch, the switch allowlisted
    trigger_runaway(stack.sandbox)
    sf = stack.sandbox.salesforce
    stack.add_salesforce()
    stack.allow("sf-prod", f"setting:{TRIGGER_SWITCH}")
    # When the monitor sees usage cross brake_at and brakes
    report = _check_until_braked(stack)
    # Then the switch is set and the trigger stops changing records; HubSpot's connector
    # still syncs what it changed before (the tail), under the limit, then goes flat
    assert statuses(report) == {TRIGGER_SWITCH: "braked"}
    assert sf.switches.org_default(TRIGGER_SWITCH) is True
    stack.sandbox.advance(timedelta(hours=1))
    used, limit = sf.usage()
    assert used < limit
    stack.sandbox.advance(timedelta(hours=1))
    assert sf.usage()[0] - used < 1_000  # background only


def test_noisy_neighbour_is_contained_when_its_user_is_allowlisted_at_tier_2(
    stack: LocalStack,
) -> None:
    # Given scenario 7's ETL, its user allowlisted at tier 2 and an automatic brake of tier 2
    noisy_neighbour(stack.sandbox)
    sf = stack.sandbox.salesforce
    stack.add_salesforce(auto_brake_tier=2)
    stack.allow("sf-prod", "flow:Opportunity_Rollup_Hourly")
    stack.allow("sf-prod", f"user:{ETL_USER}", tier=2)
    # When the monitor brakes
    report = _check_until_braked(stack)
    # Then the ETL's user is frozen with the flow, and the burn stops
    assert statuses(report) == {"Opportunity_Rollup_Hourly": "braked", ETL_USER: "braked"}
    assert sf.switches.user(ETL_USER).frozen is True
    used, limit = sf.usage()
    stack.sandbox.advance(timedelta(hours=1))
    assert sf.usage()[0] - used < 1_000
    assert used < limit

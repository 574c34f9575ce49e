"""The causal model: automations change records and spend no calls; HubSpot's connector
spends the calls syncing them, under its own app and user, a cycle at a time, with a
backlog, a pause while the org refuses, and the admin's "Allocated to HubSpot" cap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from sandbox.salesforce import SalesforceSettings
from sandbox.salesforce.connector import HUBSPOT_APP_NAME, HUBSPOT_USERNAME, records_costing
from sandbox.server import Sandbox


@pytest.fixture
def sandbox(sandbox: Sandbox) -> Sandbox:
    sandbox.salesforce.connector.settings.sync_error_share = 0  # exact counts
    return sandbox


def _callers(sandbox: Sandbox) -> Counter[tuple[str, str, str]]:
    """Calls per (connected app, user, client name) over the last day, this minute's too."""
    end = sandbox.clock.now() + timedelta(minutes=1)
    counted: Counter[tuple[str, str, str]] = Counter()
    for _, caller, calls in sandbox.salesforce.ledger.whole_calls(end - timedelta(days=1), end):
        counted[(caller.connected_app_name, caller.username, caller.client_name)] += calls
    return counted


def _rollups(sandbox: Sandbox) -> None:
    for name in ("Account", "Opportunity", "Contact", "Case"):
        sandbox.salesforce.add_flow(
            f"{name}_Rollup_Hourly",
            trigger_type="Scheduled",
            records_per_run=int(records_costing(900)),
            changes_object=name,
        )


def test_rollup_flows_are_no_api_client_the_connector_is(sandbox: Sandbox) -> None:
    _rollups(sandbox)
    sandbox.salesforce.add_scheduled_job("Recalc", records_per_hour=records_costing(300))

    sandbox.advance(timedelta(hours=3, minutes=30))

    # Every counted call is the connector's: the rollups' runs at 1 h, 2 h and 3 h (each
    # synced over the cycle after), the job's 75 a cycle (13 made, the 14th one minute in).
    used = sandbox.salesforce.usage()[0]
    assert used == 3 * 4 * 900 + 13 * 75 + 5
    assert _callers(sandbox) == {(HUBSPOT_APP_NAME, HUBSPOT_USERNAME, ""): used}


def test_a_flow_changing_an_object_nobody_syncs_costs_nothing(sandbox: Sandbox) -> None:
    sandbox.salesforce.add_flow(
        "Invoice_Rollup", records_per_hour=50_000, changes_object="Invoice__c"
    )

    sandbox.advance(timedelta(hours=2))

    assert sandbox.salesforce.usage()[0] == 0


def test_a_backlog_makes_the_tail_after_a_brake_longer(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    org.connector.settings.backlog = timedelta(minutes=30)
    org.add_flow("Mass_Update", records_per_hour=records_costing(6_000))
    sandbox.advance(timedelta(hours=1))
    org.activate_flow_by_hand("Mass_Update", None)

    # The hour's changes (6,000 calls' worth) sync at 45, 60, 75 and 90 minutes, each
    # over the 15 minutes after: half an hour after the brake it is still burning...
    sandbox.advance(timedelta(minutes=30))
    assert org.usage()[0] < 6_000
    # ...and flat 45 minutes after it, every change synced.
    sandbox.advance(timedelta(minutes=15))
    assert org.usage()[0] == 6_000
    sandbox.advance(timedelta(hours=1))
    assert org.usage()[0] == 6_000


def test_the_connector_pauses_while_the_org_refuses_and_catches_up_after(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(daily_limit=10_000))
    org = sandbox.salesforce
    org.connector.settings.sync_error_share = 0
    org.add_usage(10_000)  # the day is spent
    org.add_flow("Mass_Update", records_per_hour=records_costing(1_000))

    sandbox.advance(timedelta(hours=2))
    assert org.usage()[0] == 10_000  # every cycle refused: the changes wait
    assert org.connector.backlog_records() == pytest.approx(records_costing(2_000))

    sandbox.advance(timedelta(hours=22, minutes=15))
    # At 24 h the spent day aged out: that cycle synced the whole day's changes at once,
    # which spent the day again, and the cycle after was refused.
    assert org.usage()[0] == 24_000
    assert org.connector.backlog_records() == pytest.approx(records_costing(250))


def test_allocated_to_hubspot_caps_its_calls_in_24_hours(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    org.connector.settings.allocated_to_hubspot = 1_000
    org.add_flow("Mass_Update", records_per_hour=records_costing(600))

    sandbox.advance(timedelta(hours=4))

    # 150 a cycle: the seventh cycle passes the cap, later ones wait.
    assert org.usage()[0] == 7 * 150


def test_a_frozen_connector_user_syncs_nothing(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    org.add_flow("Mass_Update", records_per_hour=records_costing(600))
    org.switches.freeze_by_hand(HUBSPOT_USERNAME)

    sandbox.advance(timedelta(hours=1))

    assert org.usage()[0] == 0
    assert org.connector.backlog_records() == pytest.approx(records_costing(600))


def test_a_workflows_salesforce_actions_spend_salesforce_calls_through_the_connector(
    sandbox: Sandbox,
) -> None:
    sandbox.hubspot.add_workflow(
        "Create Salesforce tasks", flow_id="7", enrolments_per_hour=400, salesforce_actions=1
    )

    sandbox.advance(timedelta(hours=1))

    assert sandbox.hubspot.usage()[0] == 0  # no custom code: no portal calls
    assert sandbox.salesforce.usage()[0] == 400
    assert set(_callers(sandbox)) == {(HUBSPOT_APP_NAME, HUBSPOT_USERNAME, "")}


def test_sync_errors_are_retried_until_three_quarters_of_the_cap(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    org.connector.settings.sync_error_share = 0.5
    org.connector.settings.allocated_to_hubspot = 320
    org.add_flow("Mass_Update", records_per_hour=records_costing(400))

    sandbox.advance(timedelta(minutes=44))
    # Cycles at 15 and 30 minutes: 500 records each, 250 synced (50 calls), 250 errored;
    # the retry at 30 minutes syncs the 500 errored ones (100 calls).
    assert org.usage()[0] == 200
    sandbox.advance(timedelta(hours=1, minutes=16))
    # At the 60-minute retry it had spent over 240 (75 % of 320): no retry; its cycles
    # at 45, 60 and 75 minutes go on until the cap itself stops the one at 90.
    assert org.usage()[0] == 350
    assert org.connector.errored_records() == pytest.approx(3 * 250)


def test_a_cycle_that_cannot_sync_everything_carries_the_rest_to_the_next(
    sandbox: Sandbox,
) -> None:
    org = sandbox.salesforce
    org.connector.settings.records_per_cycle = records_costing(500)  # half of what changes
    org.add_flow("Mass_Update", records_per_hour=records_costing(4_000))

    sandbox.advance(timedelta(hours=1))
    # Four cycles synced half of the hour's changes: the other half waits
    assert org.connector.backlog_records() == pytest.approx(records_costing(2_000))

    org.activate_flow_by_hand("Mass_Update", None)
    sandbox.advance(timedelta(hours=2))
    # The backlog drained over the next four cycles: every change synced once
    assert org.usage()[0] == 4_000
    assert org.connector.backlog_records() == 0

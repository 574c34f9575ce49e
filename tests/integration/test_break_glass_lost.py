"""The break-glass brake when a block's answer or its log does not come back whole, and the
rows it must leave alone, over the wire (brake/break_glass.py): a block is one transaction,
so a read that still shows anything the block would change means it never ran; a block
that ran without its whole log, or whose invocation died, goes to a person to put back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apibrake.brake import responder
from apibrake.incident.readings import fresh_reading
from apibrake.models.usage import UsageReading
from apibrake.platforms.client import PlatformClient
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from tests.integration.brake_support import rows_by_name, statuses
from tests.integration.test_break_glass import (
    ETL,
    FLOW,
    JOB,
    SOAP,
    SWITCH,
    _died_after_journalling,
    _org_past_its_limit,
)


def test_a_lost_block_that_never_ran_is_sent_again_though_a_row_was_off_already(
    stack: LocalStack,
) -> None:
    # Given an org past its limit whose switch is set already, and the connection reset
    # before the job's and switch's block reached the org
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    sf.switches.set_by_hand(SWITCH, True)
    stack.sandbox.salesforce_server.faults.add(
        Fault(kind=FaultKind.RESET, path=SOAP, method="POST")
    )
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the read still shows the job scheduled: the block never ran (a switch set
    # already proves nothing), so it goes once more and the job is braked exactly
    assert statuses(report)[JOB] == "braked"
    assert statuses(report)[SWITCH] == "already_off"
    assert rows_by_name(report)[JOB]["before"]["cron"] == "0 0 2 * * ?"
    assert sf.job(JOB) is None
    # the read, the block again and the freeze's block (the reset one never reached the org)
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 3


def test_a_block_sent_twice_that_never_ran_goes_to_a_person(stack: LocalStack) -> None:
    # Given the connection reset before the block arrived, both times it is sent
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    faults = stack.sandbox.salesforce_server.faults
    faults.add(Fault(kind=FaultKind.RESET, path=SOAP, method="POST"))
    faults.add(Fault(kind=FaultKind.RESET, path=SOAP, method="POST", skip=1))
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the job and the switch go to a person, to switch off by hand, and are alerted
    rows = rows_by_name(report)
    for name in (JOB, SWITCH):
        assert rows[name]["status"] == "needs_human"
        assert "sent twice, not run" in rows[name]["error"]
        assert "switch it off by hand" in rows[name]["error"]
    assert sf.job(JOB) is not None
    assert sf.switches.org_default(SWITCH) is False
    alerts = [a for a in stack.alerts() if f"scheduled_apex:{JOB}" in a.body]
    assert alerts, "a person is told to switch the job off"


@pytest.mark.parametrize("loses", ["older", "newer"])
def test_a_block_that_ran_with_its_log_cut_goes_to_a_person_to_put_back(
    stack: LocalStack, loses: str
) -> None:
    # Given an org whose debug logs come back cut (at their start or at their end)
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    sf.settings.debug_log_max_chars = 200
    sf.settings.debug_log_loses = loses
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the blocks ran and committed: the rows are off, their prior state lost, and a
    # person is told to put them back (not to switch them off); nothing is sent twice
    rows = rows_by_name(report)
    for name in (JOB, SWITCH, ETL):
        assert rows[name]["status"] == "needs_human"
        assert "debug log came back cut" in rows[name]["error"]
        assert "put it back by hand" in rows[name]["error"]
        assert "switch it off by hand" not in rows[name]["error"]
    assert sf.job(JOB) is None
    assert sf.switches.org_default(SWITCH) is True
    assert sf.switches.user(ETL).frozen is True
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 2


def test_a_block_that_ran_before_its_invocation_died_is_a_persons_to_put_back(
    stack: LocalStack,
) -> None:
    # Given the block ran (the switch is on) and its invocation died before the answer
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    _died_after_journalling(stack)
    sf.switches.set_by_hand(SWITCH, True)
    # When the window recovers (the burn stopped) and a person releases the incident
    stack.sandbox.advance(timedelta(hours=25))
    sf.add_usage(-sf.usage()[0])
    released = stack.release_incident("sf-prod-died")
    # Then the switch is not "nothing to restore": a person is told to put it back
    row = rows_by_name(released)[SWITCH]
    assert row["status"] == "needs_human"
    assert "break-glass block whose answer was lost" in row["error"]
    assert "put it back by hand" in row["error"]


def test_a_rest_brake_after_a_block_that_ran_never_records_it_braked_without_a_prior_state(
    stack: LocalStack,
) -> None:
    # Given the block ran (the switch is on), its invocation died, and the window recovered
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    _died_after_journalling(stack)
    sf.switches.set_by_hand(SWITCH, True)
    stack.sandbox.advance(timedelta(hours=25))
    # When the brake runs again, through REST
    report = stack.brake(connection_id="sf-prod", reason="hot again", tier=2)
    # Then the switch goes to a person (its prior state is lost), never "braked" with none
    row = rows_by_name(report)[SWITCH]
    assert report["incident_id"] == "sf-prod-died"
    assert row["status"] == "needs_human"
    assert "break-glass block whose answer was lost" in row["error"]
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 0


def test_a_rest_brake_after_a_block_that_never_ran_journals_the_prior_state(
    stack: LocalStack,
) -> None:
    # Given an invocation that died before its block reached the org; the window recovered
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    _died_after_journalling(stack)
    stack.sandbox.advance(timedelta(hours=25))
    # When the brake runs again, through REST
    report = stack.brake(connection_id="sf-prod", reason="hot again", tier=2)
    # Then the switch is braked with its prior state journalled, so release can put it back
    row = rows_by_name(report)[SWITCH]
    assert row["status"] == "braked"
    assert row["before"]["value"] is False
    assert sf.switches.org_default(SWITCH) is True


def test_a_user_protected_after_it_was_allowlisted_is_never_frozen_through_the_glass(
    stack: LocalStack,
) -> None:
    # Given the ETL's user allowlisted, then named a protected consumer of the connection
    # (the responder skips its entry as it loads the allowlist; the glass checks again)
    _org_past_its_limit(stack)
    stack.add_salesforce(protected_consumers=[ETL])
    # When the brake runs, REST refused
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the user is skipped as the REST brake skips it, and stays unfrozen
    row = rows_by_name(report)[ETL]
    assert row["status"] == "skipped"
    assert "protected_consumers" in row["error"]
    assert stack.sandbox.salesforce.switches.user(ETL).frozen is False
    assert statuses(report)[SWITCH] == "braked"


MISSING = "Missing_Switches__c.Off__c"


def test_rows_the_plan_decided_keep_their_decision_when_the_reserve_read_is_refused(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an org within its limit and a switch on a setting that does not exist: the
    # REST plan skips it
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    sf.add_usage(-int(sf.usage()[1] * 0.10))
    stack.allow("sf-prod", f"setting:{MISSING}")

    # and the reserve's usage read (a call of its own: no usage header kept) refused for
    # the daily limit, as the window runs out between the plan and the reserve
    async def reading_by_call(client: PlatformClient, *, prefer_headers: bool) -> UsageReading:
        del prefer_headers
        stack.sandbox.salesforce_server.faults.add(
            Fault(kind=FaultKind.DAILY_LIMIT, path="/limits")
        )
        return await fresh_reading(client, prefer_headers=False)

    monkeypatch.setattr(responder, "fresh_reading", reading_by_call)
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the skipped row stays skipped (the block does not name the missing setting,
    # which would not compile), and the rest is braked through the glass
    assert statuses(report) == {
        MISSING: "skipped",
        JOB: "braked",
        SWITCH: "braked",
        ETL: "braked",
        FLOW: "needs_human",
    }
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 2

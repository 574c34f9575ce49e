"""The break-glass brake over the wire: an org past its daily limit refuses REST, so the
allowlisted jobs, kill switches and freezes are braked through SOAP executeAnonymous with a
DebuggingHeader, journalled from the debug log, and released exactly through REST once the
window has recovered (docs/platform-notes.md S9)."""

from __future__ import annotations

from datetime import timedelta

from apibrake.brake.break_glass import CHANNEL, FLOW_NOTE
from apibrake.incident.records import GLASS_PENDING, IncidentMeta, JournalRow
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform
from apibrake.store.debugging_calls import DebuggingCalls
from apibrake.warn.rules import brake_threshold_alert
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from sandbox.salesforce.connector import records_costing
from tests.integration.brake_support import api_mutations, rows_by_name, statuses

SWITCH = "Trigger_Switches__c.Disable_Rollups__c"
JOB = "Nightly_Rollup"
ETL = "etl@acme.com"
FLOW = "Account_Revenue_Rollup"
INTEGRATION_USER_ZONE = "America/New_York"
SOAP = "/services/Soap/s/"


def _org_past_its_limit(stack: LocalStack) -> None:
    """A job, a kill switch guarding a trigger, an ETL's user and a flow, all allowlisted;
    the org at 101 % of its daily limit."""
    sf = stack.sandbox.salesforce
    sf.add_scheduled_job(
        JOB, cron="0 0 2 * * ?", apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE
    )
    sf.switches.add_setting("Trigger_Switches__c", {"Disable_Rollups__c": False})
    sf.switches.add_trigger(
        "AccountRollupTrigger", records_per_hour=records_costing(2_000), switch=SWITCH
    )
    sf.switches.add_integration_user(ETL, calls_per_hour=3_000)
    sf.add_flow(FLOW, records_per_hour=100)
    stack.add_salesforce()
    stack.allow("sf-prod", f"scheduled_apex:{JOB}", f"setting:{SWITCH}", f"flow:{FLOW}")
    stack.allow("sf-prod", f"user:{ETL}", tier=2)
    used, limit = sf.usage()
    sf.add_usage(int(limit * 1.01) - used)


def _spent(stack: LocalStack) -> int:
    calls = DebuggingCalls(stack.aws.client("dynamodb"), stack.aws.table_name("StateTable"))
    return calls.spent("sf-prod", now=stack.sandbox.clock.now())


def test_an_org_past_its_limit_is_braked_through_the_glass_and_released_exactly(
    stack: LocalStack,
) -> None:
    # Given an org at 101 % whose REST API refuses every call
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    job_before = sf.job(JOB)
    assert job_before is not None
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the job, the switch and the user are braked through one break-glass call
    assert statuses(report) == {
        JOB: "braked",
        SWITCH: "braked",
        ETL: "braked",
        FLOW: "needs_human",
    }
    assert sf.job(JOB) is None
    assert sf.switches.org_default(SWITCH) is True
    assert sf.switches.user(ETL).frozen is True
    # Two blocks: the freeze's DML (a setup object) cannot share the setting's transaction
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 2
    assert _spent(stack) == 2
    # And each row's prior state came from the debug log, as the REST adapters journal it
    rows = rows_by_name(report)
    assert rows[JOB]["before"]["cron"] == "0 0 2 * * ?"
    assert rows[JOB]["before"]["apex_class"] == "RollupJob"
    assert rows[JOB]["before"]["time_zone"] == INTEGRATION_USER_ZONE
    assert rows[SWITCH]["before"]["value"] is False
    assert rows[ETL]["before"]["frozen"] is False
    assert all(rows[name]["after"]["channel"] == CHANNEL for name in (JOB, SWITCH, ETL))
    # And the flow goes to a person, told why Apex cannot switch it off
    assert FLOW_NOTE in rows[FLOW]["error"]
    assert sf.flow(FLOW).active_version is not None
    # When the window recovers (a day later) and the scheduled release runs
    stack.sandbox.advance(timedelta(hours=25))
    stack.check()
    released = stack.release_recovered()
    # Then everything is back exactly, through REST
    assert statuses(released) == {
        JOB: "released",
        SWITCH: "released",
        ETL: "released",
        FLOW: "skipped",  # never changed: nothing to put back
    }
    job_after = sf.job(JOB)
    assert job_after is not None
    assert (job_after.cron_expression, job_after.time_zone, job_after.owner_id) == (
        job_before.cron_expression,
        job_before.time_zone,
        job_before.owner_id,
    )
    assert rows_by_name(released)[JOB]["error"] is None
    assert sf.switches.org_default(SWITCH) is False
    assert sf.switches.user(ETL).frozen is False
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 0  # none on release


def test_the_glass_is_never_used_while_rest_works(stack: LocalStack) -> None:
    # Given the same org well within its limit
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    sf.add_usage(-int(sf.usage()[1] * 0.10))
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="hot", tier=2)
    # Then it brakes through REST and spends nothing of the allocation
    assert statuses(report)[SWITCH] == "braked"
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 0
    assert _spent(stack) == 0


def test_a_spent_allocation_sends_the_rows_to_a_person(stack: LocalStack) -> None:
    # Given an org past its limit whose DebuggingHeader calls are spent by others
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    sf.settings.debugging_calls_per_day = 0
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then nothing is changed and each row says why
    assert set(statuses(report).values()) == {"needs_human"}
    assert "apex log headers" in rows_by_name(report)[SWITCH]["error"]
    assert api_mutations(stack.sandbox, "salesforce") == []
    assert sf.switches.org_default(SWITCH) is False


def test_a_lost_answer_of_a_block_that_ran_is_settled_by_a_read(stack: LocalStack) -> None:
    # Given an org past its limit, and the break-glass block's answer lost after it ran
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    stack.sandbox.salesforce_server.faults.add(
        Fault(kind=FaultKind.APPLIED_LOST, path=SOAP, method="POST")
    )
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then one read-only block shows them braked; their prior state went with the answer,
    # so a person is told, and nothing is sent twice (the freeze's own block went through)
    rows = rows_by_name(report)
    assert {rows[name]["status"] for name in (JOB, SWITCH)} == {"needs_human"}
    assert rows[ETL]["status"] == "braked"
    assert "answer was lost" in rows[SWITCH]["error"]
    assert sf.switches.org_default(SWITCH) is True
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 3
    assert _spent(stack) == 3


def test_a_block_lost_before_it_ran_is_sent_once_more(stack: LocalStack) -> None:
    # Given an org past its limit, and the connection reset before the block arrived
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    stack.sandbox.salesforce_server.faults.add(
        Fault(kind=FaultKind.RESET, path=SOAP, method="POST")
    )
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then the read shows nothing ran and the block goes once more: braked, journalled
    rows = rows_by_name(report)
    assert {rows[name]["status"] for name in (JOB, SWITCH, ETL)} == {"braked"}
    assert rows[SWITCH]["before"]["value"] is False
    assert sf.switches.org_default(SWITCH) is True


def test_the_monitor_starts_the_break_glass_brake_when_the_limit_is_spent(
    stack: LocalStack,
) -> None:
    # Given an org past its limit, the automatic brake on (tier 1: the user stays a person's)
    _org_past_its_limit(stack)
    # When the monitor checks it
    stack.check()
    # Then the critical alert says the break-glass brake started and what is left by hand
    (exhausted,) = [a for a in stack.alerts() if a.attributes.get("kind") == "limit_exhausted"]
    assert "break-glass brake started" in (exhausted.subject or "")
    assert "Flows cannot be braked that way" in exhausted.body
    assert f"  - flow:{FLOW}: " in exhausted.body
    assert f"  - user:{ETL}: " in exhausted.body  # tier 2: not the automatic brake's
    assert f"  - setting:{SWITCH}: " not in exhausted.body
    # And the brake it invoked brakes the tier-1 job and switch through the glass
    (report,) = stack.run_auto_brakes()
    assert statuses(report) == {JOB: "braked", SWITCH: "braked", FLOW: "needs_human"}
    # And a second check in the same window starts nothing more
    stack.check()
    assert stack.run_auto_brakes() == []
    # And once the org is served again in this window, "brake threshold reached" is not
    # news: the exhausted alert said the brake started
    assert stack.state.claimed_at("sf-prod", brake_threshold_alert(90.0).key) is not None


def test_a_lost_answer_whose_settling_read_fails_goes_to_a_person(stack: LocalStack) -> None:
    # Given the block's answer lost after it ran, and the settling read refused too
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    faults = stack.sandbox.salesforce_server.faults
    faults.add(Fault(kind=FaultKind.APPLIED_LOST, path=SOAP, method="POST"))
    faults.add(Fault(kind=FaultKind.STATUS, status=503, path=SOAP, method="POST"))
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted", tier=2)
    # Then a person is told, and nothing is sent blind a second time
    row = rows_by_name(report)[SWITCH]
    assert row["status"] == "needs_human"
    assert "settling re-read failed" in row["error"]
    # the lost block and the freeze's block; the 503 never got in
    assert sf.debugging_allocation.used(stack.sandbox.clock.now()) == 2


def _died_after_journalling(stack: LocalStack) -> None:
    """An open incident whose invocation journalled the switch pending as a break-glass
    block does (no prior state: the channel learns it from the answer) and died before the
    answer."""
    meta = IncidentMeta(
        incident_id="sf-prod-died",
        connection_id="sf-prod",
        platform=Platform.SALESFORCE,
        opened_at=stack.sandbox.clock.now(),
        reason="exhausted",
    )
    stack.journal.open_incident(meta)
    row = JournalRow(
        connection_id="sf-prod",
        platform=Platform.SALESFORCE,
        kind=AutomationKind.SETTING,
        name=SWITCH,
        options={"brake_value": True, GLASS_PENDING: True},
    )
    stack.journal.put_rows(meta.incident_id, [row])


def test_a_block_that_ran_before_its_invocation_died_goes_to_a_person(stack: LocalStack) -> None:
    # Given the block ran (the switch is on) and its invocation died before the answer
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    _died_after_journalling(stack)
    sf.switches.set_by_hand(SWITCH, True)
    # When the next brake runs, the org still past its limit
    report = stack.brake(connection_id="sf-prod", reason="exhausted again", tier=2)
    # Then one read settles it: braked by a block whose prior state is lost, never re-run
    # as new (which would journal the braked state as the one to put back)
    row = rows_by_name(report)[SWITCH]
    assert report["incident_id"] == "sf-prod-died"
    assert row["status"] == "needs_human"
    assert row["before"] is None


def test_a_block_that_never_ran_is_sent_after_the_settling_read(stack: LocalStack) -> None:
    # Given an invocation that died before its block reached the org
    _org_past_its_limit(stack)
    sf = stack.sandbox.salesforce
    _died_after_journalling(stack)
    # When the next brake runs
    report = stack.brake(connection_id="sf-prod", reason="exhausted again", tier=2)
    # Then the read shows it untouched, and the block goes: braked, journalled exactly
    row = rows_by_name(report)[SWITCH]
    assert row["status"] == "braked"
    assert row["before"]["value"] is False
    assert sf.switches.org_default(SWITCH) is True


def test_a_user_named_by_id_is_left_by_hand_when_the_break_glass_brake_starts(
    stack: LocalStack,
) -> None:
    # Given an org past its limit whose only allowlisted entries are a switch and a user
    # named by Id (the break-glass block finds users by username: it cannot take it)
    sf = stack.sandbox.salesforce
    sf.switches.add_setting("Trigger_Switches__c", {"Disable_Rollups__c": False})
    user = sf.switches.add_integration_user(ETL, calls_per_hour=3_000)
    stack.add_salesforce()
    stack.allow("sf-prod", f"setting:{SWITCH}")
    stack.allow("sf-prod", f"user:{user.id}", freeze_at_tier_1=True)
    used, limit = sf.usage()
    sf.add_usage(int(limit * 1.01) - used)
    # When the monitor checks it
    stack.check()
    # Then the alert lists the user for a person, never "nothing by hand"
    (exhausted,) = [a for a in stack.alerts() if a.attributes.get("kind") == "limit_exhausted"]
    assert "nothing by hand" not in exhausted.body
    assert f"  - user:{user.id}: " in exhausted.body
    assert f"  - setting:{SWITCH}: " not in exhausted.body

"""Calls that land but whose answer is lost: scheduled Apex is never sent blind twice.

`System.schedule` sent twice fails ("already scheduled"), so an executeAnonymous body whose
answer was lost is re-read first, and only what did not land is sent again; the journal
ends equal to the platform either way, and the release puts back exactly what was there.
"""

from __future__ import annotations

import re
from typing import Any

from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from tests.integration.brake_support import statuses

JOBS = {"Nightly Sync": "0 0 2 * * ?", "Hourly Ping": "0 15 * * * ?"}
ANONYMOUS = r"/tooling/executeAnonymous/?$"


def _org(stack: LocalStack) -> None:
    for name, cron in JOBS.items():
        stack.sandbox.salesforce.add_scheduled_job(name, cron=cron, apex_class="RollupJob")
    stack.add_salesforce()
    stack.allow("sf-prod", *(f"scheduled_apex:{name}" for name in JOBS))


def _jobs(stack: LocalStack) -> dict[str, str]:
    return {job.name: job.cron_expression for job in stack.sandbox.salesforce.jobs()}


def _lose_next_answer(stack: LocalStack, *, drop_before_applying: bool = False) -> Fault:
    kind = FaultKind.RESET if drop_before_applying else FaultKind.APPLIED_LOST
    return stack.sandbox.salesforce_server.faults.add(
        Fault(kind=kind, path=ANONYMOUS, method="GET")
    )


def _count_anonymous_bodies_run(stack: LocalStack) -> list[str]:
    """The executeAnonymous bodies the org ran (a body lost before it ran is not one)."""
    org = stack.sandbox.salesforce
    handle = org.handle
    ran: list[str] = []

    def counting(request: Any) -> Any:
        if re.search(ANONYMOUS, request.path):
            ran.append(request.arg("anonymousBody") or "")
        return handle(request)

    org.handle = counting  # type: ignore[method-assign]
    return ran


def test_a_lost_abort_and_a_lost_schedule_are_settled_without_a_second_schedule(
    stack: LocalStack,
) -> None:
    _org(stack)
    _lose_next_answer(stack)
    braked = stack.brake(connection_id="sf-prod", reason="lost answer")
    assert statuses(braked) == dict.fromkeys(JOBS, "braked")
    assert _jobs(stack) == {}

    ran = _count_anonymous_bodies_run(stack)
    _lose_next_answer(stack)
    released = stack.release_incident(braked["incident_id"], force=True)
    assert statuses(released) == dict.fromkeys(JOBS, "released")
    assert _jobs(stack) == JOBS  # each job back once, with its schedule
    assert len(ran) == 1  # the lost body was re-read, never sent again
    rows = stack.journal.rows(braked["incident_id"])
    assert {row.name: str(row.release) for row in rows} == dict.fromkeys(JOBS, "released")


def test_a_schedule_dropped_before_it_ran_is_sent_once_more_after_the_re_read(
    stack: LocalStack,
) -> None:
    _org(stack)
    braked = stack.brake(connection_id="sf-prod", reason="drop")
    ran = _count_anonymous_bodies_run(stack)
    _lose_next_answer(stack, drop_before_applying=True)
    released = stack.release_incident(braked["incident_id"], force=True)
    assert statuses(released) == dict.fromkeys(JOBS, "released")
    assert _jobs(stack) == JOBS
    assert len(ran) == 1  # dropped unrun, re-read, then sent once


def test_a_body_lost_twice_is_not_split_into_more_sends(stack: LocalStack) -> None:
    _org(stack)
    braked = stack.brake(connection_id="sf-prod", reason="twice")
    faults = stack.sandbox.salesforce_server.faults
    faults.add(Fault(kind=FaultKind.RESET, path=ANONYMOUS, method="GET", times=2))
    ran = _count_anonymous_bodies_run(stack)
    released = stack.release_incident(braked["incident_id"], force=True)
    # Sent, re-read, sent once more, then left to the next run: never one send per job.
    assert set(statuses(released).values()) == {"failed"}
    assert ran == []
    assert _jobs(stack) == {}
    again = stack.release_incident(braked["incident_id"], force=True)
    assert statuses(again) == dict.fromkeys(JOBS, "released")
    assert _jobs(stack) == JOBS


SETTING_ROW = r"/sobjects/Trigger_Switches__c/?[^/]*$"


def test_a_lost_create_and_a_lost_delete_of_a_kill_switch_row_are_never_sent_twice(
    stack: LocalStack,
) -> None:
    # Given a kill switch setting without an org-default row: the brake must POST it
    org = stack.sandbox.salesforce
    org.switches.add_setting("Trigger_Switches__c", ["Disable_Rollups__c"])
    stack.add_salesforce()
    stack.allow("sf-prod", "setting:Trigger_Switches__c.Disable_Rollups__c")
    faults = stack.sandbox.salesforce_server.faults
    # When the POST lands but its answer is lost
    faults.add(Fault(kind=FaultKind.APPLIED_LOST, path=SETTING_ROW, method="POST"))
    braked = stack.brake(connection_id="sf-prod", reason="lost create")
    # Then the re-read finds the row: braked, one row, one create (a second would duplicate)
    assert statuses(braked) == {"Trigger_Switches__c.Disable_Rollups__c": "braked"}
    assert org.switches.org_default("Trigger_Switches__c.Disable_Rollups__c") is True
    assert len(stack.sandbox.audit.entries("salesforce", "setting_create")) == 1
    # When the release's DELETE lands but its answer is lost too
    faults.add(Fault(kind=FaultKind.APPLIED_LOST, path=SETTING_ROW, method="DELETE"))
    released = stack.release_incident(braked["incident_id"], force=True)
    # Then the re-read finds no row: released, exactly "no row" again, deleted once
    assert statuses(released) == {"Trigger_Switches__c.Disable_Rollups__c": "released"}
    assert org.switches.org_row(org.switches.setting("Trigger_Switches__c")) is None
    assert len(stack.sandbox.audit.entries("salesforce", "setting_delete")) == 1

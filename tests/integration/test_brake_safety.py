"""Brake edge cases over the wire: dry run, duplicates, limits, partial failures, resume."""

from __future__ import annotations

import asyncio
import contextlib

from apibrake.brake import responder
from apibrake.deadline import Deadline
from apibrake.incident.journal import JournalStore
from apibrake.incident.records import JournalRow
from apibrake.models.events import BrakeEvent
from apibrake.runtime.assembly import incident_deps
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from tests.integration.brake_support import (
    api_mutations,
    brake_concurrently,
    rows_by_name,
    statuses,
)


def _flows(stack: LocalStack, count: int) -> list[str]:
    names = [f"Flow_{n}" for n in range(count)]
    for name in names:
        stack.sandbox.salesforce.add_flow(name, versions=2)
    stack.add_salesforce()
    stack.allow("sf-prod", *(f"flow:{n}" for n in names))
    return names


def test_dry_run_changes_nothing_and_counts_calls(stack: LocalStack) -> None:
    names = _flows(stack, 30)
    report = stack.brake(connection_id="sf-prod", dry_run=True)
    assert set(statuses(report).values()) == {"would_brake"}
    assert report["planned_calls"]["sf-prod"] == 3  # two composites and one re-query
    assert api_mutations(stack.sandbox) == []
    assert all(stack.sandbox.salesforce.flow(n).active_version == 2 for n in names)
    assert stack.journal.open_incident_id("sf-prod") is None


def test_repeated_trigger_brakes_once(stack: LocalStack) -> None:
    _flows(stack, 3)
    first = stack.brake(connection_id="sf-prod")
    second = stack.brake(connection_id="sf-prod", requested_by="someone else")
    assert second["incident_id"] == first["incident_id"]
    assert len(api_mutations(stack.sandbox)) == 3


def test_concurrent_triggers_brake_once(stack: LocalStack) -> None:
    _flows(stack, 5)
    stack.sandbox.set_latency(50)
    results = brake_concurrently(stack, "sf-prod", times=3)
    assert len(results) == 3
    assert len(api_mutations(stack.sandbox)) == 5  # each flow deactivated exactly once


def test_over_limit_refusal_stops_and_calls_a_human(stack: LocalStack) -> None:
    _flows(stack, 2)
    stack.sandbox.salesforce_server.faults.add(
        Fault(kind=FaultKind.DAILY_LIMIT, path="/services/data/", times=None)
    )
    report = stack.brake(connection_id="sf-prod")
    assert set(statuses(report).values()) == {"needs_human"}
    critical = [a for a in stack.alerts() if a.attributes.get("kind") == "human_must_act"]
    assert len(critical) == 1
    assert "Flow_0" in critical[0].body
    assert "Flow_1" in critical[0].body


def test_partial_composite_failure_is_reported_per_flow(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_flow("Ours", versions=1)
    stack.sandbox.salesforce.add_flow("Managed", versions=1, namespace="pkg")
    stack.sandbox.salesforce.add_flow("Managed_Refused", versions=1, namespace="pkg")
    stack.sandbox.salesforce.settings.managed_flows_editable = (
        False  # this org refuses managed changes
    )
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Ours", "flow:pkg__Managed")
    stack.allow("sf-prod", "flow:pkg__Managed_Refused", allow_managed=True)
    report = stack.brake(connection_id="sf-prod")
    rows = rows_by_name(report)
    assert rows["Ours"]["status"] == "braked"
    assert rows["pkg__Managed"]["status"] == "needs_human"  # not attempted without allow_managed
    assert rows["pkg__Managed_Refused"]["status"] == "failed"
    assert "CANNOT_MODIFY_MANAGED_OBJECT" in rows["pkg__Managed_Refused"]["error"]


def test_a_patch_without_effect_is_caught_by_verification(stack: LocalStack) -> None:
    _flows(stack, 2)
    stack.sandbox.salesforce.ignore_next_activation("Flow_1")
    report = stack.brake(connection_id="sf-prod")
    assert statuses(report) == {"Flow_0": "braked", "Flow_1": "failed"}


def test_already_aborted_job_counts_as_done(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_scheduled_job("Gone", apex_class="GoneJob")
    stack.sandbox.salesforce.add_scheduled_job("Here", apex_class="HereJob")
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Gone", "scheduled_apex:Here")
    stack.sandbox.salesforce.abort_job_by_hand("Gone")
    report = stack.brake(connection_id="sf-prod")
    assert statuses(report) == {"Gone": "already_off", "Here": "braked"}


def test_job_without_no_arg_constructor_is_not_aborted_without_consent(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_scheduled_job(
        "Configured", apex_class="NeedsConfig", constructible=False
    )
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Configured")
    report = stack.brake(connection_id="sf-prod")
    row = rows_by_name(report)["Configured"]
    assert row["status"] == "needs_human"
    assert "no public no-argument constructor" in row["error"]
    assert stack.sandbox.salesforce.job("Configured") is not None  # left running


def test_job_without_no_arg_constructor_is_flagged_when_the_entry_allows_it(
    stack: LocalStack,
) -> None:
    stack.sandbox.salesforce.add_scheduled_job(
        "Configured", apex_class="NeedsConfig", constructible=False
    )
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Configured", allow_inexact_restore=True)
    report = stack.brake(connection_id="sf-prod")
    row = rows_by_name(report)["Configured"]
    assert row["status"] == "braked"
    assert "no public no-argument constructor" in row["error"]
    released = stack.release_incident(report["incident_id"])
    assert statuses(released) == {"Configured": "needs_human"}
    assert stack.journal.open_incident_id("sf-prod") is None  # settled: closed


def test_stale_revision_is_read_again_and_retried_once(stack: LocalStack) -> None:
    first = stack.sandbox.hubspot.add_workflow("Retried")["id"]
    stack.add_hubspot()
    stack.allow("hs-main", f"workflow:{first}")
    faults = stack.sandbox.hubspot_server.faults
    faults.add(Fault(kind=FaultKind.STATUS, status=400, method="PUT", path=first, times=1))
    report = stack.brake(connection_id="hs-main")
    assert statuses(report) == {first: "braked"}
    assert stack.sandbox.hubspot.workflow(first)["isEnabled"] is False


def test_twice_refused_workflow_is_left_for_a_human(stack: LocalStack) -> None:
    flow_id = stack.sandbox.hubspot.add_workflow("Refused")["id"]
    stack.add_hubspot()
    stack.allow("hs-main", f"workflow:{flow_id}")
    faults = stack.sandbox.hubspot_server.faults
    faults.add(Fault(kind=FaultKind.STATUS, status=400, method="PUT", times=None))
    report = stack.brake(connection_id="hs-main")
    assert statuses(report) == {flow_id: "needs_human"}


def test_manual_edits_between_brake_and_release_are_reported(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_flow("Touched", versions=3, active_version=2)
    stack.sandbox.salesforce.add_flow("Untouched", versions=1)
    edited = stack.sandbox.hubspot.add_workflow("Edited")["id"]
    stack.add_salesforce()
    stack.add_hubspot()
    stack.allow("sf-prod", "flow:Touched", "flow:Untouched")
    stack.allow("hs-main", f"workflow:{edited}")
    report = stack.brake()  # every connection
    assert set(report["incidents"]) == {"sf-prod", "hs-main"}
    stack.sandbox.salesforce.activate_flow_by_hand("Touched", 3)
    stack.sandbox.hubspot.edit_workflow_by_hand(edited, name="Edited by hand")
    sf = stack.release_incident(report["incidents"]["sf-prod"])
    hs = stack.release_incident(report["incidents"]["hs-main"], force=True)
    assert statuses(sf) == {"Touched": "needs_human", "Untouched": "released"}
    assert "by hand" in rows_by_name(sf)["Touched"]["error"]
    assert stack.sandbox.salesforce.flow("Touched").active_version == 3  # not overwritten
    assert statuses(hs) == {edited: "needs_human"}
    assert stack.sandbox.hubspot.workflow(edited)["isEnabled"] is False


class _CrashingJournal(JournalStore):
    """Dies (like a killed process) on the k-th journal write after the first action."""

    def __init__(self, inner: JournalStore, crash_on_write: int) -> None:
        self.__dict__.update(inner.__dict__)
        self.writes = 0
        self.crash_on_write = crash_on_write

    def put_rows(self, incident_id: str, rows: list[JournalRow]) -> None:
        self.writes += 1
        if self.writes == self.crash_on_write:
            raise SystemExit("crash injected")
        super().put_rows(incident_id, rows)


def test_crash_after_k_actions_then_resume_and_release(stack: LocalStack) -> None:
    names = _flows(stack, 60)  # three composites
    stack.sandbox.set_latency(0)
    from apibrake.runtime import aws, container

    async def crash_once() -> None:
        import httpx

        async with httpx.AsyncClient() as client:
            deps = incident_deps(
                container.incident_settings(),
                dynamodb=stack.aws.client("dynamodb"),
                sns=stack.aws.client("sns"),
                load_secret=aws.secret_loader(),
                http_client=client,
                now=stack.sandbox.clock.now,
            )
            # write 1: the rows needing no change; 2..4: pending batches; 5: outcomes
            deps.journal = _CrashingJournal(deps.journal, crash_on_write=5)
            deps.concurrency = 25
            await responder.brake(
                BrakeEvent(action="brake", connection_id="sf-prod"), deps, Deadline()
            )

    with contextlib.suppress(SystemExit):
        asyncio.run(crash_once())
    braked_before_resume = sum(
        stack.sandbox.salesforce.flow(n).active_version is None for n in names
    )
    assert braked_before_resume == 60  # the platform changed, the journal says pending
    # When the brake is triggered again it resumes: no flow is patched twice
    resumed = stack.brake(connection_id="sf-prod")
    assert set(statuses(resumed).values()) == {"braked"}
    assert len(api_mutations(stack.sandbox)) == 60
    # And release restores everything from the journal
    released = stack.release_incident(resumed["incident_id"])
    assert set(statuses(released).values()) == {"released"}
    assert all(stack.sandbox.salesforce.flow(n).active_version == 2 for n in names)


def test_deadline_stops_new_work_and_a_rerun_finishes(stack: LocalStack) -> None:
    flow_ids = [stack.sandbox.hubspot.add_workflow(f"W{n}")["id"] for n in range(30)]
    stack.add_hubspot()
    stack.allow("hs-main", *(f"workflow:{fid}" for fid in flow_ids))

    class RunsOut:
        calls = 0

        def get_remaining_time_in_millis(self) -> int:
            self.calls += 1
            # Powertools reads it once, then the first batch: the second finds no time
            return 60_000 if self.calls <= 2 else 5_000

    first = stack.brake(context=RunsOut(), connection_id="hs-main")
    assert first["complete"] is False
    done = sum(not stack.sandbox.hubspot.workflow(fid)["isEnabled"] for fid in flow_ids)
    assert 0 < done < 30
    second = stack.brake(connection_id="hs-main")
    assert second["complete"] is True
    assert set(statuses(second).values()) == {"braked"}
    assert len(api_mutations(stack.sandbox)) == 30

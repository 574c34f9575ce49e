"""Brake edge cases over the wire: dry run, duplicates, limits, partial failures, resume."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from apibrake.brake import responder
from apibrake.brake.assembly import incident_deps
from apibrake.brake.deadline import Deadline
from apibrake.models.events import BrakeEvent
from apibrake.store.journal import JournalRow, JournalStore
from sandbox.faults import Fault, FaultKind
from tests.integration.brake_support import (
    BrakeStack,
    api_mutations,
    rows_by_name,
    statuses,
)


def _flows(brake_stack: BrakeStack, count: int) -> list[str]:
    names = [f"Flow_{n}" for n in range(count)]
    for name in names:
        brake_stack.sf.add_flow(name, versions=2)
    brake_stack.add_salesforce()
    brake_stack.allow("sf-prod", *(f"flow:{n}" for n in names))
    return names


def test_dry_run_changes_nothing_and_counts_calls(brake_stack: BrakeStack) -> None:
    names = _flows(brake_stack, 30)
    report = brake_stack.brake(connection_id="sf-prod", dry_run=True)
    assert set(statuses(report).values()) == {"would_brake"}
    assert report["planned_calls"]["sf-prod"] == 3  # two composites and one re-query
    assert api_mutations(brake_stack.sandbox) == []
    assert all(brake_stack.sf.flow(n).active_version == 2 for n in names)
    assert brake_stack.journal.open_incident_id("sf-prod") is None


def test_repeated_trigger_brakes_once(brake_stack: BrakeStack) -> None:
    _flows(brake_stack, 3)
    first = brake_stack.brake(connection_id="sf-prod")
    second = brake_stack.brake(connection_id="sf-prod", requested_by="someone else")
    assert second["incident_id"] == first["incident_id"]
    assert len(api_mutations(brake_stack.sandbox)) == 3


def test_concurrent_triggers_brake_once(brake_stack: BrakeStack) -> None:
    _flows(brake_stack, 5)
    brake_stack.sandbox.set_latency(50)
    results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: results.append(brake_stack.brake(connection_id="sf-prod")))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 3
    assert len(api_mutations(brake_stack.sandbox)) == 5  # each flow deactivated exactly once


def test_over_limit_refusal_stops_and_calls_a_human(brake_stack: BrakeStack) -> None:
    _flows(brake_stack, 2)
    brake_stack.sandbox.salesforce_server.faults.add(
        Fault(kind=FaultKind.DAILY_LIMIT, path="/services/data/", times=None)
    )
    report = brake_stack.brake(connection_id="sf-prod")
    assert set(statuses(report).values()) == {"needs_human"}
    critical = [a for a in brake_stack.alerts() if a.attributes.get("kind") == "human_must_act"]
    assert len(critical) == 1
    assert "Flow_0" in critical[0].body
    assert "Flow_1" in critical[0].body


def test_partial_composite_failure_is_reported_per_flow(brake_stack: BrakeStack) -> None:
    brake_stack.sf.add_flow("Ours", versions=1)
    brake_stack.sf.add_flow("Managed", versions=1, namespace="pkg")
    brake_stack.sf.add_flow("Managed_Refused", versions=1, namespace="pkg")
    brake_stack.sf.settings.managed_flows_editable = False  # this org refuses managed changes
    brake_stack.add_salesforce()
    brake_stack.allow("sf-prod", "flow:Ours", "flow:pkg__Managed")
    brake_stack.allow("sf-prod", "flow:pkg__Managed_Refused", allow_managed=True)
    report = brake_stack.brake(connection_id="sf-prod")
    rows = rows_by_name(report)
    assert rows["Ours"]["status"] == "braked"
    assert rows["pkg__Managed"]["status"] == "needs_human"  # not attempted without allow_managed
    assert rows["pkg__Managed_Refused"]["status"] == "failed"
    assert "CANNOT_MODIFY_MANAGED_OBJECT" in rows["pkg__Managed_Refused"]["error"]


def test_a_patch_without_effect_is_caught_by_verification(brake_stack: BrakeStack) -> None:
    _flows(brake_stack, 2)
    brake_stack.sf.ignore_next_activation("Flow_1")
    report = brake_stack.brake(connection_id="sf-prod")
    assert statuses(report) == {"Flow_0": "braked", "Flow_1": "failed"}


def test_already_aborted_job_counts_as_done(brake_stack: BrakeStack) -> None:
    brake_stack.sf.add_scheduled_job("Gone", apex_class="GoneJob")
    brake_stack.sf.add_scheduled_job("Here", apex_class="HereJob")
    brake_stack.add_salesforce()
    brake_stack.allow("sf-prod", "scheduled_apex:Gone", "scheduled_apex:Here")
    brake_stack.sf.abort_job_by_hand("Gone")
    report = brake_stack.brake(connection_id="sf-prod")
    assert statuses(report) == {"Gone": "already_off", "Here": "braked"}


def test_job_without_no_arg_constructor_is_flagged_at_brake_time(brake_stack: BrakeStack) -> None:
    brake_stack.sf.add_scheduled_job("Configured", apex_class="NeedsConfig", constructible=False)
    brake_stack.add_salesforce()
    brake_stack.allow("sf-prod", "scheduled_apex:Configured")
    report = brake_stack.brake(connection_id="sf-prod")
    row = rows_by_name(report)["Configured"]
    assert row["status"] == "braked"
    assert "no no-argument constructor" in row["error"]
    released = brake_stack.release(report["incident_id"])
    assert statuses(released) == {"Configured": "needs_human"}
    assert brake_stack.journal.open_incident_id("sf-prod") is None  # settled: closed


def test_stale_revision_is_read_again_and_retried_once(brake_stack: BrakeStack) -> None:
    first = brake_stack.hs.add_workflow("Retried")["id"]
    brake_stack.add_hubspot()
    brake_stack.allow("hs-main", f"workflow:{first}")
    faults = brake_stack.sandbox.hubspot_server.faults
    faults.add(Fault(kind=FaultKind.STATUS, status=400, method="PUT", path=first, times=1))
    report = brake_stack.brake(connection_id="hs-main")
    assert statuses(report) == {first: "braked"}
    assert brake_stack.hs.workflow(first)["isEnabled"] is False


def test_twice_refused_workflow_is_left_for_a_human(brake_stack: BrakeStack) -> None:
    flow_id = brake_stack.hs.add_workflow("Refused")["id"]
    brake_stack.add_hubspot()
    brake_stack.allow("hs-main", f"workflow:{flow_id}")
    faults = brake_stack.sandbox.hubspot_server.faults
    faults.add(Fault(kind=FaultKind.STATUS, status=400, method="PUT", times=None))
    report = brake_stack.brake(connection_id="hs-main")
    assert statuses(report) == {flow_id: "needs_human"}


def test_manual_edits_between_brake_and_release_are_reported(brake_stack: BrakeStack) -> None:
    brake_stack.sf.add_flow("Touched", versions=3, active_version=2)
    brake_stack.sf.add_flow("Untouched", versions=1)
    edited = brake_stack.hs.add_workflow("Edited")["id"]
    brake_stack.add_salesforce()
    brake_stack.add_hubspot()
    brake_stack.allow("sf-prod", "flow:Touched", "flow:Untouched")
    brake_stack.allow("hs-main", f"workflow:{edited}")
    report = brake_stack.brake()  # every connection
    assert set(report["incidents"]) == {"sf-prod", "hs-main"}
    brake_stack.sf.activate_flow_by_hand("Touched", 3)
    brake_stack.hs.edit_workflow_by_hand(edited, name="Edited by hand")
    sf = brake_stack.release(report["incidents"]["sf-prod"])
    hs = brake_stack.release(report["incidents"]["hs-main"], force=True)
    assert statuses(sf) == {"Touched": "needs_human", "Untouched": "released"}
    assert "by hand" in rows_by_name(sf)["Touched"]["error"]
    assert brake_stack.sf.flow("Touched").active_version == 3  # not overwritten
    assert statuses(hs) == {edited: "needs_human"}
    assert brake_stack.hs.workflow(edited)["isEnabled"] is False


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


def test_crash_after_k_actions_then_resume_and_release(brake_stack: BrakeStack) -> None:
    names = _flows(brake_stack, 60)  # three composites
    brake_stack.sandbox.set_latency(0)
    from apibrake import wiring

    async def crash_once() -> None:
        import httpx

        async with httpx.AsyncClient() as client:
            deps = incident_deps(
                wiring.settings(),
                dynamodb=brake_stack.aws.client("dynamodb"),
                sns=brake_stack.aws.client("sns"),
                load_secret=wiring.secret_loader(),
                http_client=client,
                now=brake_stack.sandbox.clock.now,
            )
            # write 1: the rows needing no change; 2..4: pending batches; 5: outcomes
            deps.journal = _CrashingJournal(deps.journal, crash_on_write=5)
            deps.concurrency = 25
            await responder.brake(
                BrakeEvent(action="brake", connection_id="sf-prod"), deps, Deadline()
            )

    with contextlib.suppress(SystemExit):
        asyncio.run(crash_once())
    braked_before_resume = sum(brake_stack.sf.flow(n).active_version is None for n in names)
    assert braked_before_resume == 60  # the platform changed, the journal says pending
    # When the brake is triggered again it resumes: no flow is patched twice
    resumed = brake_stack.brake(connection_id="sf-prod")
    assert set(statuses(resumed).values()) == {"braked"}
    assert len(api_mutations(brake_stack.sandbox)) == 60
    # And release restores everything from the journal
    released = brake_stack.release(resumed["incident_id"])
    assert set(statuses(released).values()) == {"released"}
    assert all(brake_stack.sf.flow(n).active_version == 2 for n in names)


def test_deadline_stops_new_work_and_a_rerun_finishes(brake_stack: BrakeStack) -> None:
    flow_ids = [brake_stack.hs.add_workflow(f"W{n}")["id"] for n in range(30)]
    brake_stack.add_hubspot()
    brake_stack.allow("hs-main", *(f"workflow:{fid}" for fid in flow_ids))

    class RunsOut:
        calls = 0

        def get_remaining_time_in_millis(self) -> int:
            self.calls += 1
            # Powertools reads it once, then the first batch: the second finds no time
            return 60_000 if self.calls <= 2 else 5_000

    first = brake_stack.brake(context=RunsOut(), connection_id="hs-main")
    assert first["complete"] is False
    done = sum(not brake_stack.hs.workflow(fid)["isEnabled"] for fid in flow_ids)
    assert 0 < done < 30
    second = brake_stack.brake(connection_id="hs-main")
    assert second["complete"] is True
    assert set(statuses(second).values()) == {"braked"}
    assert len(api_mutations(brake_stack.sandbox)) == 30

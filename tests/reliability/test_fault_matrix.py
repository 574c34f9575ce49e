"""The fault matrix (see matrix.py): every fault x phase x platform with its expected outcome.

Each case builds one connection with two allowlisted automations, aims the fault at the
phase's key request (watch: the usage read; brake and release: the change), runs the
real handler, and asserts the outcome, a bounded number of requests (no retry storm)
and a journal that matches the platform.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from apibrake.incident.records import IncidentMeta
from apibrake.models.allowlist import BREAK_GLASS_KINDS, AutomationKind
from apibrake.models.connection import Platform
from drill.stack import LocalStack
from sandbox.faults import FaultKind
from tests.reliability.matrix import NEW_KINDS, Cell, applicable_cells, kind_cells
from tests.reliability.scenario import (
    API_PATHS,
    HUBSPOT,
    SALESFORCE,
    WARNING_USAGE,
    RequestLog,
    Scenario,
    errors_text,
    statuses,
)

MAX_ATTEMPTS = 3  # RetryPolicy's default: the first request and two retries

# Transient faults: hit the target once; the layer must retry and the phase succeed.
TRANSIENT: dict[str, Callable[[str], dict[str, Any]]] = {
    "latency spike": lambda _: {"kind": FaultKind.LATENCY, "delay_ms": 250},
    "timeout": lambda _: {"kind": FaultKind.TIMEOUT, "delay_ms": 1_000},
    "connection reset": lambda _: {"kind": FaultKind.RESET},
    "HTTP 500": lambda _: {"kind": FaultKind.STATUS, "status": 500},
    "HTML error page": lambda _: {"kind": FaultKind.HTML_ERROR, "status": 502},
    "malformed JSON": lambda _: {"kind": FaultKind.MALFORMED_JSON},
    "truncated body": lambda _: {"kind": FaultKind.TRUNCATED_BODY},
    "401 expiry": lambda _: {"kind": FaultKind.EXPIRED_TOKEN},
    "burst 429": lambda platform: {
        "kind": FaultKind.BURST_LIMIT if platform == HUBSPOT else FaultKind.CONCURRENT_LIMIT
    },
}


def _log(scenario: Scenario) -> RequestLog:
    assert scenario.requests is not None
    return scenario.requests


def _run_phase(scenario: Scenario, phase: str, incident_id: str | None) -> dict[str, Any]:
    if phase == "watch":
        return scenario.watch()
    if phase == "brake":
        return scenario.brake()
    assert incident_id is not None
    return scenario.release(incident_id)


def _assert_phase_succeeded(
    scenario: Scenario, phase: str, result: dict[str, Any], incident_id: str | None
) -> None:
    if phase == "watch":
        assert result["error"] is None, result
        assert result["percent"] is not None
        return
    expected = "braked" if phase == "brake" else "released"
    assert statuses(result) == dict.fromkeys(scenario.names, expected), errors_text(result)
    assert result["complete"] is True
    assert all(on is (phase == "release") for on in scenario.states().values())
    scenario.assert_journal_matches_platform(incident_id or result["incident_id"])


def _prepare(scenario: Scenario, phase: str) -> str | None:
    """A release needs an incident to release: brake cleanly first."""
    return scenario.braked() if phase == "release" else None


def check_transient(scenario: Scenario, cell: Cell) -> None:
    incident_id = _prepare(scenario, cell.phase)
    fault = scenario.aim(cell.phase, **TRANSIENT[cell.fault](cell.platform))
    target = scenario.target(cell.phase)
    start = _log(scenario).mark()
    result = _run_phase(scenario, cell.phase, incident_id)
    _assert_phase_succeeded(scenario, cell.phase, result, incident_id)
    assert fault not in scenario.server.faults._faults  # the fault did fire
    hits = _log(scenario).count(target.path, target.method, since=start)
    if cell.expected == "ok":
        assert hits == target.clean_hits  # slow is not failed: nothing retried
    else:
        # Retried, but no storm: one more request, two when a retried PUT that had landed
        # is refused as stale and re-read (truncated body).
        assert target.clean_hits + 1 <= hits <= target.clean_hits + 2


def check_applied_lost(scenario: Scenario, cell: Cell) -> None:
    """The platform applies the change, then the connection drops before its answer."""
    before = {name: scenario.is_on(name) for name in scenario.names}
    incident_id = _prepare(scenario, cell.phase)
    scenario.aim(cell.phase, FaultKind.APPLIED_LOST)
    target = scenario.target(cell.phase)
    start = _log(scenario).mark()
    result = _run_phase(scenario, cell.phase, incident_id)
    _assert_phase_succeeded(scenario, cell.phase, result, incident_id)
    # Resent at most once, and only because sending twice is harmless here.
    assert _log(scenario).count(target.path, target.method, since=start) <= target.clean_hits + 1
    incident_id = incident_id or str(result["incident_id"])
    if cell.phase == "brake":
        released = scenario.release(incident_id)
        _assert_phase_succeeded(scenario, "release", released, incident_id)
    assert {name: scenario.is_on(name) for name in scenario.names} == before  # exact


def check_persistent_503(scenario: Scenario, cell: Cell) -> None:
    incident_id = _prepare(scenario, cell.phase)
    scenario.aim(cell.phase, FaultKind.STATUS, times=None, status=503)
    target = scenario.target(cell.phase)
    start = _log(scenario).mark()
    result = _run_phase(scenario, cell.phase, incident_id)
    hits = _log(scenario).count(target.path, target.method, since=start)
    assert hits <= target.clean_hits * MAX_ATTEMPTS  # bounded retries, then give up
    if cell.phase == "watch":
        assert "503" in str(result["error"])
    else:
        assert set(statuses(result).values()) == {"failed"}, result
        assert "503" in errors_text(result)
        scenario.assert_journal_matches_platform(incident_id or result["incident_id"])
    # Resumed: once the platform is well again, the next run converges.
    scenario.clear_faults()
    scenario.later(minutes=15)  # the next schedule tick
    again = _run_phase(scenario, cell.phase, incident_id)
    _assert_phase_succeeded(scenario, cell.phase, again, incident_id)


def check_daily_limit(scenario: Scenario, cell: Cell) -> None:
    incident_id = _prepare(scenario, cell.phase)
    scenario.stack.alerts()  # the clean brake's summary is not what this case checks
    scenario.refuse_everything(FaultKind.DAILY_LIMIT)
    start = _log(scenario).mark()
    result = _run_phase(scenario, cell.phase, incident_id)
    refused = _log(scenario).count(API_PATHS[cell.platform], since=start)
    if cell.phase == "watch":
        assert result["limit_exhausted"] is True
        assert refused == 1  # never retried: every retry would be refused too
        critical = [a for a in scenario.stack.alerts() if a.attributes["kind"] == "limit_exhausted"]
    elif cell.phase == "brake" and AutomationKind(scenario.kind) in BREAK_GLASS_KINDS:
        # Kinds Apex can change go on through the break-glass channel (SOAP, not refused):
        # braked and journalled, the inventory refused once and never retried
        assert set(statuses(result).values()) == {"braked"}
        assert refused == 1
        assert not any(scenario.states().values())
        scenario.assert_journal_matches_platform(str(result["incident_id"]))
        return
    elif cell.phase == "brake":
        assert set(statuses(result).values()) == {"needs_human"}
        assert refused == 1  # the inventory, refused once, then straight to a human
        critical = [a for a in scenario.stack.alerts() if a.attributes["kind"] == "human_must_act"]
        assert all(name in critical[0].body for name in scenario.names)
    else:
        assert "refuses calls" in errors_text(result)
        assert refused <= 1
        assert not any(scenario.states().values())  # still braked, nothing half-done
        scenario.assert_journal_matches_platform(str(incident_id))
        scenario.clear_faults()
        scenario.later(minutes=15)
        again = _run_phase(scenario, cell.phase, incident_id)
        _assert_phase_succeeded(scenario, cell.phase, again, incident_id)
        return
    assert len(critical) == 1
    assert critical[0].attributes["severity"] == "critical"


def check_stale_revision(scenario: Scenario, cell: Cell) -> None:
    """Someone edits the workflow between our read and our PUT: HubSpot refuses the stale
    revisionId; we read it again and PUT once more, keeping their edit."""
    incident_id = _prepare(scenario, cell.phase)
    portal = scenario.stack.sandbox.hubspot
    victim = scenario.names[0]
    handle = portal.handle
    edited: list[str] = []

    def edit_before_first_put(request: Any) -> Any:
        if request.method == "PUT" and request.path.endswith(f"/{victim}") and not edited:
            portal.edit_workflow_by_hand(victim, name="Renamed during the incident")
            edited.append(victim)
        return handle(request)

    portal.handle = edit_before_first_put  # type: ignore[method-assign]
    start = _log(scenario).mark()
    result = _run_phase(scenario, cell.phase, incident_id)
    _assert_phase_succeeded(scenario, cell.phase, result, incident_id)
    assert edited == [victim]
    assert portal.workflow(victim)["name"] == "Renamed during the incident"  # not overwritten
    puts = _log(scenario).count(rf"/flows/{victim}$", "PUT", since=start)
    assert puts == 2


def check_composite_partial(scenario: Scenario, cell: Cell) -> None:
    """One flow of the composite is refused (a managed flow the org will not change)."""
    org = scenario.stack.sandbox.salesforce
    org.add_flow("Managed_Rollup", versions=1, namespace="pkg")
    scenario.stack.allow(scenario.cid, "flow:pkg__Managed_Rollup", allow_managed=True)
    if cell.phase == "brake":
        org.settings.managed_flows_editable = False
        report = scenario.brake()
        expected_ok = "braked"
    else:
        report = scenario.brake()
        assert set(statuses(report).values()) == {"braked"}
        org.settings.managed_flows_editable = False  # changed its mind since the brake
        report = scenario.release(report["incident_id"])
        expected_ok = "released"
    rows = statuses(report)
    assert rows.pop("pkg__Managed_Rollup") == "failed"
    assert set(rows.values()) == {expected_ok}
    assert "CANNOT_MODIFY_MANAGED_OBJECT" in errors_text(report)
    journal = scenario.journal(report["incident_id"])
    assert journal["pkg__Managed_Rollup"].brake.value == (
        "failed" if cell.phase == "brake" else "braked"
    )
    assert all(scenario.is_on(name) is (cell.phase == "release") for name in scenario.names)


def check_conditional_failure(scenario: Scenario, cell: Cell) -> None:
    stack = scenario.stack
    if cell.phase == "watch":
        # Two monitors at once (a retried schedule): both read, one alert goes out.
        scenario.use_calls(WARNING_USAGE[cell.platform])
        rows: list[dict[str, Any]] = []
        threads = [threading.Thread(target=lambda: rows.append(scenario.watch())) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(rows) == 2
        assert all(row["error"] is None for row in rows)
        warnings = [a for a in stack.alerts() if a.attributes["kind"] == "threshold"]
        assert len(warnings) == 1
        return
    # Another invocation holds the incident's lease: this one must step aside, say so,
    # change nothing, and the next run after the lease lapses does the work.
    incident_id = _prepare(scenario, cell.phase)
    now = stack.sandbox.clock.now()
    if incident_id is None:
        meta = IncidentMeta(
            incident_id=f"{scenario.cid}-held",
            connection_id=scenario.cid,
            platform=Platform(cell.platform),
            opened_at=now,
        )
        stack.journal.open_incident(meta)
        incident_id = meta.incident_id
    assert stack.journal.acquire_lease(
        incident_id, "another-invocation", now=now, until=now + timedelta(minutes=15)
    )
    before = len(scenario.mutations())
    result = _run_phase(scenario, cell.phase, incident_id)
    assert "another invocation" in errors_text(result)
    assert len(scenario.mutations()) == before  # stepped aside: nothing changed
    scenario.later(minutes=16)  # the holder died: its lease lapses
    again = _run_phase(scenario, cell.phase, incident_id)
    _assert_phase_succeeded(scenario, cell.phase, again, incident_id)


def check_sns_failure(scenario: Scenario, cell: Cell) -> None:
    stack = scenario.stack
    incident_id = _prepare(scenario, cell.phase)
    stack.alerts()
    real_topic = os.environ["ALERT_TOPIC_ARN"]
    if cell.phase == "watch":
        scenario.use_calls(WARNING_USAGE[cell.platform])
    _point_alerts_at(f"{real_topic}-missing")
    try:
        result = _run_phase(scenario, cell.phase, incident_id)
    finally:
        _point_alerts_at(real_topic)
    assert stack.alerts() == []
    if cell.phase == "watch":
        assert result["error"] is not None  # reported on the row
        assert result["percent"] is not None  # the reading itself was taken
        again = scenario.watch()  # the claim was given back: the next check alerts
        assert again["error"] is None
        assert [a.attributes["kind"] for a in stack.alerts()] == ["threshold"]
        return
    # The change stands and is journalled; the report says the alert did not go out.
    expected = "braked" if cell.phase == "brake" else "released"
    assert statuses(result) == dict.fromkeys(scenario.names, expected), result
    assert "alert" in errors_text(result).lower()
    scenario.assert_journal_matches_platform(incident_id or result["incident_id"])


def _point_alerts_at(topic_arn: str) -> None:
    os.environ["ALERT_TOPIC_ARN"] = topic_arn
    LocalStack.forget_caches()


CHECKS: dict[str, Callable[[Scenario, Cell], None]] = {
    **dict.fromkeys(TRANSIENT, check_transient),
    "HTTP 503 persistent": check_persistent_503,
    "applied, response lost": check_applied_lost,
    "daily limit": check_daily_limit,
    "stale revision": check_stale_revision,
    "composite partial failure": check_composite_partial,
    "DynamoDB conditional failure": check_conditional_failure,
    "SNS publish failure": check_sns_failure,
}


def test_every_fault_has_a_check() -> None:
    assert {cell.fault for cell in applicable_cells()} == set(CHECKS)


@pytest.mark.parametrize("cell", applicable_cells(), ids=lambda cell: cell.id)
def test_fault(cell: Cell, stack: LocalStack) -> None:
    scenario = Scenario(stack, cell.platform, oauth=cell.fault == "401 expiry")
    CHECKS[cell.fault](scenario, cell)
    assert cell.platform in (SALESFORCE, HUBSPOT)


@pytest.mark.parametrize("kind", NEW_KINDS)
@pytest.mark.parametrize("cell", kind_cells(), ids=lambda cell: cell.id)
def test_fault_new_kinds(cell: Cell, kind: str, stack: LocalStack) -> None:
    """The Salesforce brake and release cells again, with kill switches or users allowlisted
    instead of flows: their PATCH is the request the fault hits."""
    scenario = Scenario(stack, cell.platform, kind=kind)
    CHECKS[cell.fault](scenario, cell)

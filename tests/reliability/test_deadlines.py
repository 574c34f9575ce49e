"""Deadlines: restore and the monitor stop starting platform work before the Lambda
timeout; restore leaves the journal consistent, the monitor reports what it did not reach,
and the next invocation covers the rest (the brake's twin is in
tests/integration/test_brake_safety.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from drill.stack import LocalStack
from localaws.lambda_context import LocalLambdaContext
from tests.reliability.scenario import HUBSPOT, SALESFORCE, Scenario, statuses

WORKFLOWS = 30
CONNECTIONS = 6


class RunsOutAfter:
    """A Lambda context with time for `calls` looks at the clock, then 5 s left (below the
    layer's 10 s margin)."""

    def __init__(self, calls: int) -> None:
        self.calls = 0
        self.allowed = calls

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return 60_000 if self.calls <= self.allowed else 5_000


def test_restore_stops_at_the_deadline_and_the_next_run_finishes(stack: LocalStack) -> None:
    scenario = Scenario(stack, HUBSPOT, automations=WORKFLOWS)
    incident_id = scenario.braked()
    released_before = len(scenario.mutations())
    # Given a restore that runs out of time after its first batch of PUTs
    first = stack.release_incident(incident_id, context=RunsOutAfter(2), force=True)
    # Then it stopped starting new work, reported itself incomplete and kept the incident open
    assert first["complete"] is False
    restored = sum(scenario.is_on(name) for name in scenario.names)
    assert 0 < restored < WORKFLOWS
    meta = stack.journal.meta(incident_id)
    assert meta is not None
    assert meta.status == "open"
    rows = scenario.journal(incident_id)
    assert all(rows[name].release is None for name in scenario.names if not scenario.is_on(name))
    # When restore runs again (next schedule tick) it finishes, touching each workflow once
    scenario.later(minutes=15)
    second = stack.release_incident(incident_id, force=True)
    assert second["complete"] is True
    assert set(statuses(second).values()) == {"released"}
    assert all(scenario.states().values())
    assert len(scenario.mutations()) - released_before == WORKFLOWS
    scenario.assert_journal_matches_platform(incident_id)


@pytest.mark.parametrize("phase", ["brake", "release"])
def test_kill_switches_stop_at_the_deadline_and_the_next_run_finishes(
    stack: LocalStack, phase: str
) -> None:
    # Given kill switches in six settings (one call each; users share one concurrent batch,
    # checked against the deadline like a HubSpot batch) and time for a few calls only
    kind = "setting"
    scenario = Scenario(stack, SALESFORCE, automations=6, kind=kind)
    incident_id = scenario.braked() if phase == "release" else None
    changes_before = len(scenario.mutations())
    short = RunsOutAfter(4)
    if phase == "brake":
        first = scenario.brake(context=short)
        incident_id = str(first["incident_id"])
    else:
        assert incident_id is not None
        first = stack.release_incident(incident_id, context=short, force=True)
    # Then it stopped starting changes, said so, and left nothing pending on the platform
    assert first["complete"] is False
    changed = len(scenario.mutations()) - changes_before
    assert changed < len(scenario.names)
    meta = stack.journal.meta(incident_id)
    assert meta is not None
    assert meta.status == "open"
    # When the next run comes, it finishes, changing each automation once in all
    scenario.later(minutes=15)
    if phase == "brake":
        second = scenario.brake()
    else:
        second = stack.release_incident(incident_id, force=True)
    expected = "braked" if phase == "brake" else "released"
    assert set(statuses(second).values()) == {expected}, second
    assert len(scenario.mutations()) - changes_before == len(scenario.names)
    scenario.assert_journal_matches_platform(incident_id)


def _check(stack: LocalStack, context: Any) -> dict[str, Any]:
    """One usage_monitor run with a Lambda context (stack.check() passes none)."""
    report: dict[str, Any] = stack.monitor_app.handle(
        {}, context, clock=stack.sandbox.clock.now, invoker=stack.invoker
    )
    stack.monitor_app.metrics.clear_metrics()
    return report


def _salesforce_connections(stack: LocalStack) -> list[str]:
    ids = [f"sf-{n}" for n in range(CONNECTIONS)]
    for cid in ids:
        stack.add_salesforce(cid)
    return ids


def _readings(stack: LocalStack, cid: str) -> int:
    since = stack.sandbox.clock.now() - timedelta(hours=1)
    return len(stack.state.readings_since(cid, since))


def test_monitor_stops_at_the_deadline_and_the_next_run_checks_the_rest(
    stack: LocalStack,
) -> None:
    ids = _salesforce_connections(stack)
    served = stack.sandbox.salesforce_server.requests_served
    # Given a monitor run whose Lambda runs out of time after two connections started
    first = _check(stack, RunsOutAfter(2))
    # Then it checked those two, started nothing more, and said which ones it did not reach
    rows = {row["connection_id"]: row for row in first["connections"]}
    reached = {cid for cid in ids if not rows[cid]["not_reached"]}
    assert len(reached) == 2
    assert first["complete"] is False
    assert first["summary"]["checked"] == 2
    assert first["summary"]["not_reached"] == CONNECTIONS - 2
    assert first["summary"]["errors"] == 0  # not reached is not broken: no error alarm
    for cid in set(ids) - reached:
        assert "next scheduled run" in (rows[cid]["note"] or "")
        assert rows[cid]["percent"] is None
        assert _readings(stack, cid) == 0
    assert all(_readings(stack, cid) >= 1 for cid in reached)
    assert stack.sandbox.salesforce_server.requests_served > served
    # When the next scheduled run has its full time, it checks every connection
    stack.sandbox.advance(timedelta(minutes=5))
    second = _check(stack, LocalLambdaContext("usage-monitor", timeout_seconds=60))
    assert second["complete"] is True
    assert second["summary"]["checked"] == CONNECTIONS
    assert all(_readings(stack, cid) >= 1 for cid in ids)


def test_monitor_with_no_time_left_calls_no_platform(stack: LocalStack) -> None:
    ids = _salesforce_connections(stack)
    served = stack.sandbox.salesforce_server.requests_served
    # Given a Lambda context with less time than the margin the layer keeps
    report = _check(stack, LocalLambdaContext("usage-monitor", timeout_seconds=5))
    # Then no connection was started: no platform request, every row not reached
    assert stack.sandbox.salesforce_server.requests_served == served
    assert report["complete"] is False
    assert {row["connection_id"] for row in report["connections"] if row["not_reached"]} == set(ids)

"""Deadlines: restore stops starting platform work before the Lambda timeout, leaves the
journal consistent, and the next invocation resumes (the brake's twin is in
tests/integration/test_brake_safety.py)."""

from __future__ import annotations

from drill.stack import LocalStack
from tests.reliability.scenario import HUBSPOT, Scenario, statuses

WORKFLOWS = 30


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

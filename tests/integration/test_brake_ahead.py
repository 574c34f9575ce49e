"""Brake ahead of the threshold over the wire: a sustained spike is braked at the lower
reading it is seen at, once; a burst that stops by itself is not; `brake_ahead: false`
waits for the threshold.

The portal's limit is 250,000: the 90 % brake threshold is at 225,000 calls.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from drill.stack import LocalStack
from sandbox import scenarios

THRESHOLD = 225_000


def spike_portal(stack: LocalStack, *, at: int, **item: Any) -> None:
    """A portal at `at` calls with a lead-scoring workflow (3001) on the allowlist."""
    scenarios.hubspot_spike(stack.sandbox)
    stack.sandbox.hubspot.set_background_rate(0)
    stack.sandbox.hubspot.set_workflow_rate("3001", 0)
    stack.sandbox.hubspot.add_usage(at)
    stack.add_hubspot(**item)
    stack.allow("hs-main", "workflow:3001")


def minute(stack: LocalStack) -> dict[str, Any]:
    """One simulated minute, then a schedule tick and the brakes it queued."""
    stack.sandbox.advance(timedelta(minutes=1))
    report = stack.tick()
    stack.run_auto_brakes()
    return next(row for row in report["connections"] if row["connection_id"] == "hs-main")


def used(stack: LocalStack) -> int:
    return stack.sandbox.hubspot.usage()[0]


def test_a_sustained_spike_is_braked_before_the_threshold_once(stack: LocalStack) -> None:
    # Given a hot portal at 88 % whose workflow starts burning 60,000 calls an hour
    spike_portal(stack, at=220_000)
    stack.tick()
    stack.sandbox.hubspot.set_workflow_rate("3001", 60_000)
    rows = []
    # When the schedule ticks every minute until the brake starts
    while not stack.invoker.events and len(rows) < 10:
        rows.append(minute(stack))
    # Then the brake started below the threshold: at the second fast interval, once
    # 1,000 calls a minute would cross 225,000 before the next check and the brake's minute
    braked = rows[-1]
    assert braked["auto_brake_triggered"]
    assert braked["braked_ahead"]
    assert braked["used"] < THRESHOLD
    assert THRESHOLD - braked["used"] <= 2 * 1_000
    assert not any(row["auto_brake_triggered"] for row in rows[:-1])
    (event,) = stack.invoker.events
    assert "braked ahead" in event.reason
    assert re.search(r"rising 60,\d{3} calls/hour", event.reason)  # ours included
    # and its critical alert says so, with the rate and the projection
    critical = [a for a in stack.alerts() if a.attributes["severity"] == "critical"]
    assert [a.subject for a in critical] == [
        f"[apibrake] CRITICAL hs-main: {braked['percent']:.1f}% of daily API limit used, "
        "braked ahead of the 90% threshold"
    ]
    assert re.search(r"risen at 60,\d{3} calls/hour", critical[0].body)
    # and the workflow is off: usage stops short of the threshold
    assert not stack.sandbox.hubspot.workflow("3001")["isEnabled"]
    assert used(stack) < THRESHOLD
    # When usage crosses the threshold anyway (another app), later in the same day
    stack.sandbox.hubspot.add_usage(THRESHOLD - used(stack) + 1_000)
    for _ in range(3):
        minute(stack)
    # Then the trigger stays the one brake: no second invoke, no second brake alert (the
    # climb past the brake is news of its own: outside apibrake's reach)
    assert len(stack.invoker.events) == 1
    kinds = [a.attributes["kind"] for a in stack.alerts()]
    assert "brake_threshold" not in kinds
    assert "outside_reach" in kinds


def test_a_burst_in_one_interval_does_not_brake_ahead(stack: LocalStack) -> None:
    # Given a hot portal at 88 %, checked every minute
    spike_portal(stack, at=220_000)
    stack.tick()
    minute(stack)
    # When a burst of 3,000 calls lands in one minute and stops by itself (at 89.2 %:
    # at that rate, 225,000 would be 1.5 minutes away)
    stack.sandbox.hubspot.add_usage(3_000)
    rows = [minute(stack) for _ in range(5)]
    # Then nothing brakes: one fast interval is not a sustained rate
    assert stack.invoker.events == []
    assert not any(row["auto_brake_triggered"] for row in rows)
    assert max(row["used"] for row in rows) < THRESHOLD


def test_brake_ahead_off_waits_for_the_threshold(stack: LocalStack) -> None:
    # Given the same spike on a portal with brake_ahead off
    spike_portal(stack, at=220_000, brake_ahead=False)
    stack.tick()
    stack.sandbox.hubspot.set_workflow_rate("3001", 60_000)
    rows = []
    while not stack.invoker.events and len(rows) < 10:
        rows.append(minute(stack))
    # Then the brake starts at the first check at or over the threshold, the plain way
    assert rows[-1]["auto_brake_triggered"]
    assert not rows[-1]["braked_ahead"]
    assert rows[-1]["used"] >= THRESHOLD
    assert all(row["used"] < THRESHOLD for row in rows[:-1])
    assert "reached brake_at" in stack.invoker.events[0].reason

"""Any event, however wrong, gets an answer from each handler: a report or a named field."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apibrake.models.events import BrakeEvent, MonitorEvent, ReleaseEvent, ReleaseRecoveredEvent
from drill.stack import LocalStack
from localaws.lambda_context import LocalLambdaContext
from tests.property.strategies import JSON, ON_THE_STACK, names_a_field, near

CONNECTION_IDS = st.sampled_from(["sf-prod", "missing"]) | st.text(max_size=140)
MONITOR_EVENTS = JSON | near({"connection_ids": st.lists(CONNECTION_IDS, max_size=3)})
BRAKE_EVENTS = JSON | near(
    {
        "action": st.sampled_from(["brake", "release", "BRAKE"]),
        "connection_id": CONNECTION_IDS,
        "dry_run": st.booleans(),
        "reason": st.text(max_size=600),
        "requested_by": st.text(max_size=30),
        "tier": st.integers(min_value=-1, max_value=12),
    }
)
RESTORE_EVENTS = JSON | near(
    {
        "action": st.sampled_from(["release", "release_recovered", "brake"]),
        "incident_id": st.text(max_size=40),
        "dry_run": st.booleans(),
        "force": st.booleans(),
    }
)


def _fields(*models: Any) -> set[str]:
    return {"(event)"} | {name for model in models for name in model.model_fields}


def _assert_answered(answer: Any, event: Any, known: set[str]) -> None:
    assert isinstance(answer, dict)
    json.dumps(answer)  # what Lambda returns must serialise
    if "error" in answer:
        assert answer["error"] == "invalid_event"
        assert answer["message"]
        assert names_a_field(answer["field"], event, known), (answer, event)


def _watched(stack: LocalStack) -> None:
    stack.add_salesforce("sf-prod")
    stack.allow("sf-prod", "flow:Account_Rollup_Hourly")


@ON_THE_STACK
@given(event=MONITOR_EVENTS)
def test_usage_monitor_answers_every_event(stack: LocalStack, event: Any) -> None:
    if not stack.connections.load()[0]:
        _watched(stack)

    answer = stack.monitor_app.handle(event, clock=stack.sandbox.clock.now, invoker=stack.invoker)

    _assert_answered(answer, event, _fields(MonitorEvent))
    assert ("error" in answer) != ("summary" in answer)


@ON_THE_STACK
@given(event=BRAKE_EVENTS)
def test_incident_responder_answers_every_event(stack: LocalStack, event: Any) -> None:
    if not stack.connections.load()[0]:
        _watched(stack)
    context = LocalLambdaContext(stack.aws.function_names["IncidentResponderFunction"])

    answer = stack.responder_app.handle(event, context, clock=stack.sandbox.clock.now)

    _assert_answered(answer, event, _fields(BrakeEvent))
    assert ("error" in answer) != ("incident_id" in answer)


@ON_THE_STACK
@given(event=RESTORE_EVENTS)
def test_restore_answers_every_event(stack: LocalStack, event: Any) -> None:
    context = LocalLambdaContext(stack.aws.function_names["RestoreFunction"])

    answer = stack.restore_app.handle(event, context, clock=stack.sandbox.clock.now)

    _assert_answered(answer, event, _fields(ReleaseEvent, ReleaseRecoveredEvent))

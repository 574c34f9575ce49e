"""EventBridge events over the wire: a rule on moto's default bus with an SQS target gets
an event for an alert, a brake, a release and a row that needs a person; an events
endpoint that is down stops neither the alert nor the brake."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from apibrake.warn.events import DetailType, EventDetail
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.server import Sandbox
from tests.integration.brake_support import statuses
from tests.integration.conftest import TEST_ENVIRONMENT

APIBRAKE_EVENTS = {"source": ["apibrake"]}
# Nothing listens here: every connection is refused at once.
DEAD_ENDPOINT = "http://127.0.0.1:9"


def _org(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_flow("Account_Rollup", versions=2, active_version=2)
    # Its class has no no-argument constructor: the brake leaves it to a person.
    stack.sandbox.salesforce.add_scheduled_job(
        "Configured", apex_class="NeedsConfig", constructible=False
    )
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup", "scheduled_apex:Configured")


def _details(events: list[dict[str, Any]], detail_type: DetailType) -> list[EventDetail]:
    return [
        EventDetail.model_validate(event["detail"])
        for event in events
        if event["detail-type"] == detail_type.value
    ]


def test_alert_brake_release_and_needs_human_reach_a_rule_on_the_default_bus(
    stack: LocalStack,
) -> None:
    # Given a rule routing every apibrake event to a queue, and an org at 75 %
    inbox = stack.aws.event_inbox(APIBRAKE_EVENTS)
    _org(stack)
    stack.sandbox.salesforce.add_usage(75_000)

    # When the monitor warns, the brake runs and the incident is released
    stack.check()
    braked = stack.brake(connection_id="sf-prod", reason="test")
    released = stack.release_incident(braked["incident_id"], force=True)
    events = inbox.receive()

    # Then each arrived as an apibrake event with its detail
    assert statuses(braked) == {"Account_Rollup": "braked", "Configured": "needs_human"}
    assert statuses(released)["Account_Rollup"] == "released"
    assert {event["source"] for event in events} == {"apibrake"}
    assert Counter(event["detail-type"] for event in events) == {
        "apibrake alert": 1,
        "apibrake brake": 1,
        "apibrake needs human": 1,
        "apibrake release": 1,
    }
    [alert] = _details(events, DetailType.ALERT)
    assert (alert.kind, alert.severity.value, alert.connection_id) == (
        "threshold",
        "warning",
        "sf-prod",
    )
    assert alert.usage is not None
    assert alert.usage.limit == 100_000
    assert alert.usage.used is not None
    assert alert.usage.used >= 75_000
    incident = braked["incident_id"]
    [brake] = _details(events, DetailType.BRAKE)
    [release] = _details(events, DetailType.RELEASE)
    assert brake.incident_id == release.incident_id == incident
    assert brake.severity.value == "critical"  # one row needs a person
    [person] = _details(events, DetailType.NEEDS_HUMAN)
    assert (person.automation, person.incident_id) == ("scheduled_apex:Configured", incident)
    assert "no public no-argument constructor" in (person.reason or "")


def test_switched_off_events_publish_nothing(
    aws: LocalAws, sandbox: Sandbox, function_env: None
) -> None:
    stack = LocalStack(aws, sandbox, environment={**TEST_ENVIRONMENT, "PUBLISH_EVENTS": "false"})
    inbox = aws.event_inbox(APIBRAKE_EVENTS)
    _org(stack)
    stack.sandbox.salesforce.add_usage(75_000)

    stack.check()
    stack.brake(connection_id="sf-prod", reason="test")

    assert inbox.receive() == []
    assert len(stack.alerts()) == 2  # the warning and the brake summary still went out


def test_events_endpoint_down_loses_neither_the_alert_nor_the_brake(
    aws: LocalAws, sandbox: Sandbox, function_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given functions whose EventBridge endpoint refuses every connection
    environment = {**TEST_ENVIRONMENT, "AWS_ENDPOINT_URL_EVENTBRIDGE": DEAD_ENDPOINT}
    stack = LocalStack(aws, sandbox, environment=environment)
    _org(stack)
    stack.sandbox.salesforce.add_usage(75_000)

    # When the monitor warns and the brake runs
    checked = stack.check()
    braked = stack.brake(connection_id="sf-prod", reason="test")

    # Then both did their work and published their alerts as if nothing were wrong
    assert [row["alerts_sent"] for row in checked["connections"]] == [["warn:70"]]
    assert statuses(braked) == {"Account_Rollup": "braked", "Configured": "needs_human"}
    assert not braked["errors"]
    kinds = [alert.attributes["kind"] for alert in stack.alerts()]
    assert kinds == ["threshold", "brake"]
    # ... and what did not go out was counted
    assert capsys.readouterr().out.count('"EventsNotPublished"') >= 3

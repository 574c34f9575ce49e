"""Every kind of alert as a chat message: valid in the relay's documented format, with the
title, usage, forecast, suspects and next command a person needs; long alerts are cut to
the limits, never dropped."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from apibrake.models.reports import RowStatus
from apibrake.warn.chat import chat_notification
from apibrake.warn.incident_alerts import human_must_act
from apibrake.warn.publisher import AlertPublisher
from tests.fixtures.chat_format import ChatNotification
from tests.unit.warn.alert_kinds import EVERY_KIND, automation_row, incident_summary


@pytest.mark.parametrize("name", sorted(EVERY_KIND))
def test_every_alert_is_a_valid_chat_notification(name: str) -> None:
    alert = EVERY_KIND[name]

    message = ChatNotification.model_validate(chat_notification(alert))

    title = message.content.title or ""
    assert alert.severity.value.upper() in title
    assert alert.connection_id in title
    assert message.content.nextSteps, "every alert says what to do next"
    assert message.metadata is not None
    assert message.metadata.additionalContext["connection_id"] == alert.connection_id


def test_usage_alert_carries_usage_forecast_and_the_exact_brake_command() -> None:
    alert = EVERY_KIND["threshold"]

    content = ChatNotification.model_validate(chat_notification(alert)).content

    assert content.description.splitlines() == [
        "Usage: 13,800 of 15,000 calls (92.0%), 1,200 remaining.",
        "Forecast at this rate: limit exhausted in 2 h.",
    ]
    dry_run, brake = content.nextSteps
    # The runbook's command first (the chat has room for one form)
    assert "`apibrake brake --connection sf-prod --dry-run --reason 'apibrake alert'" in dry_run
    assert brake.startswith("Brake now: `apibrake brake --connection sf-prod --yes")
    assert (alert.percent, alert.used, alert.limit) == (92.0, 13_800, 15_000)


def test_suspects_appear_when_known_and_never_when_empty() -> None:
    alert = EVERY_KIND["threshold"]
    named = replace(alert, suspects="integration user etl@acme.com (62% of calls)")

    assert "Suspects" not in chat_notification(alert)["content"]["description"]
    assert chat_notification(named)["content"]["description"].endswith(
        "Suspects: integration user etl@acme.com (62% of calls)"
    )


def test_incident_alerts_thread_by_incident_and_point_to_the_release() -> None:
    brake = chat_notification(EVERY_KIND["brake"])
    release = chat_notification(EVERY_KIND["release"])

    assert brake["metadata"]["threadId"] == release["metadata"]["threadId"]
    assert brake["metadata"]["threadId"] == "apibrake-sf-prod-20261102T120000Z"
    assert (
        "`apibrake release --incident sf-prod-20261102T120000Z`"
        in brake["content"]["nextSteps"][-1]
    )
    assert brake["metadata"]["eventType"] == "apibrake-brake"
    assert (
        "incident_id"
        not in chat_notification(EVERY_KIND["brake_dry_run"])["metadata"]["additionalContext"]
    )


def test_a_very_long_alert_is_cut_to_the_limits_not_dropped() -> None:
    rows = [
        automation_row(
            f"Flow_{index:04}_" + "x" * 80, RowStatus.NEEDS_HUMAN, "refused: " + "y" * 300
        )
        for index in range(400)
    ]
    alert = incident_summary("brake", rows)
    assert len(alert.body) > 100_000

    message = ChatNotification.model_validate(chat_notification(alert))

    assert message.content.description.startswith("apibrake brake of connection sf-prod")
    assert message.content.description.endswith("(cut: the email alert has the full text)")
    assert len(message.content.nextSteps) == 5
    assert message.content.nextSteps[-1] == "... and 397 more: see the email alert"


def test_a_long_subject_still_fits_the_title() -> None:
    alert = human_must_act(
        "sf-" + "p" * 200, "salesforce", [automation_row("A", RowStatus.NEEDS_HUMAN)], "no calls"
    )

    title = ChatNotification.model_validate(chat_notification(alert)).content.title

    assert title is not None
    assert len(title) == 150
    assert title.endswith("...")


def test_unchanged_email_and_sms_ride_beside_the_chat_variant() -> None:
    calls: list[dict[str, object]] = []

    class RecordingSns:
        def publish(self, **request: object) -> dict[str, str]:
            calls.append(request)
            return {"MessageId": "m-1"}

    alert = EVERY_KIND["brake_threshold"]
    AlertPublisher(RecordingSns(), "arn:aws:sns:us-east-1:123456789012:alerts").publish(alert)

    message = json.loads(str(calls[0]["Message"]))
    assert calls[0]["MessageStructure"] == "json"
    assert message["default"] == message["email"] == alert.body
    assert message["sms"] == alert.sms
    assert message["https"] == message["http"]
    assert ChatNotification.model_validate_json(message["https"]).content.title

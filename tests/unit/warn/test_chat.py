"""Every kind of alert as a chat message: valid in the relay's documented format, with the
title, usage, forecast, suspects and next command a person needs; long alerts are cut to
the limits, never dropped."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from apibrake.models.alert import Alert, Severity
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.warn.chat import chat_notification
from apibrake.warn.incident_alerts import human_must_act, summary_alert
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.notices import connection_notices
from apibrake.warn.publisher import AlertPublisher
from apibrake.warn.rules import (
    AlertKind,
    DueAlert,
    connection_error_alert,
    exhausted_alert,
    usage_alerts,
)
from apibrake.watch.forecast import Forecast
from apibrake.watch.monitor import _invalid_item_alert
from tests.fixtures.chat_format import ChatNotification

SF = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf")
HS = Connection(connection_id="hs-main", platform="hubspot", secret_id="apibrake/hs")
ALLOWLIST = [AllowlistEntry(connection_id="sf-prod", automation="flow:Account_Rollup")]
FUNCTION = "apibrake-IncidentResponder"


def outlook(percent: float) -> Forecast:
    return Forecast(
        used=int(percent * 150),
        limit=15_000,
        percent=percent,
        burn_rate_per_hour=1_200.0,
        minutes_to_brake=45.0 if percent < 90 else 0.0,
        minutes_to_exhaustion=120.0,
        resets_at=None,
        minutes_to_reset=None,
    )


def _composed(due: DueAlert, percent: float | None, **context: object) -> Alert:
    forecast = outlook(percent) if percent is not None else None
    return compose(
        SF,
        due,
        AlertContext(
            forecast=forecast,
            allowlist=ALLOWLIST,
            incident_function_name=FUNCTION,
            **context,  # type: ignore[arg-type]
        ),
    )


def _row(name: str, status: RowStatus, error: str | None = None) -> AutomationRow:
    return AutomationRow(
        platform="salesforce",
        connection_id="sf-prod",
        kind=AutomationKind.FLOW,
        name=name,
        status=status,
        error=error,
    )


def _summary(action: str, rows: list[AutomationRow], *, dry_run: bool = False) -> Alert:
    return summary_alert(
        action=action,
        incident_id="sf-prod-20261102T120000Z",
        connection_id="sf-prod",
        platform="salesforce",
        rows=rows,
        calls=3,
        dry_run=dry_run,
        complete=True,
    )


def _every_kind() -> dict[str, Alert]:
    by_threshold = {due.kind: due for due in usage_alerts(SF, outlook(92), horizon_minutes=60)}
    forecast_due = next(
        due
        for due in usage_alerts(SF, outlook(60), horizon_minutes=60)
        if due.kind is AlertKind.FORECAST
    )
    notices = connection_notices(
        HS,
        gap="service key calls are not counted",
        api_versions={"oauth": "v1"},
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    braked = [_row("Account_Rollup", RowStatus.BRAKED)]
    return {
        "threshold": _composed(by_threshold[AlertKind.THRESHOLD], 92),
        "brake_threshold": _composed(by_threshold[AlertKind.BRAKE_THRESHOLD], 92),
        "forecast": _composed(forecast_due, 60),
        "connection_error": _composed(connection_error_alert("AuthError"), None, error="401"),
        "limit_exhausted": _composed(exhausted_alert(), 100, error="REQUEST_LIMIT_EXCEEDED"),
        "outside_reach": _composed(
            DueAlert("outside", AlertKind.OUTSIDE_REACH, Severity.CRITICAL, 100),
            95,
            rate_now_per_hour=2_000.0,
        ),
        "human_must_act": human_must_act("sf-prod", "salesforce", braked, "3 calls left"),
        "brake": _summary("brake", braked),
        "brake_dry_run": _summary("brake", braked, dry_run=True),
        "release": _summary("release", [_row("Account_Rollup", RowStatus.RELEASED)]),
        "release_trouble": _summary(
            "release", [_row("Account_Rollup", RowStatus.NEEDS_HUMAN, "owner changed")]
        ),
        "usage_gap": notices[0].alert,
        "api_sunset": notices[1].alert,
        "invalid_item": _invalid_item_alert("sf-bad", "field 'platform': not a platform"),
    }


EVERY_KIND = _every_kind()


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
    assert '{"action":"brake","connection_id":"sf-prod","dry_run":true}' in dry_run
    assert brake.startswith("Brake now: `aws lambda invoke --function-name " + FUNCTION)
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
        _row(f"Flow_{index:04}_" + "x" * 80, RowStatus.NEEDS_HUMAN, "refused: " + "y" * 300)
        for index in range(400)
    ]
    alert = _summary("brake", rows)
    assert len(alert.body) > 100_000

    message = ChatNotification.model_validate(chat_notification(alert))

    assert message.content.description.startswith("apibrake brake of connection sf-prod")
    assert message.content.description.endswith("(cut: the email alert has the full text)")
    assert len(message.content.nextSteps) == 5
    assert message.content.nextSteps[-1] == "... and 397 more: see the email alert"


def test_a_long_subject_still_fits_the_title() -> None:
    alert = human_must_act(
        "sf-" + "p" * 200, "salesforce", [_row("A", RowStatus.NEEDS_HUMAN)], "no calls"
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

"""The critical alert of a brake started ahead of the threshold says so, and why."""

from __future__ import annotations

from apibrake.models.connection import Connection
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.publisher import Severity
from apibrake.warn.rules import AlertKind, brake_threshold_alert
from apibrake.watch.ahead import BrakeAhead
from tests.unit.warn.alert_kinds import outlook

SF = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf")
AHEAD = BrakeAhead(
    rate_per_hour=48_000,
    minutes_to_threshold=1.25,
    look_ahead_minutes=2,
    threshold=90,
    projected_percent=90.6,
)


def test_braked_ahead_alert_names_the_rate_and_the_projection() -> None:
    # Given usage at 89 %, braked because 48,000 calls/hour reach 90 % within 2 minutes
    due = brake_threshold_alert(SF.effective_brake_at)
    context = AlertContext(forecast=outlook(89), auto_brake_triggered=True, brake_ahead=AHEAD)
    alert = compose(SF, due, context)
    # Then it is the brake threshold's critical alert, saying it braked ahead and why
    assert (alert.severity, alert.kind) == (Severity.CRITICAL, AlertKind.BRAKE_THRESHOLD.value)
    assert alert.subject == (
        "[apibrake] CRITICAL sf-prod: 89.0% of daily API limit used, braked ahead of the 90% "
        "threshold"
    )
    assert "risen at 48,000 calls/hour or more over each of the last two checks" in alert.body
    assert "reaches 90% in 1 min, before the next check and the 1 min a brake takes" in alert.body
    assert "by then usage would be at 90.6%" in alert.body
    assert "started the automatic brake ahead of the threshold" in alert.body
    assert "brake_ahead" in alert.body  # how to turn it off
    assert "braked ahead" in alert.sms
    assert "48,000/h" in alert.sms
    assert len(alert.sms) <= 160


def test_the_brake_threshold_alert_without_brake_ahead_is_unchanged() -> None:
    alert = compose(
        SF,
        brake_threshold_alert(SF.effective_brake_at),
        AlertContext(forecast=outlook(91), auto_brake_triggered=True),
    )
    assert alert.subject.endswith("91% of daily API limit used, brake threshold reached")
    assert "ahead" not in alert.body

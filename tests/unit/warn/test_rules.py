"""Which alerts a forecast calls for, and their severity."""

from __future__ import annotations

from apibrake.models.connection import Connection
from apibrake.warn.publisher import Severity
from apibrake.warn.rules import AlertKind, usage_alerts
from apibrake.watch.forecast import Forecast

CONNECTION = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf")


def outlook(percent: float, minutes_to_brake: float | None = None) -> Forecast:
    used = int(percent * 100)
    return Forecast(
        used=used,
        limit=10_000,
        percent=percent,
        burn_rate_per_hour=None,
        minutes_to_brake=minutes_to_brake,
        minutes_to_exhaustion=None,
        resets_at=None,
        minutes_to_reset=None,
    )


def keys(percent: float, minutes_to_brake: float | None = None) -> list[str]:
    due = usage_alerts(CONNECTION, outlook(percent, minutes_to_brake), horizon_minutes=60)
    return [alert.key for alert in due]


def test_nothing_below_the_first_threshold_without_a_forecast() -> None:
    assert keys(69.9) == []


def test_each_threshold_crossed_is_due_lowest_first() -> None:
    assert keys(70) == ["warn:70"]
    assert keys(85) == ["warn:70", "warn:80"]
    assert keys(90) == ["warn:70", "warn:80", "brake:90"]
    assert keys(100.5) == ["warn:70", "warn:80", "brake:90", "limit:100"]


def test_forecast_within_horizon_only_before_brake() -> None:
    assert keys(50, minutes_to_brake=59) == ["forecast:90"]
    assert keys(50, minutes_to_brake=61) == []
    assert "forecast:90" not in keys(95, minutes_to_brake=0)


def test_severity_escalates() -> None:
    due = usage_alerts(CONNECTION, outlook(100, 0), horizon_minutes=60)
    severity = {alert.kind: alert.severity for alert in due}
    assert severity[AlertKind.THRESHOLD] is Severity.WARNING
    assert severity[AlertKind.BRAKE_THRESHOLD] is Severity.CRITICAL
    assert severity[AlertKind.LIMIT_EXHAUSTED] is Severity.CRITICAL
    forecast_alert = usage_alerts(CONNECTION, outlook(10, 5), horizon_minutes=60)[0]
    assert forecast_alert.severity is Severity.INFO
    assert max(due, key=lambda a: a.rank).kind is AlertKind.LIMIT_EXHAUSTED


def test_custom_thresholds() -> None:
    custom = CONNECTION.model_copy(update={"warn_at": (50.0, 75.5), "brake_at": 85.0})
    due = usage_alerts(custom, outlook(80), horizon_minutes=60)
    assert [a.key for a in due] == ["warn:50", "warn:75.5"]

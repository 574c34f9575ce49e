"""reserve_pct moves the brake threshold down so the brake's own calls still fit."""

from __future__ import annotations

import pytest

from apibrake.models.connection import Connection
from apibrake.warn.publisher import Severity
from apibrake.warn.rules import AlertKind, rearmed_by_release, usage_alerts
from apibrake.watch.forecast import Forecast


def connection(**fields: float) -> Connection:
    return Connection.model_validate(
        {"connection_id": "sf-prod", "platform": "salesforce", "secret_id": "apibrake/sf", **fields}
    )


def outlook(percent: float, minutes_to_brake: float | None = None) -> Forecast:
    return Forecast(
        used=int(percent * 100),
        limit=10_000,
        percent=percent,
        burn_rate_per_hour=None,
        minutes_to_brake=minutes_to_brake,
        minutes_to_exhaustion=None,
        resets_at=None,
        minutes_to_reset=None,
    )


@pytest.mark.parametrize(
    ("brake_at", "reserve_pct", "effective"),
    [(90, 5, 90), (95, 5, 95), (98, 5, 95), (99, 0, 99), (100, 10, 90)],
)
def test_effective_threshold_is_brake_at_capped_by_the_reserve(
    brake_at: float, reserve_pct: float, effective: float
) -> None:
    assert connection(brake_at=brake_at, reserve_pct=reserve_pct).effective_brake_at == effective


def test_brake_alert_is_due_at_the_effective_threshold() -> None:
    tight = connection(brake_at=98, reserve_pct=5)
    below = usage_alerts(tight, outlook(94.9), horizon_minutes=60)
    assert AlertKind.BRAKE_THRESHOLD not in {alert.kind for alert in below}
    (brake,) = [
        a for a in usage_alerts(tight, outlook(95), horizon_minutes=60) if a.threshold == 95
    ]
    assert (brake.key, brake.kind, brake.severity) == (
        "brake:95",
        AlertKind.BRAKE_THRESHOLD,
        Severity.CRITICAL,
    )


def test_forecast_alert_names_the_effective_threshold() -> None:
    tight = connection(brake_at=98, reserve_pct=5)
    due = usage_alerts(tight, outlook(85, minutes_to_brake=30), horizon_minutes=60)
    assert "forecast:95" in [alert.key for alert in due]


def test_release_rearms_brake_alerts_but_not_warnings() -> None:
    assert rearmed_by_release("brake:90")
    assert rearmed_by_release("outside_reach")
    assert not rearmed_by_release("warn:70")
    assert not rearmed_by_release("limit:100")

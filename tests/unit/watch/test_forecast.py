"""Forecast maths against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.watch.forecast import burn_rate_per_hour, forecast, minutes_until, since_last_reset

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def reading(minutes: float, used: int, limit: int = 10_000, **extra: object) -> UsageReading:
    return UsageReading(
        used=used,
        limit=limit,
        taken_at=T0 + timedelta(minutes=minutes),
        source=ReadingSource.LIMITS_ENDPOINT,
        **extra,  # type: ignore[arg-type]
    )


def test_rate_is_calls_between_oldest_and_newest_per_hour() -> None:
    # 600 calls in 30 minutes = 1,200 calls an hour.
    readings = [reading(0, 1_000), reading(10, 1_300), reading(30, 1_600)]
    assert burn_rate_per_hour(readings, now=T0 + timedelta(minutes=30), resets=False) == 1_200


def test_rate_ignores_readings_outside_the_window() -> None:
    # The 0-minute reading is 70 minutes old: only 20..70 counts, 500 calls in 50 min.
    readings = [reading(0, 0), reading(20, 2_000), reading(70, 2_500)]
    rate = burn_rate_per_hour(readings, now=T0 + timedelta(minutes=70), resets=False)
    assert rate == pytest.approx(600)


def test_no_rate_from_one_reading_or_readings_seconds_apart() -> None:
    now = T0 + timedelta(minutes=1)
    assert burn_rate_per_hour([reading(0, 5)], now=now, resets=False) is None
    close = [reading(0, 5), reading(0.5, 50)]
    assert burn_rate_per_hour(close, now=now, resets=False) is None


def test_hubspot_rate_starts_after_the_reset() -> None:
    # 9,000 before midnight, 0 after; since the reset: 0 -> 300 in 15 min = 1,200/h.
    readings = [reading(0, 8_800), reading(10, 9_000), reading(15, 0), reading(30, 300)]
    assert since_last_reset(readings)[0].used == 0
    assert burn_rate_per_hour(readings, now=T0 + timedelta(minutes=30), resets=True) == 1_200


def test_salesforce_rolling_window_gives_a_net_negative_rate() -> None:
    # Calls ageing out faster than new ones come in: 5,000 -> 4,700 in 30 min = -600/h.
    readings = [reading(0, 5_000), reading(30, 4_700)]
    assert burn_rate_per_hour(readings, now=T0 + timedelta(minutes=30), resets=False) == -600


@pytest.mark.parametrize(
    ("target", "used", "rate", "expected"),
    [
        (9_000, 6_000, 1_200, 150.0),  # 3,000 calls at 20 a minute
        (9_000, 9_500, 1_200, 0.0),  # already past
        (9_000, 6_000, 0, None),  # flat: never
        (9_000, 6_000, -100, None),  # falling: never
        (9_000, 6_000, None, None),  # unknown rate
    ],
)
def test_minutes_until(
    target: float, used: int, rate: float | None, expected: float | None
) -> None:
    assert minutes_until(target, used, rate) == expected


def test_salesforce_forecast_to_brake_and_exhaustion() -> None:
    # limit 10,000; 6,000 used; 1,200/h. Brake at 90 % = 9,000: 3,000 calls = 150 min.
    # 100 % = 10,000: 4,000 calls = 200 min. No reset: rolling window.
    now = T0 + timedelta(minutes=30)
    outlook = forecast(
        reading(30, 6_000), [reading(0, 5_400)], now=now, brake_at=90, resets_at=None
    )
    assert outlook.percent == 60
    assert outlook.burn_rate_per_hour == 1_200
    assert outlook.minutes_to_brake == 150
    assert outlook.minutes_to_exhaustion == 200
    assert outlook.minutes_to_reset is None
    assert outlook.remaining == 4_000


def test_hubspot_forecast_counts_only_crossings_before_the_reset() -> None:
    # Same figures, the day resets in 180 min: brake (150 min) comes first, 100 % (200) not.
    now = T0 + timedelta(minutes=30)
    outlook = forecast(
        reading(30, 6_000),
        [reading(0, 5_400)],
        now=now,
        brake_at=90,
        resets_at=now + timedelta(minutes=180),
    )
    assert outlook.minutes_to_brake == 150
    assert outlook.minutes_to_exhaustion is None
    assert outlook.minutes_to_reset == 180


def test_usage_above_the_limit_is_a_real_percentage() -> None:
    outlook = forecast(reading(0, 11_001), [], now=T0, brake_at=90, resets_at=None)
    assert outlook.percent == pytest.approx(110.01)
    assert outlook.minutes_to_brake == 0
    assert outlook.minutes_to_exhaustion == 0
    assert outlook.remaining == 0

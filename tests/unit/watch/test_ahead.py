"""Brake ahead of the threshold: when a sustained rate crosses it before the next check
plus the time a brake takes, and the guard against a burst that stops by itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.watch.ahead import BrakeAhead, brake_ahead

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
LIMIT = 100_000
THRESHOLD = 90.0  # percent: 90,000 calls


def readings(*used: int, every: float = 1.0, **extra: object) -> list[UsageReading]:
    """One reading per `every` minutes, the last one now."""
    return [
        UsageReading(
            used=value,
            limit=LIMIT,
            taken_at=T0 + timedelta(minutes=index * every),
            source=ReadingSource.LIMITS_ENDPOINT,
            **extra,  # type: ignore[arg-type]
        )
        for index, value in enumerate(used)
    ]


def decide(
    series: list[UsageReading], look_ahead: float = 2.0, *, resets: bool = False
) -> BrakeAhead | None:
    return brake_ahead(
        series,
        threshold=THRESHOLD,
        look_ahead_minutes=look_ahead,
        now=series[-1].taken_at,
        resets=resets,
    )


def decide_with_tail(series: list[UsageReading], tail_minutes: float) -> BrakeAhead | None:
    return brake_ahead(
        series,
        threshold=THRESHOLD,
        look_ahead_minutes=2.0,
        now=series[-1].taken_at,
        resets=False,
        tail_minutes=tail_minutes,
    )


@pytest.mark.parametrize(
    ("case", "series", "look_ahead", "brakes"),
    [
        # 800 a minute for two minutes; 1,000 to go: 1.25 min < 2 (next check 1 + brake 1)
        (
            "sustained, crosses before the next check lands a brake",
            readings(87_400, 88_200, 89_000),
            2.0,
            True,
        ),
        # same rate, 2,000 to go: 2.5 min, the next check sees it in time
        (
            "sustained, but the next check is early enough",
            readings(86_400, 87_200, 88_000),
            2.0,
            False,
        ),
        # a burst seen in one interval only: no brake yet
        ("one fast interval after a flat one", readings(88_000, 88_010, 89_000), 2.0, False),
        # the burst stopped: the last interval is flat
        ("a burst that stopped by itself", readings(87_000, 88_500, 88_510), 2.0, False),
        ("the slower interval decides", readings(88_000, 88_200, 89_500), 2.0, False),
        (
            "already over the threshold: the ordinary brake's case",
            readings(88_000, 89_500, 90_100),
            2.0,
            False,
        ),
        ("falling (a rolling window)", readings(89_900, 89_800, 89_700), 2.0, False),
        # hot every 1 minute, warm every 5: a warm check looks further ahead
        ("a longer look-ahead brakes earlier", readings(86_400, 87_200, 88_000), 6.0, True),
    ],
)
def test_brake_ahead_decision(
    case: str, series: list[UsageReading], look_ahead: float, brakes: bool
) -> None:
    assert (decide(series, look_ahead) is not None) is brakes, case


def test_the_decision_says_why() -> None:
    # Given 800 calls a minute over the last two minutes, 1,000 calls short of 90 %
    ahead = decide(readings(87_400, 88_200, 89_000))
    # Then: the slower rate, when it crosses, how far it looks, and where usage would be
    assert ahead is not None
    assert ahead.rate_per_hour == pytest.approx(48_000)
    assert ahead.minutes_to_threshold == pytest.approx(1.25)
    assert ahead.look_ahead_minutes == 2.0
    assert ahead.threshold == THRESHOLD
    assert ahead.projected_percent == pytest.approx(90.6)


def test_readings_closer_than_a_minute_do_not_count_as_intervals() -> None:
    # Given a header reading 10 s after each endpoint reading: three readings, one interval
    close = readings(87_400, 88_200, every=1.0)
    extra = close[-1].model_copy(
        update={"taken_at": close[-1].taken_at + timedelta(seconds=10), "used": 89_000}
    )
    assert decide([*close, extra]) is None


def test_two_readings_are_not_enough() -> None:
    assert decide(readings(88_200, 89_500)) is None


def test_stale_readings_never_brake() -> None:
    assert decide(readings(87_400, 88_200, 89_000, stale=True)) is None


def test_hubspot_ignores_the_readings_before_the_reset() -> None:
    # Given yesterday's 99,000 before midnight: since the reset only two readings remain
    series = readings(99_000, 88_200, 89_000)
    assert decide(series, resets=True) is None
    assert decide(readings(87_400, 88_200, 89_000), resets=True) is not None


def test_the_tail_brakes_ahead_when_brake_plus_tail_would_reach_the_limit() -> None:
    # 800 calls a minute at 88 %: the next check (2 min) still sees the crossing in time,
    # but the connector syncs 15 more minutes after any brake: 88,000 + 800 x 17 > 100 %
    series = readings(86_400, 87_200, 88_000)
    assert decide(series) is None
    ahead = decide_with_tail(series, 15.0)
    assert ahead is not None
    assert ahead.tail_minutes == 15.0
    assert ahead.peak_with_tail_percent == pytest.approx(101.6)


def test_a_tail_that_stays_under_the_limit_waits_for_the_threshold() -> None:
    # 200 calls a minute at 80 %: 80,000 + 200 x 17 = 83.4 %, nowhere near the limit
    series = readings(79_600, 79_800, 80_000)
    assert decide_with_tail(series, 15.0) is None

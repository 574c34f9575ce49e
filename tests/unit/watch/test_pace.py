"""Brake between two hourly steps: a burn in hourly steps (a scheduled run, then the sync
of what it changed) whose next step passes the threshold brakes in the flat stretch before
that step; a burn of an hour or two, a step mid-sync, a calm rollup or a reset do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.watch.ahead import BrakeAhead
from apibrake.watch.pace import brake_before_next_step

T0 = datetime(2026, 11, 2, 18, 30, tzinfo=UTC)
LIMIT = 100_000
THRESHOLD = 90.0
STEP = 4_100  # what each hourly run costs once synced


def stepped(start: int, steps: int, minutes: int = 210) -> list[UsageReading]:
    """A reading every 15 minutes from T0: each hour's step lands in its first 24 minutes."""
    series, used = [], start
    for index in range(minutes // 15 + 1):
        at = T0 + timedelta(minutes=15 * index)
        if at.minute == 15 and index // 4 >= (minutes // 60) - steps:
            used += STEP  # the run at :00, synced by :24, seen at :15 and :30
        series.append(
            UsageReading(used=used, limit=LIMIT, taken_at=at, source=ReadingSource.LIMITS_ENDPOINT)
        )
    return series


def decide(
    series: list[UsageReading], *, rate_now: float | None = 0.0, resets_at: datetime | None = None
) -> BrakeAhead | None:
    return brake_before_next_step(
        series,
        threshold=THRESHOLD,
        now=series[-1].taken_at,
        resets_at=resets_at,
        rate_now_per_hour=rate_now,
    )


def test_three_hours_of_steps_whose_next_passes_the_threshold_brake_between_steps() -> None:
    series = stepped(74_000, steps=4)  # 74,000 + 3 x 4,100 = 86,300 now; the next: 90,400
    ahead = decide(series)
    assert ahead is not None
    assert ahead.hourly_steps
    assert ahead.rate_per_hour == STEP
    assert ahead.projected_percent == pytest.approx((series[-1].used + STEP) / 1_000)


@pytest.mark.parametrize(
    ("why", "series", "rate_now"),
    [
        ("mid-step: the sync is burning", stepped(74_000, steps=4), 9_000.0),
        ("two hours of steps only", stepped(78_100, steps=2), 0.0),
        ("the next step stays below", stepped(60_000, steps=4), 0.0),
        ("no rate known yet", stepped(74_000, steps=4), None),
    ],
)
def test_no_brake(why: str, series: list[UsageReading], rate_now: float | None) -> None:
    assert decide(series, rate_now=rate_now) is None, why


def test_a_reset_within_the_hour_comes_first() -> None:
    series = stepped(74_000, steps=4)
    assert decide(series, resets_at=series[-1].taken_at + timedelta(minutes=40)) is None
    assert decide(series, resets_at=series[-1].taken_at + timedelta(hours=3)) is not None


def test_a_gap_in_the_readings_decides_nothing() -> None:
    series = stepped(74_000, steps=4)
    gappy = [
        r for r in series if not (T0 + timedelta(hours=1) <= r.taken_at < T0 + timedelta(hours=2))
    ]
    assert decide(gappy) is None


def test_a_two_hour_batch_that_ended_half_an_hour_ago_is_no_step() -> None:
    """15,000 calls an hour for two hours, then flat: each of the three hour windows gained
    7,500 or more, but the middle one was one climb without a pause."""
    series, used = [], 70_000
    for index in range(15):  # every 15 minutes for 3.5 hours
        at = T0 + timedelta(minutes=15 * index)
        if 2 <= index <= 9:  # the batch: 30 minutes in, for two hours
            used += 3_750
        series.append(
            UsageReading(used=used, limit=LIMIT, taken_at=at, source=ReadingSource.LIMITS_ENDPOINT)
        )
    assert decide(series) is None


def test_no_step_brake_at_or_below_the_release_threshold() -> None:
    """A brake the scheduled release would undo before the next step stops nothing."""
    series = stepped(74_000, steps=4)  # 86.3 % now
    common = {"threshold": THRESHOLD, "now": series[-1].taken_at, "resets_at": None}
    assert brake_before_next_step(series, rate_now_per_hour=0.0, floor=87.0, **common) is None
    assert brake_before_next_step(series, rate_now_per_hour=0.0, floor=50.0, **common)

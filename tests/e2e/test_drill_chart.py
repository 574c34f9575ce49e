"""The drill chart's story: the burn without apibrake (dashed, from the brake to 100 % at
the pre-brake rate), each reset labelled, and no marker hiding another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from drill.engine import DrillResult, Event, Sample
from drill.report import (
    MARKER_HEIGHT,
    Thresholds,
    free_spot,
    resets,
    without_apibrake,
    write_chart,
)

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _sample(minutes: float, percent: float) -> Sample:
    return Sample(
        T0 + timedelta(minutes=minutes), "sf-prod", percent, int(percent * 1_000), 100_000, None
    )


# 80 % to 90 % in the hour before the brake (10 % an hour), flat after it, a reset at 3 h.
SAMPLES = [_sample(m, 80 + m / 6) for m in range(0, 61, 5)] + [
    _sample(90, 90.5),
    _sample(180, 91.0),
    _sample(185, 20.0),
]
BRAKE = Event(T0 + timedelta(minutes=60), "brake", "sf-prod", "5 braked")
CRITICAL = Event(T0 + timedelta(minutes=60), "alert", "sf-prod", "CRITICAL", "critical")


def test_the_counterfactual_runs_from_the_brake_at_the_pre_brake_rate_to_100() -> None:
    counterfactual = without_apibrake(SAMPLES, [CRITICAL, BRAKE])

    assert counterfactual is not None
    (start, start_percent), (hit, percent) = counterfactual
    assert start == BRAKE.at
    assert start_percent == 90.0
    assert percent == 100.0
    assert hit == BRAKE.at + timedelta(hours=1)  # 10 points left at 10 % an hour


def test_no_counterfactual_without_a_brake_or_a_climb() -> None:
    assert without_apibrake(SAMPLES, [CRITICAL]) is None
    flat = [_sample(m, 50.0) for m in range(0, 61, 5)]
    assert without_apibrake(flat, [BRAKE]) is None


def test_each_reset_is_found_with_its_before_and_after() -> None:
    assert resets(SAMPLES) == [(T0 + timedelta(minutes=185), 91.0, 20.0)]


def test_a_marker_on_another_moves_up_until_both_show() -> None:
    placed: list[tuple[float, float]] = []
    first = free_spot(placed, 10.0, 90.0, 0.1)
    second = free_spot(placed, 10.0, 90.0, 0.1)
    third = free_spot(placed, 10.05, 91.0, 0.1)
    apart = free_spot(placed, 11.0, 90.0, 0.1)

    assert first == 90.0
    assert second == 90.0 + MARKER_HEIGHT
    assert third >= second + MARKER_HEIGHT - 1.0
    assert apart == 90.0  # far enough along the time axis: left where it is


def test_the_chart_draws_with_the_counterfactual_and_the_reset(tmp_path: Path) -> None:
    result = DrillResult("seed", samples=SAMPLES, events=[CRITICAL, BRAKE])
    path = tmp_path / "usage.png"

    write_chart(result, path, {"sf-prod": Thresholds((80.0,), 90.0)})

    assert path.stat().st_size > 10_000

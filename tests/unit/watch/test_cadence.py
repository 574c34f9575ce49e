"""The adaptive cadence: which temperature a reading gives, and which tick is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.cadence import CadenceState, Temperature
from apibrake.models.connection import Connection
from apibrake.watch.cadence import Intervals, is_due, overdue_minutes, temperature, urgency
from apibrake.watch.forecast import Forecast

T0 = datetime(2026, 11, 2, 12, 0, 5, tzinfo=UTC)  # a tick lands a few seconds into its minute
CALM, WARM, HOT = Temperature.CALM, Temperature.WARM, Temperature.HOT


def connection(**fields: object) -> Connection:
    return Connection.model_validate(
        {"connection_id": "c", "platform": "salesforce", "secret_id": "s", **fields}
    )


def outlook(
    percent: float,
    *,
    to_brake: float | None = None,
    to_exhaustion: float | None = None,
    to_reset: float | None = None,
) -> Forecast:
    return Forecast(
        used=int(percent * 1_000),
        limit=100_000,
        percent=percent,
        burn_rate_per_hour=None,
        minutes_to_brake=to_brake,
        minutes_to_exhaustion=to_exhaustion,
        resets_at=None,
        minutes_to_reset=to_reset,
    )


@pytest.mark.parametrize(
    ("case", "forecast", "rate_now", "expected"),
    [
        ("below the first warn_at, nothing forecast", outlook(50), None, CALM),
        ("a breach forecast beyond the horizon", outlook(50, to_brake=90), None, CALM),
        ("a breach forecast within the horizon", outlook(50, to_brake=45), None, WARM),
        ("over the first warn_at", outlook(72), None, WARM),
        ("within 3 points of the brake threshold", outlook(87), None, HOT),
        ("forecast to reach it within 30 minutes", outlook(60, to_brake=25), None, HOT),
        # 30,000 calls to go at 100,000/hour: 18 minutes, though the hour's rate said nothing
        ("the rate since the last check reaches it soon", outlook(60), 100_000.0, HOT),
        # HubSpot: the day resets before the breach, so there is none
        ("a breach after the reset", outlook(60, to_brake=25, to_reset=10), None, CALM),
        (
            "over the threshold and still heading for 100 %",
            outlook(92, to_exhaustion=40),
            None,
            HOT,
        ),
        ("over the threshold, flat (braked)", outlook(92), None, WARM),
    ],
)
def test_temperature(
    case: str, forecast: Forecast, rate_now: float | None, expected: Temperature
) -> None:
    assert temperature(connection(), forecast, rate_now_per_hour=rate_now, horizon_minutes=60) is (
        expected
    ), case


def test_temperature_follows_the_effective_threshold_and_the_first_warning() -> None:
    # reserve_pct 10 lowers brake_at 98 to 90: 87 % is within 3 points of it
    assert (
        temperature(
            connection(brake_at=98, reserve_pct=10),
            outlook(87),
            rate_now_per_hour=None,
            horizon_minutes=60,
        )
        is HOT
    )
    # no warnings: warm starts at the threshold's forecast only
    assert (
        temperature(connection(warn_at=[]), outlook(75), rate_now_per_hour=None, horizon_minutes=60)
        is CALM
    )


def state(temperature: Temperature, minutes_ago: float, **extra: object) -> CadenceState:
    return CadenceState("c", T0 - timedelta(minutes=minutes_ago), temperature, **extra)  # type: ignore[arg-type]


DEFAULT = Intervals.of(connection())


@pytest.mark.parametrize(
    ("case", "stored", "due"),
    [
        ("never checked", None, True),
        ("calm, checked 10 minutes ago", state(CALM, 10), False),
        ("calm, 15 minutes ago (a few seconds short)", state(CALM, 14.95), True),
        ("warm, 4 minutes ago", state(WARM, 4), False),
        ("warm, 5 minutes ago", state(WARM, 5), True),
        ("hot, a minute ago less 2 s of tick jitter", state(HOT, 58 / 60), True),
        ("hot, 20 seconds ago (a forced check just ran)", state(HOT, 20 / 60), False),
        # missed ticks: still due, whatever the gap
        ("hot, 7 minutes ago", state(HOT, 7), True),
        (
            "warm, its secret failed a minute ago: waits its interval",
            state(WARM, 6, deferred_until=T0 + timedelta(minutes=4)),
            False,
        ),
        (
            "its secret failed 5 minutes ago",
            state(WARM, 10, deferred_until=T0),
            True,
        ),
    ],
)
def test_is_due(case: str, stored: CadenceState | None, due: bool) -> None:
    assert is_due(stored, DEFAULT, T0) is due, case


def test_intervals_are_the_connections_own() -> None:
    slow = Intervals.of(
        connection(check_hot_minutes=2, check_warm_minutes=10, check_calm_minutes=60)
    )
    assert not is_due(state(HOT, 1), slow, T0)
    assert not is_due(state(CALM, 30), slow, T0)
    assert is_due(state(CALM, 60), slow, T0)
    # An item that does not validate gets the defaults
    assert Intervals.of(None) == DEFAULT


@pytest.mark.parametrize(
    ("case", "stored", "late"),
    [
        ("hot, checked on time", state(HOT, 1), None),
        ("hot, one tick missed", state(HOT, 2), None),
        ("hot, two ticks missed", state(HOT, 3), 2.0),
        ("warm, long unchecked: only hot connections count", state(WARM, 30), None),
        ("never checked", None, None),
    ],
)
def test_overdue_minutes(case: str, stored: CadenceState | None, late: float | None) -> None:
    found = overdue_minutes(stored, DEFAULT, T0)
    assert (found if found is None else round(found, 1)) == late, case


def test_most_urgent_first() -> None:
    stored = [state(CALM, 40), state(HOT, 1), state(WARM, 9), state(HOT, 5), None]
    ordered = sorted(stored, key=lambda s: urgency(s, DEFAULT, T0))
    assert ordered == [None, state(HOT, 5), state(HOT, 1), state(WARM, 9), state(CALM, 40)]

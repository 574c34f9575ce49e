"""The monitor's decision on one reading, as a table: given the connection's settings, the
readings and whether a responder can brake, the alerts due, the brake (ahead or at the
threshold, real or shadow), what is checked when the brake started earlier, how hot the
connection is and the set-up notices. Pure: no store, no clock, no network."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apibrake.models.cadence import Temperature
from apibrake.models.connection import Connection
from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.watch.decide import Decision, DecisionSettings, decide
from apibrake.watch.forecast import DEFAULT_RATE_WINDOW
from apibrake.watch.usage import UsageRead

NOW = datetime(2026, 11, 2, 22, 0, tzinfo=UTC)
LIMIT = 100_000
STEP = 4_100  # an hourly run's cost once synced (as in test_pace.py)


def climb(*used: int, every: float = 1.0) -> list[UsageReading]:
    """One reading per `every` minutes, the last one now."""
    start = NOW - timedelta(minutes=every * (len(used) - 1))
    return [
        UsageReading(
            used=value,
            limit=LIMIT,
            taken_at=start + timedelta(minutes=index * every),
            source=ReadingSource.LIMITS_ENDPOINT,
        )
        for index, value in enumerate(used)
    ]


def hourly_steps(start: int, hours: int = 3) -> list[UsageReading]:
    """A reading every 15 minutes for 3.5 hours; each hour's run lands at :15 (test_pace)."""
    first = NOW - timedelta(minutes=210)
    series, used = [], start
    for index in range(15):
        at = first + timedelta(minutes=15 * index)
        if at.minute == 15 and index // 4 >= 3 - hours:
            used += STEP
        series.append(
            UsageReading(used=used, limit=LIMIT, taken_at=at, source=ReadingSource.LIMITS_ENDPOINT)
        )
    return series


@dataclass(frozen=True)
class Case:
    name: str
    readings: list[UsageReading]
    settings: dict[str, Any] = field(default_factory=dict)  # the connection's, else defaults
    responder: bool = True
    gap: str | None = None
    # Then:
    due: tuple[str, ...] = ()
    heat: Temperature = Temperature.CALM
    brake: bool = False
    shadow: bool = False
    ahead: bool = False
    steps: bool = False  # braked ahead of the next hourly step
    if_not_braked: bool = False
    outside_reach: bool = False
    notices: tuple[str, ...] = ()


FAST = climb(85_000, 86_500, 88_000)  # 1,500 a minute: 90 % within the next check
PAST_BRAKE = climb(91_000, 91_000, 91_000)
STILL_BURNING = climb(92_000, 93_000)  # braked, yet 60,000 an hour: 7 minutes to 100 %

CASES = [
    Case("calm", climb(10_000, 10_000)),
    Case("first warning", climb(75_000, 75_000), due=("warn:70",), heat=Temperature.WARM),
    Case(
        "within 3 points of the threshold: hot",
        climb(87_500, 87_500),
        due=("warn:70", "warn:80"),
        heat=Temperature.HOT,
    ),
    Case(
        "past brake_at: the brake starts",
        PAST_BRAKE,
        due=("warn:70", "warn:80", "brake:90"),
        heat=Temperature.WARM,
        brake=True,
        if_not_braked=True,
    ),
    Case(
        "past brake_at, no responder: the critical alert only",
        PAST_BRAKE,
        responder=False,
        due=("warn:70", "warn:80", "brake:90"),
        heat=Temperature.WARM,
    ),
    Case(
        "past brake_at, auto_brake off: the critical alert only",
        PAST_BRAKE,
        settings={"auto_brake": False},
        due=("warn:70", "warn:80", "brake:90"),
        heat=Temperature.WARM,
    ),
    Case(
        "past brake_at in shadow: the plan is asked for, nothing braked",
        PAST_BRAKE,
        settings={"auto_brake": "shadow"},
        due=("warn:70", "warn:80", "brake:90"),
        heat=Temperature.WARM,
        shadow=True,
    ),
    Case(
        "reserve_pct lowers where the brake trips",
        climb(95_500, 95_500),
        settings={"brake_at": 98.0, "reserve_pct": 5.0},
        due=("warn:70", "warn:80", "brake:95"),
        heat=Temperature.WARM,
        brake=True,
        if_not_braked=True,
    ),
    Case(
        "braked earlier, still heading for 100 %: outside apibrake's reach",
        STILL_BURNING,
        due=("warn:70", "warn:80", "brake:90"),
        heat=Temperature.HOT,
        brake=True,
        if_not_braked=True,
        outside_reach=True,
    ),
    Case(
        "at 100 %",
        climb(100_000, 100_000),
        due=("warn:70", "warn:80", "brake:90", "limit:100"),
        heat=Temperature.HOT,
        brake=True,
        if_not_braked=True,
    ),
    Case(
        "a fast climb brakes ahead of the threshold",
        FAST,
        due=("forecast:90", "warn:70", "warn:80", "brake:90"),
        heat=Temperature.HOT,
        brake=True,
        ahead=True,
    ),
    Case(
        "a fast climb in shadow: the plan ahead, no brake alert",
        FAST,
        settings={"auto_brake": "shadow"},
        due=("forecast:90", "warn:70", "warn:80"),
        heat=Temperature.HOT,
        shadow=True,
        ahead=True,
    ),
    Case(
        "a fast climb, brake_ahead off: waits for the threshold",
        FAST,
        settings={"brake_ahead": False},
        due=("forecast:90", "warn:70", "warn:80"),
        heat=Temperature.HOT,
    ),
    Case(
        "a fast climb, no responder: nothing ahead",
        FAST,
        responder=False,
        due=("forecast:90", "warn:70", "warn:80"),
        heat=Temperature.HOT,
    ),
    Case(
        "hourly steps whose next passes the threshold: braked before it",
        hourly_steps(74_000),
        due=("forecast:90", "warn:70", "warn:80", "brake:90"),
        heat=Temperature.WARM,
        brake=True,
        ahead=True,
        steps=True,
    ),
    Case(
        "hourly steps below release_below: no brake that a release would undo",
        hourly_steps(74_000),
        settings={"release_below": 88.0, "warn_at": [70.0, 80.0]},
        due=("forecast:90", "warn:70", "warn:80"),
        heat=Temperature.WARM,
    ),
    Case(
        "a usage figure that misses the connection's calls: its notice",
        climb(10_000, 10_000),
        gap="private apps only",
        notices=("usage_gap",),
    ),
]


def _decide(case: Case) -> Decision:
    connection = Connection(
        connection_id="sf-prod",
        platform="salesforce",
        secret_id="apibrake/sf-prod",
        **case.settings,
    )
    current = case.readings[-1]
    read = UsageRead(
        reading=current,
        readings=(current,),
        header=None,
        resets_at=None,
        window_ends=NOW + timedelta(hours=24),
        gap=case.gap,
    )
    settings = DecisionSettings(
        horizon_minutes=60.0, rate_window=DEFAULT_RATE_WINDOW, responder=case.responder
    )
    # As the actions call it: the history read after the reading was stored.
    return decide(connection, read, case.readings, now=NOW, settings=settings)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_decision(case: Case) -> None:
    decision = _decide(case)
    assert tuple(alert.key for alert in decision.due) == case.due
    assert decision.heat is case.heat
    assert decision.brake is case.brake
    assert decision.shadow_brake is case.shadow
    assert (decision.ahead is not None) is case.ahead
    assert (decision.ahead is not None and decision.ahead.hourly_steps) is case.steps
    assert (decision.if_not_braked is not None) is case.if_not_braked
    reach = decision.if_not_braked.outside_reach if decision.if_not_braked else None
    assert (reach is not None) is case.outside_reach
    assert tuple(notice.key for notice in decision.notices) == case.notices


def test_the_brake_rate_since_the_last_check_is_what_outside_reach_reports() -> None:
    decision = _decide(next(c for c in CASES if c.outside_reach))
    assert decision.if_not_braked is not None
    assert decision.rate_now_per_hour == pytest.approx(60_000.0)
    assert decision.if_not_braked.rate_now_per_hour == decision.rate_now_per_hour


def test_the_same_inputs_give_the_same_decision() -> None:
    case = next(c for c in CASES if c.ahead)
    assert _decide(case) == _decide(case)

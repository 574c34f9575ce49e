"""The headline, its targets and the JSON document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drill.score.__main__ import passed
from drill.score.headline import Headline
from drill.score.schedule import parse_rate
from drill.score.scorer import ScenarioScore
from drill.score.table import as_json, markdown, text_table


def _score(number: int, **fields: Any) -> ScenarioScore:
    values: dict[str, Any] = {
        "number": number,
        "key": "slow-creep",
        "title": f"scenario {number}",
        "containable": True,
        "contained": True,
        "braked_before_refusal": True,
        "peak_percent": 92.0,
        "calls_before_brake": 100,
        "minutes_to_brake": 1.0,
        "apibrake_calls": 30,
        "alerts": {"critical": 1},
        "release_exact": True,
        "oscillations": 0,
        "limit_percent_before_brake": 0.1,
        "watch_calls_per_day": 288.0,
    }
    return ScenarioScore(**{**values, **fields})


def _suite(**calm: Any) -> list[ScenarioScore]:
    return [
        _score(1, limit_percent_before_brake=0.4),
        _score(2, limit_percent_before_brake=1.25, contained=False, release_exact=None),
        _score(3, containable=False, contained=False, critical_text_ok=True,
               limit_percent_before_brake=9.0),
        _score(4, brake_expected=False, contained=False, braked_before_refusal=None,
               limit_percent_before_brake=None, release_exact=None, false_brakes=1),
        _score(5, brake_expected=False, contained=False, calm_day=True,
               limit_percent_before_brake=None, release_exact=None, **calm),
    ]  # fmt: skip


def test_the_headline_sums_up_the_run() -> None:
    headline = Headline.of(_suite(watch_calls_per_day=96.0))
    # Then the unwinnable scenario's burn does not count, the calm day's calls do
    assert (headline.contained, headline.containable) == (1, 2)
    assert headline.false_brakes == 1
    assert headline.worst_percent_past_brake_at == 1.25
    assert headline.watch_calls_per_calm_day == 96
    assert (headline.unwinnable_alerted, headline.unwinnable) == (1, 1)


def test_each_target_says_whether_it_is_met() -> None:
    met = [t.met for t in Headline.of(_suite(watch_calls_per_day=96.0)).targets()]
    assert met == [False, False, False, True, None]
    good = [
        _score(1, limit_percent_before_brake=0.49),
        _score(2, key="seed-rollups", tail_percent=1.0, minutes_to_flat=15.0),
        _suite()[-1],
    ]
    good[-1].watch_calls_per_day = 100
    assert [t.met for t in Headline.of(good).targets()] == [True, True, True, True, True]


def test_the_seed_cases_tail_above_one_percent_misses_its_target() -> None:
    seed = _score(2, key="seed-rollups", tail_percent=3.9, tail_still_burning=True)
    headline = Headline.of([seed])
    assert headline.targets()[-1].met is False
    assert "worst tail after the brake 3.90 % of the daily limit" in headline.text()
    assert "still burning" in text_table([seed])


def test_a_target_no_scenario_measures_is_not_measured() -> None:
    headline = Headline.of([_score(1)])
    assert [t.met for t in headline.targets()] == [True, True, None, None, None]
    assert "zero false brakes: not measured in this run" in headline.targets_text()


def test_table_json_and_markdown_carry_the_new_columns_and_the_headline() -> None:
    scores = _suite(watch_calls_per_day=96.0)
    document = json.loads(as_json(scores))
    assert document["headline"]["false_brakes"] == 1
    assert document["headline"]["targets"][3]["met"] is True
    assert document["scenarios"][3]["false_brakes"] == 1
    assert {"limit_percent_before_brake", "watch_calls_per_day", "minutes_to_first_alert",
            "consumer_named", "driver_named", "drivers_named", "tail_percent",
            "minutes_to_flat",
            } <= set(document["scenarios"][0])  # fmt: skip
    table = text_table(scores)
    assert "n/a (no brake due)" in table
    assert "targets met 1 / 5" in table
    page = markdown(scores)
    assert "## The columns" in page
    assert "**consumer named**" in page
    assert "**driver named**" in page
    assert "| consumer named | driver named |" in page


def test_a_false_brake_fails_the_run() -> None:
    assert passed([_score(1)])
    assert not passed([_score(1, brake_expected=False, false_brakes=1)])
    assert passed([_score(1, brake_expected=False, false_brakes=0, peak_percent=87.0)])


@pytest.mark.parametrize(
    ("expression", "minutes"),
    [("rate(5 minutes)", 5), ("rate(1 minute)", 1), ("rate(1 hour)", 60), ("rate(2 hours)", 120)],
)
def test_the_check_schedule_is_read_as_an_interval(expression: str, minutes: int) -> None:
    assert parse_rate(expression).total_seconds() == minutes * 60


def test_a_cron_check_schedule_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="CheckSchedule"):
        parse_rate("cron(0/5 * * * ? *)")

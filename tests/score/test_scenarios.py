"""The scenarios' declarations hold together (no scenario is run here)."""

from __future__ import annotations

import pytest

from drill.score.hooks import Hooks
from drill.score.scenarios import SCORE_SCENARIOS, ScoreScenario
from drill.score.schedule import template_check_every


def _watched(scenario: ScoreScenario) -> set[str]:
    drill = scenario.drill
    return {
        cid
        for cid, item in (("sf-prod", drill.salesforce), ("hs-portal", drill.hubspot))
        if item is not None
    }


@pytest.mark.parametrize("scenario", SCORE_SCENARIOS, ids=lambda s: f"{s.number}-{s.key}")
def test_each_scenario_declares_what_its_columns_need(scenario: ScoreScenario) -> None:
    # A culprit is on a connection the scenario watches
    assert {c.connection_id for c in scenario.culprits} <= _watched(scenario)
    # A burn left for the hook to date has a hook that starts one (the calm day has none)
    if scenario.burn_starts is None and not scenario.calm_day:
        assert type(scenario.hooks()) is not Hooks
    if not scenario.brake_expected:
        # Where no brake is due there is no runaway to name or to alert about
        assert not scenario.culprits
        assert not scenario.critical_says
    if scenario.calm_day:
        assert not scenario.brake_expected


def test_the_headline_has_a_calm_day_and_scenarios_where_no_brake_is_due() -> None:
    assert [s.key for s in SCORE_SCENARIOS if s.calm_day] == ["calm-hourly-rollup"]
    no_brake = {s.key for s in SCORE_SCENARIOS if not s.brake_expected}
    assert no_brake == {"short-burst", "daily-batch", "calm-hourly-rollup"}
    assert {"short-burst", "daily-batch"} <= {s.key for s in SCORE_SCENARIOS if s.fast}


def test_scenarios_without_an_interval_follow_the_template() -> None:
    defaults = [s for s in SCORE_SCENARIOS if s.check_every is None]
    assert defaults
    assert {s.interval for s in defaults} == {template_check_every()}
    # The runaway that once started between two hourly checks now meets the cadence.
    late = next(s for s in SCORE_SCENARIOS if s.key == "late-detection")
    assert late.check_every is None
    assert late.containable

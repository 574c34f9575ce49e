"""The containment score as regression checks: outcomes (contained, exact release, the
right critical alerts, no false brake where none is due), never timings. Each scenario
runs in a fresh process; the fast ones start beside the suite (conftest.py)."""

from __future__ import annotations

import pytest

from drill.score.scenarios import SCORE_SCENARIOS, ScoreScenario
from drill.score.scorer import ScenarioScore
from drill.score.suite import run_suite
from tests.score.conftest import FAST

SLOW = [s for s in SCORE_SCENARIOS if not s.fast]


def _ids(scenarios: list[ScoreScenario]) -> list[str]:
    return [f"{s.number}-{s.key}" for s in scenarios]


def _assert_outcome(scenario: ScoreScenario, score: ScenarioScore) -> None:
    if not scenario.brake_expected:
        # Then: usage stayed below brake_at on its own, and nothing was braked
        assert score.peak_percent < score.brake_at
        assert score.false_brakes == 0
        assert score.release_exact is None
    elif scenario.containable:
        # Then: braked before any call was refused, everything put back as it was, once
        assert score.contained, score.notes
        assert score.release_exact is True
        assert score.oscillations == 0
    else:
        # Then: a critical alert says early and clearly what apibrake cannot do
        assert not score.contained
        assert score.critical_text_ok, score.critical_alerts
    if scenario.protects_next_window:
        # Then (issue 23): once served again the org stays under its limit, and the
        # break-glass brake is put back exactly after the recovery
        assert score.next_window_protected == "yes", score.notes
        assert score.release_exact is True


@pytest.mark.timeout(600)
@pytest.mark.parametrize("scenario", FAST, ids=_ids(FAST))
def test_fast_scenario_outcome(
    scenario: ScoreScenario, fast_scores: dict[str, ScenarioScore]
) -> None:
    _assert_outcome(scenario, fast_scores[scenario.key])


@pytest.mark.timeout(600)
def test_noisy_neighbour_warns_before_the_limit_runs_out(
    fast_scores: dict[str, ScenarioScore],
) -> None:
    # Given an ETL outside the allowlist floods the org; when the brake has run
    subjects = fast_scores["noisy-neighbour"].critical_alerts
    # Then the "outside apibrake's reach" alert comes before the "exhausted" one
    reach = next(i for i, s in enumerate(subjects) if "outside apibrake's reach" in s)
    exhausted = next(i for i, s in enumerate(subjects) if "exhausted" in s)
    assert reach < exhausted


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scenario", SLOW, ids=_ids(SLOW))
def test_slow_scenario_outcome(scenario: ScoreScenario) -> None:
    (score,) = run_suite([scenario])
    _assert_outcome(scenario, score)

"""The fast score scenarios start as soon as collection ends, in processes beside the suite
at a lower priority: their CPU minutes fill the second core (idle once the checks beside
the suite are done) instead of adding to the suite's wall time. `fast_scores` waits for
them; a run that selects none of their tests starts none."""

from __future__ import annotations

import pytest

from drill.score.scenarios import SCORE_SCENARIOS
from drill.score.scorer import ScenarioScore
from drill.score.suite import SuiteInBackground

FAST = [s for s in SCORE_SCENARIOS if s.fast]
_started: list[SuiteInBackground] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    option = session.config.option
    if option.collectonly or option.setupplan:  # nothing will run
        return
    if any("fast_scores" in getattr(item, "fixturenames", ()) for item in session.items):
        _started.append(SuiteInBackground(FAST))


def pytest_sessionfinish() -> None:
    while _started:
        _started.pop().close()


@pytest.fixture(scope="session")
def fast_scores() -> dict[str, ScenarioScore]:
    if not _started:  # collected by a run whose hook did not see the test (a plugin's)
        _started.append(SuiteInBackground(FAST))
    return _started[0].scores()

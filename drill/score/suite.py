"""Runs score scenarios, each in a fresh process (moto keeps its state per process, and a
fresh process is a fresh state), as many at once as there are cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from drill.score.run import run_scenario
from drill.score.scenarios import BY_KEY, ScoreScenario
from drill.score.scorer import ScenarioScore


def _run(key: str) -> ScenarioScore:
    return run_scenario(BY_KEY[key])


def run_suite(
    scenarios: Iterable[ScoreScenario], workers: int | None = None
) -> Iterator[ScenarioScore]:
    """Scores in the order given, each yielded as soon as it and those before it are done."""
    keys = [scenario.key for scenario in scenarios]
    workers = max(1, min(workers or os.cpu_count() or 1, len(keys) or 1))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, max_tasks_per_child=1) as pool:
        yield from pool.map(_run, keys)

"""Runs score scenarios, each in a fresh process (moto keeps its state per process, and a
fresh process is a fresh state), as many at once as there are cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from drill.score.run import run_scenario
from drill.score.scenarios import BY_KEY, ScoreScenario
from drill.score.scorer import ScenarioScore


def _run(key: str) -> ScenarioScore:
    return run_scenario(BY_KEY[key])


def _pool(jobs: int, workers: int | None, niceness: int) -> ProcessPoolExecutor:
    workers = max(1, min(workers or os.cpu_count() or 1, jobs or 1))
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        max_tasks_per_child=1,
        initializer=os.nice,
        initargs=(niceness,),
    )


def run_suite(
    scenarios: Iterable[ScoreScenario], workers: int | None = None
) -> Iterator[ScenarioScore]:
    """Scores in the order given, each yielded as soon as it and those before it are done."""
    keys = [scenario.key for scenario in scenarios]
    with _pool(len(keys), workers, 0) as pool:
        yield from pool.map(_run, keys)


class SuiteInBackground:
    """Scenarios started now, in processes at a lower priority (`niceness`), so that they
    fill idle cores while the caller goes on; `scores()` waits for them."""

    def __init__(self, scenarios: Iterable[ScoreScenario], niceness: int = 10) -> None:
        keys = [scenario.key for scenario in scenarios]
        self._pool = _pool(len(keys), None, niceness)
        self._futures: dict[str, Future[ScenarioScore]] = {
            key: self._pool.submit(_run, key) for key in keys
        }

    def scores(self) -> dict[str, ScenarioScore]:
        return {key: future.result() for key, future in self._futures.items()}

    def close(self) -> None:
        """Scenarios not started yet are dropped; one running ends first (at most a minute)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

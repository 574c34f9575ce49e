"""Fixtures of the reliability tests: the local stack with retries and timeouts shrunk.

The layer's RetryPolicy waits up to seconds (HubSpot's burst window is 10 s) and its read
timeout is 15 s; the fault matrix only needs the same decisions, made faster.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest

from apibrake.http import client as http_client
from apibrake.http.client import Timeouts
from apibrake.http.retry import RetryPolicy
from tests.integration.conftest import function_env, stack, stack_factory
from tests.reliability.matrix import MatrixResults

__all__ = ["function_env", "stack", "stack_factory"]

READ_TIMEOUT_S = 0.6  # the TIMEOUT fault holds a request longer than this

_RESULTS = MatrixResults()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same retry decisions, millisecond waits; a read timeout the TIMEOUT fault can beat."""
    monkeypatch.setattr(
        http_client,
        "RetryPolicy",
        functools.partial(RetryPolicy, base_delay=0.01, max_delay=0.05, burst_wait_scale=0.005),
    )
    monkeypatch.setattr(
        http_client, "Timeouts", functools.partial(Timeouts, connect=1.0, read=READ_TIMEOUT_S)
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    cell = getattr(getattr(item, "callspec", None), "params", {}).get("cell")
    if cell is None or not hasattr(cell, "fault"):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _RESULTS.record(cell, passed=report.passed)


@pytest.fixture
def reliability_note() -> Callable[[str], None]:
    """Adds a line to what the terminal summary prints after the matrix."""
    return _RESULTS.notes.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _RESULTS.results:
        terminalreporter.write_line("")
        for line in _RESULTS.table():
            terminalreporter.write_line(line)
    for line in _RESULTS.notes:
        terminalreporter.write_line(line)

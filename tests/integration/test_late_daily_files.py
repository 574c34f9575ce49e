"""Salesforce can publish a day's ApiTotalUsage file up to three days late. The daily
collection looks for a missed day again at each run until its file appears (within the
retention), collects it once, and meanwhile says "not yet published" rather than sending the
admin to turn on log generation (moto server + the sandbox over HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from drill.stack import LocalStack
from sandbox.salesforce import SalesforceSettings

COLLECT = {"collect": "usage_files"}


def _daily_runs(stack: LocalStack, days: int) -> list[dict[date, dict[str, Any]]]:
    """The collection at 06:00 on each of the next `days` days: day -> its result."""
    runs = []
    for _ in range(days):
        stack.sandbox.advance(timedelta(days=1))
        collected = stack.check(COLLECT)["collected"]
        runs.append({date.fromisoformat(r["day"]): r for r in collected})
    return runs


def test_each_late_day_is_collected_once_when_its_file_appears(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Files come three days after their day (two days later than usual), kept 1 day
    settings = SalesforceSettings(daily_file_delay=timedelta(days=2, hours=1))
    stack = stack_factory(salesforce=settings)
    stack.add_salesforce()
    first_day = stack.sandbox.clock.now().date()
    stack.sandbox.salesforce.add_external_consumer("Nightly ETL", 60)

    runs = _daily_runs(stack, 5)

    collected = [
        (run_number, day)
        for run_number, run in enumerate(runs)
        for day, result in run.items()
        if result["status"] == "collected"
    ]
    # Each day's file three days on: the third run collects the first day, and so on
    assert collected == [
        (2, first_day),
        (3, first_day + timedelta(days=1)),
        (4, first_day + timedelta(days=2)),
    ]
    # Before any file was seen: it may still come; after: "not yet published"
    assert runs[0][first_day]["status"] == "no file"
    assert "may still come" in runs[0][first_day]["note"]
    later = runs[2][first_day + timedelta(days=2)]
    assert later["status"] == "not yet published"
    assert "Generate event log files" not in later["note"]
    assert runs[2][first_day]["top"].startswith("Nightly ETL")
    # One query a run, one download per file
    assert [sum(r["api_calls"] for r in run.values()) for run in runs] == [1, 1, 2, 2, 2]


def test_an_org_without_generation_is_told_how_to_turn_it_on(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(salesforce=SalesforceSettings(event_log_generation=False))
    stack.add_salesforce()
    stack.sandbox.salesforce.add_external_consumer("Nightly ETL", 60)

    runs = _daily_runs(stack, 2)

    assert all(r["status"] == "no file" for run in runs for r in run.values())
    assert all("Generate event log files" in r["note"] for run in runs for r in run.values())
    assert len(runs[1]) == 2  # yesterday and the day missed before, both looked for

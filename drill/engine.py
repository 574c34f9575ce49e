"""Runs a drill: real handlers on the schedule template.yaml gives them, against simulated time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from drill.scenarios import DrillScenario
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.clock import VirtualClock
from sandbox.server import Sandbox

DRILL_START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # 07:00 in the portal's New York day


@dataclass(frozen=True)
class DrillOptions:
    check_every: timedelta = timedelta(minutes=5)  # the template's CheckSchedule
    release_every: timedelta = timedelta(minutes=15)  # the template's ReleaseSchedule
    hours: float | None = None  # None: the scenario's own length


@dataclass
class Sample:
    at: datetime
    connection_id: str
    percent: float
    used: int
    limit: int
    burn_per_hour: float | None


@dataclass
class Event:
    at: datetime
    kind: str  # alert | brake | release
    connection_id: str
    text: str
    severity: str = ""


@dataclass
class DrillResult:
    scenario: str
    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    brake_reports: list[dict[str, Any]] = field(default_factory=list)
    release_reports: list[dict[str, Any]] = field(default_factory=list)


Listener = Callable[[Sample | Event], None]


def _ignore(_: Sample | Event) -> None:
    pass


def run_drill(
    scenario: DrillScenario,
    options: DrillOptions | None = None,
    on_step: Listener = _ignore,
    environment: Mapping[str, str] | None = None,
) -> DrillResult:
    options = options or DrillOptions()
    hours = options.hours if options.hours is not None else scenario.hours
    result = DrillResult(scenario.name)

    def emit(item: Sample | Event) -> None:
        if isinstance(item, Sample):
            result.samples.append(item)
        else:
            result.events.append(item)
        on_step(item)

    with LocalAws() as aws, Sandbox(clock=VirtualClock(DRILL_START)) as sandbox:
        stack = LocalStack(aws, sandbox, environment=environment)
        scenario.set_up(stack)
        end = DRILL_START + timedelta(hours=hours)
        next_release = DRILL_START + options.release_every
        while sandbox.clock.now() < end:
            sandbox.advance(options.check_every)
            now = sandbox.clock.now()
            for row in stack.check().get("connections", []):
                if row.get("used") is not None and row.get("percent") is not None:
                    emit(
                        Sample(
                            now,
                            row["connection_id"],
                            row["percent"],
                            row["used"],
                            row["limit"],
                            row.get("burn_rate_per_hour"),
                        )
                    )
            for report in stack.run_auto_brakes():
                result.brake_reports.append(report)
                emit(Event(now, "brake", _connections(report), _summary(report)))
            if now >= next_release:
                next_release += options.release_every
                report = stack.release_recovered()
                if any(row["status"] != "skipped" for row in report.get("rows", [])):
                    result.release_reports.append(report)
                    emit(Event(now, "release", _connections(report), _summary(report)))
            for alert in stack.alerts():
                emit(
                    Event(
                        now,
                        "alert",
                        alert.attributes.get("connection_id", ""),
                        alert.subject or "",
                        alert.attributes.get("severity", ""),
                    )
                )
    return result


def _connections(report: dict[str, Any]) -> str:
    return ", ".join(sorted({row["connection_id"] for row in report.get("rows", [])}))


def _summary(report: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for row in report.get("rows", []):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    calls = sum(report.get("api_calls", {}).values())
    states = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{states} ({calls} API calls)"

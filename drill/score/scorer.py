"""Runs one score scenario through the drill engine and measures the outcome."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from drill.engine import DrillOptions, run_drill
from drill.score.hooks import TICK
from drill.score.recorder import Recorded, RecordingStack, automation_state
from drill.score.scenarios import ScoreScenario
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.server import Sandbox

QUIET = {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}
_LANDED = {"braked", "already_off"}
_PLATFORMS = {"sf-prod": "salesforce", "hs-portal": "hubspot"}


@dataclass
class ScenarioScore:
    number: int
    key: str
    title: str
    containable: bool
    contained: bool  # no call refused on any platform, and every brake landed in time
    braked_before_refusal: bool | None  # None: the brake threshold was never crossed
    peak_percent: float
    calls_before_brake: int | None  # burned between crossing brake_at and the brake landing
    minutes_to_brake: float | None
    apibrake_calls: int  # watch + brake + release
    alerts: dict[str, int]  # severity -> count
    release_exact: bool | None  # None: nothing was braked, or nothing released
    oscillations: int  # brake/release cycles after the first
    critical_alerts: list[str] = field(default_factory=list)  # subjects
    critical_text_ok: bool | None = None  # unwinnable scenarios: the alerts say so
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Trace:
    """Usage of each watched connection every simulated minute."""

    samples: dict[str, list[tuple[datetime, int, int]]] = field(default_factory=dict)

    def record(self, stack: LocalStack, connection_ids: list[str]) -> None:
        now = stack.sandbox.clock.now()
        for cid in connection_ids:
            used, limit = getattr(stack.sandbox, _PLATFORMS[cid]).usage()
            self.samples.setdefault(cid, []).append((now, used, limit))

    def first(self, cid: str, percent: float) -> datetime | None:
        return next(
            (at for at, used, limit in self.samples.get(cid, []) if used >= limit * percent / 100),
            None,
        )

    def used_at(self, cid: str, moment: datetime) -> int:
        return max((used for at, used, _ in self.samples.get(cid, []) if at <= moment), default=0)


def run_scenario(scenario: ScoreScenario) -> ScenarioScore:
    hooks = scenario.hooks()
    drill = scenario.drill
    watched = [
        cid
        for cid, item in (("sf-prod", drill.salesforce), ("hs-portal", drill.hubspot))
        if item is not None
    ]
    trace = _Trace()
    stacks: list[RecordingStack] = []

    def make_stack(
        aws: LocalAws, sandbox: Sandbox, environment: Mapping[str, str] | None
    ) -> LocalStack:
        stack = RecordingStack(aws, sandbox, environment, before_brake=hooks.before_brake)
        stacks.append(stack)
        return stack

    def on_tick(stack: LocalStack) -> None:
        hooks.on_tick(stack)
        trace.record(stack, watched)

    end_state: dict[str, Any] = {}

    def capture_end(stack: LocalStack) -> None:
        on_tick(stack)
        end_state.clear()
        end_state.update(automation_state(stack.sandbox))

    logging.disable(logging.ERROR)  # the handlers' JSON logs would drown the table
    try:
        run_drill(
            drill,
            DrillOptions(check_every=scenario.check_every, hours=scenario.hours),
            environment=QUIET,
            start=scenario.start,
            on_tick=capture_end,
            tick=TICK,
            stack_factory=make_stack,
        )
    finally:
        logging.disable(logging.NOTSET)
    return _score(scenario, stacks[0], trace, watched, end_state)


def _score(
    scenario: ScoreScenario,
    stack: RecordingStack,
    trace: _Trace,
    watched: list[str],
    end_state: dict[str, Any],
) -> ScenarioScore:
    brake_at = {
        "sf-prod": float((scenario.drill.salesforce or {}).get("brake_at", 90)),
        "hs-portal": float((scenario.drill.hubspot or {}).get("brake_at", 90)),
    }
    notes: list[str] = []
    refused = {cid: trace.first(cid, 100) for cid in watched}
    in_time: list[bool] = []
    burned: list[int] = []
    minutes: list[float] = []
    oscillations = 0
    for cid in watched:
        crossed = trace.first(cid, brake_at[cid])
        landings = _landings(stack.brakes, cid)
        oscillations += max(len(landings) - 1, 0)
        if crossed is None:
            continue
        landed = next((at for at in landings if at >= crossed), None)
        if landed is None:
            in_time.append(False)
            notes.append(f"{cid}: crossed brake_at, never braked")
            continue
        first_refusal = refused[cid]
        in_time.append(first_refusal is None or landed < first_refusal)
        burned.append(trace.used_at(cid, landed) - trace.used_at(cid, crossed))
        minutes.append((landed - crossed).total_seconds() / 60)
    for cid, at in refused.items():
        if at is not None:
            notes.append(f"{cid}: first refused call at {at:%H:%M} UTC")
    peak = max(
        (used / limit * 100 for samples in trace.samples.values() for _, used, limit in samples),
        default=0.0,
    )
    alerts = [record.report for record in stack.received]
    critical = [a for a in alerts if a["severity"] == "critical"]
    critical_text_ok = None
    if scenario.critical_says:
        text = " ".join(f"{a['subject']}\n{a['body']}" for a in critical).lower()
        critical_text_ok = all(words in text for words in scenario.critical_says)
    released = any(
        row["status"] == "released" for record in stack.releases for row in record.report["rows"]
    )
    release_exact = None
    if stack.state_before_brake is not None and any(_landings(stack.brakes, c) for c in watched):
        release_exact = released and end_state == stack.state_before_brake
        if not released and not scenario.containable:
            release_exact = None  # the window never recovered: nothing to put back yet
    contained = bool(in_time) and all(in_time) and all(at is None for at in refused.values())
    return ScenarioScore(
        number=scenario.number,
        key=scenario.key,
        title=scenario.title,
        containable=scenario.containable,
        contained=contained,
        braked_before_refusal=all(in_time) if in_time else None,
        peak_percent=round(peak, 1),
        calls_before_brake=max(burned) if burned else None,
        minutes_to_brake=round(max(minutes), 1) if minutes else None,
        apibrake_calls=_apibrake_calls(stack),
        alerts=dict(Counter(a["severity"] for a in alerts)),
        release_exact=release_exact,
        oscillations=oscillations,
        critical_alerts=[a["subject"] for a in critical],
        critical_text_ok=critical_text_ok,
        notes=notes,
    )


def _landings(brakes: list[Recorded], cid: str) -> list[datetime]:
    return [
        record.at
        for record in brakes
        if any(
            row["connection_id"] == cid and row["status"] in _LANDED
            for row in record.report.get("rows", [])
        )
    ]


def _apibrake_calls(stack: RecordingStack) -> int:
    watch: int = sum(
        row.get("api_calls", 0) + row.get("auth_calls", 0)
        for record in stack.checks
        for row in record.report.get("connections", [])
    )
    act: int = sum(
        sum(record.report.get("api_calls", {}).values())
        for record in (*stack.brakes, *stack.releases)
    )
    return watch + act

"""Runs one score scenario through the drill engine, recording everything the scorer needs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from drill.engine import DrillOptions, run_drill
from drill.score.attribution import attribution_in_layer
from drill.score.hooks import TICK
from drill.score.measures import Trace
from drill.score.recorder import RecordingStack, automation_state
from drill.score.scenarios import ScoreScenario
from drill.score.scorer import ScenarioScore, score
from drill.score.tail import ConsumerTrace
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.server import Sandbox

QUIET = {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}
_PLATFORMS = {"sf-prod": "salesforce", "hs-portal": "hubspot"}


def run_scenario(scenario: ScoreScenario) -> ScenarioScore:
    hooks = scenario.hooks()
    drill = scenario.drill
    watched = [
        cid
        for cid, item in (("sf-prod", drill.salesforce), ("hs-portal", drill.hubspot))
        if item is not None
    ]
    trace = Trace()
    consumers = ConsumerTrace()
    stacks: list[RecordingStack] = []

    def make_stack(
        aws: LocalAws, sandbox: Sandbox, environment: Mapping[str, str] | None
    ) -> LocalStack:
        stack = RecordingStack(aws, sandbox, environment, before_brake=hooks.before_brake)
        stacks.append(stack)
        return stack

    end_state: dict[str, Any] = {}

    def on_tick(stack: LocalStack) -> None:
        hooks.on_tick(stack)
        now = stack.sandbox.clock.now()
        for cid in watched:
            used, limit = getattr(stack.sandbox, _PLATFORMS[cid]).usage()
            trace.add(cid, now, used, limit)
            consumers.add(cid, now, consumer_total(stack.sandbox, cid))
        end_state.clear()
        end_state.update(automation_state(stack.sandbox))

    logging.disable(logging.ERROR)  # the handlers' JSON logs would drown the table
    try:
        run_drill(
            drill,
            DrillOptions(check_every=scenario.interval, hours=scenario.hours),
            environment=QUIET,
            start=scenario.start,
            on_tick=on_tick,
            tick=TICK,
            stack_factory=make_stack,
        )
    finally:
        logging.disable(logging.NOTSET)
    burn_start = hooks.burn_start()
    if scenario.burn_starts is not None:
        burn_start = scenario.start + scenario.burn_starts
    return score(
        scenario,
        stacks[0].recording,
        trace,
        end_state,
        burn_start,
        attribution_in_layer=attribution_in_layer(),
        consumers=consumers,
    )


def consumer_total(sandbox: Sandbox, cid: str) -> float:
    """The calls ever spent by the consumer that spends for the connection's braked
    automations: HubSpot's connector in Salesforce, workflows' custom code in HubSpot."""
    if _PLATFORMS[cid] == "salesforce":
        with sandbox.salesforce.lock:
            return sandbox.salesforce.connector.calls_spent_by(sandbox.clock.now())
    with sandbox.hubspot.lock:
        return sandbox.hubspot.custom_code_calls_total

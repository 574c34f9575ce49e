"""Drill scenarios: a sandbox starting state plus the connections and allowlist that watch it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drill.stack import LocalStack
from sandbox import scenarios as sandbox_scenarios
from sandbox.salesforce.connector import HUBSPOT_USERNAME
from sandbox.server import Sandbox


@dataclass(frozen=True)
class DrillScenario:
    name: str
    description: str
    platform_state: Callable[[Sandbox], None]
    salesforce: dict[str, Any] | None = None  # connection item overrides; None: not watched
    hubspot: dict[str, Any] | None = None
    allowlist: dict[str, tuple[str, ...]] = field(default_factory=dict)
    starting_usage: dict[str, int] = field(default_factory=dict)  # platform -> calls already used
    # Salesforce's release comes as the first day's calls age out (hour 24); one hour more
    # shows usage after it.
    hours: float = 25.0

    def set_up(self, stack: LocalStack) -> None:
        self.platform_state(stack.sandbox)
        for platform, calls in self.starting_usage.items():
            getattr(stack.sandbox, platform).add_usage(calls)
        if self.salesforce is not None:
            stack.add_salesforce("sf-prod", **self.salesforce)
        if self.hubspot is not None:
            stack.add_hubspot("hs-portal", **self.hubspot)
        self.allow_entries(stack)

    def allow_entries(self, stack: LocalStack) -> None:
        for connection_id, automations in self.allowlist.items():
            for automation in automations:
                stack.allow(
                    connection_id, automation, added_by="drill", **platform_name(stack, automation)
                )


def platform_name(stack: LocalStack, automation: str) -> dict[str, str]:
    """A HubSpot workflow's name, as `apibrake allowlist add` stores it from its check, so
    the drill's alerts name it beside its id; nothing for the other kinds (their key is
    their name)."""
    kind, _, name = automation.partition(":")
    if kind != "workflow" or name not in stack.sandbox.hubspot.flows:
        return {}
    return {"label": str(stack.sandbox.hubspot.workflow(name)["name"])}


RUNAWAY_ROLLUPS = DrillScenario(
    name="runaway-rollups",
    description=(
        "Four hourly rollup flows and an hourly Apex job burn a Salesforce org's calls while a "
        "chatty enrichment workflow burns the HubSpot portal's; both start the day half used."
    ),
    platform_state=sandbox_scenarios.runaway_rollups,
    # As `apibrake connections add` offers it: the connector's user, which `discover` finds.
    salesforce={"label": "Salesforce production", "protected_consumers": [HUBSPOT_USERNAME]},
    hubspot={"label": "HubSpot marketing portal"},
    allowlist={
        "sf-prod": (
            "flow:Account_Rollup_Hourly",
            "flow:Opportunity_Rollup_Hourly",
            "flow:Contact_Rollup_Hourly",
            "flow:Case_Rollup_Hourly",
            "scheduled_apex:Hourly Territory Recalc",
        ),
        "hs-portal": ("workflow:2001",),
    },
    starting_usage={"salesforce": 50_000, "hubspot": 110_000},
)

DRILL_SCENARIOS = {scenario.name: scenario for scenario in (RUNAWAY_ROLLUPS,)}

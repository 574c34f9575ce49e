"""The ten runaway scenarios of the containment score.

Each is a drill scenario (sandbox state, connections, allowlist) plus when it starts, how
often the monitor checks, what happens while it runs (hooks), and whether braking by API
can contain it at all. HubSpot scenarios start late in the portal's day (New York time)
so the daily reset, and with it the release, comes within hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drill.engine import DRILL_START
from drill.scenarios import RUNAWAY_ROLLUPS, DrillScenario
from drill.score.hooks import (
    FaultsWhileBraking,
    Hooks,
    LinkedSync,
    RunawayStartsAfter,
    WobblingTraffic,
    WorkflowSpike,
)
from drill.stack import LocalStack
from sandbox import scenarios as states

HUBSPOT_LIMIT = 250_000


def _new_york(hour: int, minute: int = 0) -> datetime:
    """That time on the evening of the drill's day in New York (UTC-5 in November)."""
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC) + timedelta(hours=5)


@dataclass(frozen=True)
class ScoreScenario:
    number: int
    key: str
    title: str
    meaning: str  # what the outcome tells a user
    drill: DrillScenario
    hours: float
    containable: bool = True
    start: datetime = DRILL_START
    check_every: timedelta = timedelta(minutes=5)  # the template's default
    hooks: Callable[[], Hooks] = Hooks
    fast: bool = False  # part of `make test`
    # Unwinnable scenarios: words the critical alerts must contain (lower case).
    critical_says: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class LinkedDrillScenario(DrillScenario):
    """A drill scenario whose allowlist entries may say which other connections their
    automation drives (`drives`, keyed by automation)."""

    drives: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def set_up(self, stack: LocalStack) -> None:
        super().set_up(stack)
        for connection_id, automations in self.allowlist.items():
            for automation in automations:
                if automation in self.drives:
                    stack.allow(
                        connection_id, automation, added_by="drill", drives=self.drives[automation]
                    )


def _hubspot(
    name: str, state: Callable[..., None], used_percent: float, *allowlist: str
) -> DrillScenario:
    return DrillScenario(
        name=name,
        description=name,
        platform_state=state,
        hubspot={"label": "HubSpot portal"},
        allowlist={"hs-portal": allowlist},
        starting_usage={"hubspot": int(HUBSPOT_LIMIT * used_percent / 100)},
    )


def _salesforce(name: str, state: Callable[..., None], *allowlist: str) -> DrillScenario:
    return DrillScenario(
        name=name,
        description=name,
        platform_state=state,
        salesforce={"label": "Salesforce production"},
        allowlist={"sf-prod": allowlist},
    )


SCORE_SCENARIOS: tuple[ScoreScenario, ...] = (
    ScoreScenario(
        1,
        "slow-creep",
        "Slow creep",
        "A flow's volume grows steadily and reaches the limit over 20 hours: the brake "
        "lands at 90 % with hours to spare, and the flow is back once yesterday's calls "
        "age out.",
        _salesforce("slow-creep", states.slow_creep, "flow:Duplicate_Check_Creep"),
        hours=21,
        check_every=timedelta(minutes=15),  # 5 %/hour: a quarter-hour check loses nothing
    ),
    ScoreScenario(
        2,
        "seed-rollups",
        "Four hourly rollups (the seed's case)",
        "Four hourly rollup flows and an Apex job on top of normal integration traffic, "
        "plus a chatty HubSpot workflow: both platforms braked, both released next day.",
        RUNAWAY_ROLLUPS,
        hours=27,
    ),
    ScoreScenario(
        3,
        "sudden-spike",
        "Sudden spike at 60 %",
        "A workflow jumps to 10x its normal rate at 60 % usage: a 5-minute check still "
        "catches it between 90 % and 100 %.",
        _hubspot("sudden-spike", states.hubspot_spike, 58.5, "workflow:3001", "workflow:3003"),
        hours=3.5,
        start=_new_york(21),
        hooks=lambda: WorkflowSpike("3001", at_percent=60, calls_per_hour=50_000),
        fast=True,
    ),
    ScoreScenario(
        4,
        "spike-at-88",
        "Spike at 88 % (little reserve)",
        "The spike starts just under brake_at: the brake lands within one check, inside "
        "the 5 % reserve kept for its own calls.",
        _hubspot("spike-at-88", states.hubspot_spike, 87.5, "workflow:3001", "workflow:3003"),
        hours=2,
        start=_new_york(22, 30),
        hooks=lambda: WorkflowSpike("3001", at_percent=88, calls_per_hour=50_000),
        fast=True,
    ),
    ScoreScenario(
        5,
        "already-over",
        "Already over (101 %)",
        "The limit was used up before the first check: nothing can be braked by API. The "
        "alert says so at once and names what to switch off by hand.",
        _salesforce("already-over", states.already_over, "flow:Account_Rollup_Hourly"),
        hours=0.5,
        containable=False,
        fast=True,
        critical_says=("exhausted", "impossible", "by hand"),
    ),
    ScoreScenario(
        6,
        "both-platforms",
        "One workflow, both platforms",
        "A HubSpot sync workflow writes to Salesforce, so it drives both counters. Its "
        "allowlist entry says so (`drives`): either platform's brake stops it, and it is "
        "back only once HubSpot has reset and Salesforce is under release_below.",
        LinkedDrillScenario(
            name="both-platforms",
            description="both-platforms",
            platform_state=states.linked_sync,
            salesforce={"label": "Salesforce production"},
            hubspot={"label": "HubSpot portal"},
            allowlist={
                "sf-prod": ("flow:Contact_After_Save_Enrichment",),
                "hs-portal": ("workflow:4001",),
            },
            # The sync workflow spends Salesforce's calls too: either brake stops it, and
            # it is back only once both platforms have recovered.
            drives={"workflow:4001": ("sf-prod",)},
            starting_usage={"hubspot": 200_000},
        ),
        # Past both recoveries: HubSpot's reset 2.5 h in, Salesforce under release_below
        # about 16 h in (the rolling day), then the workflow back on for two hours.
        hours=18,
        start=_new_york(21, 30),
        hooks=lambda: LinkedSync(
            "4001",
            salesforce_calls_per_hour=12_000,
            triggered_flow="Contact_After_Save_Enrichment",
            triggered_calls_per_hour=3_000,
        ),
    ),
    ScoreScenario(
        7,
        "noisy-neighbour",
        "Noisy neighbour (external ETL)",
        "The burn comes from an ETL apibrake may not touch: the brake stops what it can, "
        "and a critical alert says the rest is outside its reach, before the limit runs out.",
        _salesforce("noisy-neighbour", states.noisy_neighbour, "flow:Opportunity_Rollup_Hourly"),
        hours=1.5,
        containable=False,
        fast=True,
        critical_says=("outside apibrake's reach", "not on the allowlist"),
    ),
    ScoreScenario(
        8,
        "flapping",
        "Flapping around brake_at across a reset",
        "Usage hovers at the brake threshold until midnight: one brake, one release after "
        "the reset, no brake/release ping-pong.",
        _hubspot("flapping", states.hubspot_spike, 89.5, "workflow:3001", "workflow:3003"),
        hours=3.5,
        start=_new_york(22),
        hooks=lambda: WobblingTraffic(rates=(0, 2_500)),
        fast=True,
    ),
    ScoreScenario(
        9,
        "faults-while-braking",
        "429s and a 503 while braking",
        "The platform answers the brake with burst 429s and a 503: retries within the "
        "reserve still land the brake, and the release is exact.",
        _hubspot(
            "faults-while-braking", states.hubspot_spike, 88.5, "workflow:3001", "workflow:3003"
        ),
        hours=2,
        start=_new_york(22, 30),
        hooks=lambda: FaultsWhileBraking(
            WorkflowSpike("3001", at_percent=88.5, calls_per_hour=30_000)
        ),
        fast=True,
    ),
    ScoreScenario(
        10,
        "late-detection",
        "Check interval longer than time to exhaustion",
        "Checks run hourly; a mass update exhausts the org 40 minutes after a check. The "
        "alert says detection came too late and the check must run more often.",
        _salesforce("late-detection", states.late_detection, "flow:Mass_Update_Accounts"),
        hours=3,
        containable=False,
        check_every=timedelta(hours=1),
        hooks=lambda: RunawayStartsAfter("Mass_Update_Accounts", after=timedelta(minutes=65)),
        fast=True,
        critical_says=("too late", "check interval", "more often"),
    ),
)

BY_KEY = {scenario.key: scenario for scenario in SCORE_SCENARIOS}

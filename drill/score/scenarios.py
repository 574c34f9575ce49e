"""The scenarios of the containment score: the runaways, and three days where no brake
is due (a burst that stops on its own, a batch that peaks at 85 %, a calm hourly rollup).

Each is a drill scenario (sandbox state, connections, allowlist) plus when it starts, how
often the monitor checks, what happens while it runs (hooks), whether braking by API can
contain it at all, whether a brake is due at all, when its burn starts and who really
burns the calls (its culprits). HubSpot scenarios start late in the portal's day (New York
time) so the daily reset, and with it the release, comes within hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from drill.engine import DRILL_START
from drill.scenarios import RUNAWAY_ROLLUPS, DrillScenario, platform_name
from drill.score import states as calm_states
from drill.score.attribution import Culprit
from drill.score.hooks import (
    FaultsWhileBraking,
    FlowRunsFor,
    Hooks,
    LinkedSync,
    OwnerFixesOnceBraked,
    OwnerReleasesHeldUnchanged,
    RunawayStartsAfter,
    Together,
    WobblingTraffic,
    WorkflowSpike,
)
from drill.score.schedule import template_check_every
from drill.stack import LocalStack
from sandbox import scenarios as states
from sandbox.salesforce.connector import records_costing
from sandbox.server import Sandbox

HUBSPOT_LIMIT = 250_000
_ROLLUPS = ("Account", "Opportunity", "Contact", "Case")
# Who spends the calls (issue 20). In Salesforce the HubSpot connector ("HubSpot" is its
# connected app) syncs what in-org automations change; in HubSpot a workflow's custom code
# calls the portal with a private app's token.
CONNECTOR = ("HubSpot",)
PRIVATE_APPS = ("private app",)


def _workflow(flow_id: str) -> Culprit:
    """A HubSpot workflow's custom code: usageByAppType (a beta) at best names the private
    apps, and HubSpot has no per-workflow usage API (issue 12): neither is knowable."""
    return Culprit(
        "hs-portal",
        PRIVATE_APPS,
        drivers=(f"workflow:{flow_id}",),
        knowable=False,
        drivers_knowable=False,
    )


_LEAD_SCORING = _workflow("3001")


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
    # None: the template's CheckSchedule, so the scenario runs at whatever cadence the
    # deployed monitor has (with adaptive cadence, every minute and each connection due
    # on its own interval).
    check_every: timedelta | None = None
    hooks: Callable[[], Hooks] = Hooks
    fast: bool = False  # part of `make test`
    # Words the critical alerts must contain (lower case): an unwinnable scenario's (what
    # apibrake cannot do), a repeat runaway's (released unchanged, burning again).
    critical_says: tuple[str, ...] = field(default_factory=tuple)
    # False: usage stays below brake_at on its own, and any brake is a false brake.
    brake_expected: bool = True
    # When the burn starts, after `start`; None: the scenario's hook starts it and says when.
    burn_starts: timedelta | None = timedelta(0)
    culprits: tuple[Culprit, ...] = ()  # who really burns the calls (attribution column)
    calm_day: bool = False  # its watch calls per day are the headline's "per calm day"
    # True: apibrake must keep the org under 100 % once it is served again after an
    # exhaustion (issue 23: the break-glass brake protects the next window).
    protects_next_window: bool = False

    @property
    def interval(self) -> timedelta:
        return self.check_every or template_check_every()


@dataclass(frozen=True)
class EntryFieldsDrillScenario(DrillScenario):
    """A drill scenario whose allowlist entries carry more than a name: `entry_fields`,
    keyed by automation, e.g. `{"workflow:4001": {"drives": ("sf-prod",)}}` for a
    workflow that also spends Salesforce's calls, or `{"...": {"tier": 2}}`."""

    entry_fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def allow_entries(self, stack: LocalStack) -> None:
        for connection_id, automations in self.allowlist.items():
            for automation in automations:
                fields = {
                    **platform_name(stack, automation),
                    **self.entry_fields.get(automation, {}),
                }
                stack.allow(connection_id, automation, added_by="drill", **fields)


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


def _mass_update_reworked(sandbox: Sandbox) -> None:
    sandbox.salesforce.rework_flow("Mass_Update_Accounts", records_costing(300))


def _etl_batches_its_writes(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    with org.lock:
        org.accrue()  # the old pace up to now, the new one from now on
        org.switches.user(states.ETL_USER).calls_per_hour = 1_000


def _trigger_stops_refiring(sandbox: Sandbox) -> None:
    sandbox.salesforce.switches.set_trigger_rate("OpportunityRollupTrigger", records_costing(300))


# Scenario 7 with its ETL's integration user allowlisted at tier 2, and the connection's
# automatic brake reaching tier 2 (the opt-in a team makes in calm time).
_NOISY_NEIGHBOUR_FROZEN = EntryFieldsDrillScenario(
    name="noisy-neighbour-frozen",
    description="noisy-neighbour-frozen",
    platform_state=states.noisy_neighbour,
    salesforce={"label": "Salesforce production", "auto_brake_tier": 2},
    allowlist={"sf-prod": ("flow:Opportunity_Rollup_Hourly", f"user:{states.ETL_USER}")},
    entry_fields={f"user:{states.ETL_USER}": {"tier": 2}},
)

# Salesforce's release waits for the rolling 24 h to fall below release_below: about 19
# hours after these brakes, so these runs are long (and cheap: calm ticks call nothing).
_UNTIL_SALESFORCE_RELEASE = 20
# The trigger-driven runaway's spender and drivers (scenarios 15 and 22). Unlicensed org:
# yesterday's file predates the runaway, so no source counts the connector's calls yet; the
# opportunities the trigger changes do show.
_TRIGGER_CULPRIT = Culprit(
    "sf-prod",
    CONNECTOR,
    drivers=("OpportunityRollupTrigger", f"setting:{states.TRIGGER_SWITCH}"),
    records=("Opportunity",),
    knowable=False,
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
        culprits=(
            Culprit(
                "sf-prod", CONNECTOR, drivers=("flow:Duplicate_Check_Creep",), records=("Lead",)
            ),
        ),
    ),
    ScoreScenario(
        2,
        "seed-rollups",
        "Four hourly rollups (the seed's case)",
        "Four hourly rollup flows and an Apex job change records HubSpot's connector syncs, "
        "on top of normal integration traffic, plus a HubSpot workflow's chatty custom code: "
        "both platforms braked, both released next day. The connector's tail after the "
        "brake is what the rollups changed before it.",
        RUNAWAY_ROLLUPS,
        hours=27,
        culprits=(
            # The connector spends; four rollups of 900 calls' worth of changes an hour
            # drive it: any of them among the drivers is right.
            Culprit(
                "sf-prod",
                CONNECTOR,
                drivers=tuple(f"flow:{n}_Rollup_Hourly" for n in _ROLLUPS),
                records=_ROLLUPS,
            ),
            _workflow("2001"),
        ),
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
        hooks=lambda: WorkflowSpike("3001", at_percent=60, enrolments_per_hour=50_000),
        fast=True,
        burn_starts=None,
        culprits=(_LEAD_SCORING,),
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
        hooks=lambda: WorkflowSpike("3001", at_percent=88, enrolments_per_hour=50_000),
        fast=True,
        burn_starts=None,
        culprits=(_LEAD_SCORING,),
    ),
    ScoreScenario(
        5,
        "already-over",
        "Already over (101 %)",
        "The limit was used up before the first check, and only a flow is allowlisted: "
        "REST is refused, and Apex cannot deactivate a flow, so not even the break-glass "
        "channel can brake it. The alert says so at once and names what to switch off by "
        "hand (22 is the same night with a kill switch the break-glass brake can set).",
        _salesforce("already-over", states.already_over, "flow:Account_Rollup_Hourly"),
        hours=0.5,
        containable=False,
        fast=True,
        critical_says=("exhausted", "impossible", "by hand"),
        # Over its limit before apibrake's first daily collection: no file can be
        # downloaded, and nothing was collected before.
        culprits=(
            Culprit(
                "sf-prod",
                CONNECTOR,
                drivers=("flow:Account_Rollup_Hourly",),
                knowable=False,
                drivers_knowable=False,
            ),
        ),
    ),
    ScoreScenario(
        6,
        "both-platforms",
        "One workflow, both platforms",
        "A HubSpot sync workflow writes to Salesforce, so it drives both counters. Its "
        "allowlist entry says so (`drives`): either platform's brake stops it, and it is "
        "back only once HubSpot has reset and Salesforce is under release_below.",
        EntryFieldsDrillScenario(
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
            entry_fields={"workflow:4001": {"drives": ("sf-prod",)}},
            starting_usage={"hubspot": 200_000},
        ),
        # Past both recoveries: HubSpot's reset 2.5 h in, Salesforce under release_below
        # about 16 h in (the rolling day), then the workflow back on for two hours.
        hours=18,
        start=_new_york(21, 30),
        hooks=lambda: LinkedSync(
            "4001",
            triggered_flow="Contact_After_Save_Enrichment",
            triggered_records_per_hour=records_costing(3_000),
        ),
        culprits=(
            _workflow("4001"),
            # In Salesforce the sync's writes come from HubSpot's connector app; no
            # Salesforce source names a HubSpot workflow, but the contacts it changes show.
            Culprit(
                "sf-prod",
                CONNECTOR,
                drivers=("workflow:4001",),
                records=("Contact",),
                drivers_knowable=False,
            ),
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
        # The ETL's connected app or its user; it calls on its own: no driver.
        culprits=(Culprit("sf-prod", ("ETL", states.ETL_USER)),),
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
        culprits=(_LEAD_SCORING,),
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
            WorkflowSpike("3001", at_percent=88.5, enrolments_per_hour=30_000)
        ),
        fast=True,
        burn_starts=None,
        culprits=(_LEAD_SCORING,),
    ),
    ScoreScenario(
        10,
        "late-detection",
        "Runaway between two calm checks",
        "A mass update starts right after a check of a calm org and would exhaust it in 40 "
        "minutes; at a fixed hourly or 5-minute check it was lost. The adaptive cadence "
        "sees it at the next calm check, checks it every minute while hot and brakes ahead "
        "of brake_at. The connector still syncs what the mass update changed before the "
        "brake: at 60,000 calls an hour that tail alone passes 100 % unless the brake "
        "plans for it.",
        _salesforce("late-detection", states.late_detection, "flow:Mass_Update_Accounts"),
        hours=_UNTIL_SALESFORCE_RELEASE,
        hooks=lambda: Together(
            RunawayStartsAfter("Mass_Update_Accounts", after=timedelta(minutes=16)),
            (OwnerFixesOnceBraked(_mass_update_reworked),),
        ),
        burn_starts=None,
        culprits=(
            Culprit(
                "sf-prod", CONNECTOR, drivers=("flow:Mass_Update_Accounts",), records=("Account",)
            ),
        ),
    ),
    ScoreScenario(
        11,
        "short-burst",
        "Short burst that stops by itself",
        "A data load runs for 12 minutes at 70,000 calls an hour and stops at about 87 %: "
        "nothing to brake. A brake here would be a false brake, and would have stopped "
        "work that was about to finish anyway.",
        _salesforce("short-burst", calm_states.short_burst, "flow:Lead_Import_Dedupe"),
        hours=1.5,
        hooks=lambda: FlowRunsFor(
            "Lead_Import_Dedupe", after=timedelta(minutes=30), lasts=timedelta(minutes=12)
        ),
        fast=True,
        brake_expected=False,
        burn_starts=None,
    ),
    ScoreScenario(
        12,
        "daily-batch",
        "Daily batch peaking at 85 %",
        "A nightly batch takes the org from 55 % to 85 % in two hours and finishes: the "
        "warnings come, the brake does not.",
        _salesforce("daily-batch", calm_states.daily_batch, "flow:Nightly_Account_Batch"),
        hours=3,
        hooks=lambda: FlowRunsFor(
            "Nightly_Account_Batch", after=timedelta(minutes=15), lasts=timedelta(hours=2)
        ),
        fast=True,
        brake_expected=False,
        burn_starts=None,
    ),
    ScoreScenario(
        13,
        "calm-hourly-rollup",
        "Hourly rollup on a calm day",
        "An hourly rollup keeps the org near 60 % all day: what watching a calm "
        "connection costs, at the monitor's own cadence (8 hours, counted per day).",
        _salesforce(
            "calm-hourly-rollup", calm_states.calm_hourly_rollup, "flow:Account_Rollup_Hourly"
        ),
        hours=8,  # eight rollup runs show the cadence; a whole day would triple the wall time
        brake_expected=False,
        burn_starts=None,  # no burn
        calm_day=True,
    ),
)

SCORE_SCENARIOS += (
    ScoreScenario(
        14,
        "noisy-neighbour-frozen",
        "Noisy neighbour, its ETL user allowlisted (tier 2)",
        "Scenario 7 with the ETL's integration user on the allowlist at tier 2 and the "
        "automatic brake reaching tier 2: the brake freezes the user, the ETL's calls stop, "
        "and the user is unfrozen once the window has recovered (the owner batched the "
        "ETL's writes meanwhile).",
        _NOISY_NEIGHBOUR_FROZEN,
        hours=_UNTIL_SALESFORCE_RELEASE,
        hooks=lambda: OwnerFixesOnceBraked(_etl_batches_its_writes),
        culprits=(Culprit("sf-prod", ("ETL", states.ETL_USER)),),
    ),
    ScoreScenario(
        15,
        "trigger-runaway",
        "Trigger-driven runaway (the connector spends), stopped by a kill switch",
        "An Apex trigger re-fires itself and changes opportunities HubSpot's connector syncs "
        "for 30,000 calls an hour. No API deactivates a trigger in production, but it reads "
        "the team's kill switch: a `setting` entry sets it at brake_at (the connector syncs "
        "what it already changed) and puts back its value once the window has recovered.",
        _salesforce("trigger-runaway", states.trigger_runaway, f"setting:{states.TRIGGER_SWITCH}"),
        hours=_UNTIL_SALESFORCE_RELEASE,
        hooks=lambda: OwnerFixesOnceBraked(_trigger_stops_refiring),
        culprits=(_TRIGGER_CULPRIT,),
    ),
)


def _seed_with_backlog(minutes: int) -> DrillScenario:
    return replace(
        RUNAWAY_ROLLUPS,
        name=f"runaway-rollups-backlog-{minutes}",
        platform_state=states.rollups_with_backlog(minutes),
    )


_SEED_CULPRITS = SCORE_SCENARIOS[1].culprits
_SALESFORCE_ACTIONS = EntryFieldsDrillScenario(
    name="workflow-salesforce-actions",
    description="workflow-salesforce-actions",
    platform_state=states.workflow_salesforce_actions,
    salesforce={"label": "Salesforce production"},
    hubspot={"label": "HubSpot portal"},
    allowlist={"sf-prod": (), "hs-portal": ("workflow:6001",)},
    # The workflow spends Salesforce's calls through the connector: Salesforce's brake
    # may stop it.
    entry_fields={"workflow:6001": {"drives": ("sf-prod",)}},
    starting_usage={"hubspot": 50_000},
)

# Issue 20: the causal sandbox's own cases.
SCORE_SCENARIOS += (
    ScoreScenario(
        16,
        "seed-backlog-30",
        "The seed's case, connector 30 minutes behind",
        "Scenario 2 with HubSpot's connector syncing changes 30 minutes after they were "
        "made: braking the rollups stops new changes, and the connector keeps spending for "
        "the ones already made (the tail).",
        _seed_with_backlog(30),
        hours=27,
        culprits=_SEED_CULPRITS,
    ),
    ScoreScenario(
        17,
        "seed-backlog-60",
        "The seed's case, connector 60 minutes behind",
        "Scenario 2 with a 60-minute backlog: the tail after the brake is an hour of the "
        "rollups' changes.",
        _seed_with_backlog(60),
        hours=27,
        culprits=_SEED_CULPRITS,
    ),
    ScoreScenario(
        18,
        "custom-code-runaway",
        "HubSpot custom-code runaway",
        "A workflow's custom-code action calls the portal four times an enrolment, and its "
        "enrolments surge at 70 %: turning the workflow off stops its custom code at once.",
        _hubspot("custom-code-runaway", states.custom_code_runaway, 68.5, "workflow:5001"),
        hours=3.5,
        start=_new_york(21),
        hooks=lambda: WorkflowSpike("5001", at_percent=70, enrolments_per_hour=12_000),
        fast=True,
        burn_starts=None,
        culprits=(_workflow("5001"),),
    ),
    ScoreScenario(
        19,
        "workflow-salesforce-actions",
        "HubSpot workflow burning Salesforce's limit",
        "A HubSpot workflow's Salesforce action (create a task) runs for every form fill of "
        "a spam wave: the connector spends Salesforce's calls, HubSpot's are untouched. Its "
        "allowlist entry says it drives Salesforce, so Salesforce's brake turns it off; the "
        "connector's last cycle is the tail.",
        _SALESFORCE_ACTIONS,
        hours=_UNTIL_SALESFORCE_RELEASE,
        # The connector spends (its calls are today's: no file counts them yet); no
        # Salesforce source names the HubSpot workflow behind it.
        culprits=(
            Culprit(
                "sf-prod",
                CONNECTOR,
                drivers=("workflow:6001",),
                knowable=False,
                drivers_knowable=False,
            ),
        ),
    ),
)

_REPEAT_DRIVER = f"flow:{states.REPEAT_FLOW}"
_REPEAT = _salesforce(
    "repeat-runaway", states.repeat_runaway, _REPEAT_DRIVER, "flow:Lead_Assignment_Process"
)
# The flow runs away today: yesterday's file predates it, so no source counts the
# connector's calls yet; its activation this morning names the driver.
_REPEAT_CULPRITS = (
    Culprit(
        "sf-prod", CONNECTOR, drivers=(_REPEAT_DRIVER,), records=("Opportunity",), knowable=False
    ),
)
# Brake, the older calls age out (4 and 5 hours in), the release, and the second climb.
_REPEAT_HOURS = 9

# Issue 25: a release that does not restart the fire.
SCORE_SCENARIOS += (
    ScoreScenario(
        20,
        "repeat-runaway-held",
        "Runaway flow, the release holds it",
        "A scoring flow runs away and is braked with a lead-assignment process beside it; "
        "the window recovers the same day. The release puts the process back and holds the "
        "flow (it drove the burn and nobody changed it), with the command that releases it "
        "once fixed: no repeat runaway.",
        replace(_REPEAT, name="repeat-runaway-held"),
        hours=_REPEAT_HOURS,
        culprits=_REPEAT_CULPRITS,
    ),
    ScoreScenario(
        21,
        "repeat-runaway-released",
        "Runaway flow released unchanged, burning again",
        "Scenario 20, but its owner runs the held row's command without fixing the flow: "
        "it comes back as it was and runs away again. apibrake brakes it a second time, and "
        "the critical alert says it was released unchanged and is burning again.",
        replace(_REPEAT, name="repeat-runaway-released"),
        hours=_REPEAT_HOURS,
        hooks=OwnerReleasesHeldUnchanged,
        culprits=_REPEAT_CULPRITS,
        critical_says=("unchanged, burning again",),
    ),
)

# Issue 23: the break-glass channel. Three in the morning (New York): the window recovers
# as yesterday's morning batch ages out, one to six hours in, and the release follows.
_NIGHT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

SCORE_SCENARIOS += (
    ScoreScenario(
        22,
        "exhausted-at-night",
        "Exhausted at night, the runaway still running at the reset",
        "Scenario 15's trigger runaway an hour on, at night: it has used the org's last "
        "calls (101 %) and keeps re-firing. REST is refused, so no brake lands before the "
        "refusal; the monitor starts the break-glass brake, which sets the trigger's kill "
        "switch through SOAP `executeAnonymous` (`DebuggingHeader` calls are served past "
        "the limit). Salesforce's window is a rolling 24 hours: as yesterday's calls age out "
        "the org is served again, the connector syncs only the minute of changes made "
        "before the brake, and usage stays under 100 % (next window protected); the switch "
        "goes back through REST once under release_below. Without apibrake the trigger's "
        "changes pile up while the org refuses, and the connector's catch-up eats every "
        "call that ages out: refused into the next window.",
        _salesforce(
            "exhausted-at-night", states.exhausted_at_night, f"setting:{states.TRIGGER_SWITCH}"
        ),
        # Served again an hour in, under release_below (50 %) six hours in, then an hour
        # with the switch back on.
        hours=7,
        start=_NIGHT,
        containable=False,  # refused before the first check: no brake can land before it
        protects_next_window=True,
        hooks=lambda: OwnerFixesOnceBraked(_trigger_stops_refiring),
        critical_says=("exhausted", "break-glass brake started"),
        # Its first critical alert comes while the org refuses every REST query: no source
        # of the drivers can be read then either.
        culprits=(replace(_TRIGGER_CULPRIT, drivers_knowable=False),),
    ),
)

BY_KEY = {scenario.key: scenario for scenario in SCORE_SCENARIOS}

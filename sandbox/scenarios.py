"""Named starting states for the sandbox: what `--scenario` loads and the drill builds on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sandbox.salesforce.connector import records_costing

if TYPE_CHECKING:
    from sandbox.server import Sandbox


def quiet(sandbox: Sandbox) -> None:
    """A small org and portal with a few automations and light background traffic."""
    sf, hs = sandbox.salesforce, sandbox.hubspot
    sf.add_flow("Account_Revenue_Rollup", versions=3, active_version=3)
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.add_scheduled_job("Nightly Opportunity Sync", cron="0 0 2 * * ?", apex_class="OppSyncJob")
    hs.add_workflow("Lifecycle stage sync", flow_id="101", enabled=True)
    # A kill switch the org's triggers read, a list setting (no org default), an ETL's user.
    sf.switches.add_setting("Trigger_Switches__c", {"Disable_Rollups__c": False})
    sf.switches.add_setting("Region_Codes__c", ["Disable_Sync__c"], hierarchy=False)
    sf.switches.add_integration_user(
        "etl@acme.example", name="Nightly ETL", last_login=sandbox.clock.now()
    )
    sf.set_background_rate(200)
    hs.set_background_rate(1_000)


def deploy_canaries(sandbox: Sandbox) -> None:
    """The rehearsal canaries as salesforce/README.md has a person deploy them: the flow
    active, the job scheduled by the integration user (in its time zone), the kill-switch
    setting without an org-default row. The HubSpot canary is left to `--create-canary`."""
    sf = sandbox.salesforce
    sf.add_flow("apibrake_Canary", versions=1, active_version=1)
    sf.add_scheduled_job(
        "apibrake Canary",
        cron="0 0 3 * * ?",
        apex_class="apibrake_CanaryJob",
        time_zone=sf.settings.user_time_zone,
    )
    sf.switches.add_setting("apibrake_Canary__c", ["Brake__c"])


def rehearsal(sandbox: Sandbox) -> None:
    """The quiet org and portal with the Salesforce canaries deployed (`apibrake rehearse`)."""
    quiet(sandbox)
    deploy_canaries(sandbox)


def runaway_rollups(sandbox: Sandbox) -> None:
    """The seed incident: four hourly rollup flows change thousands of records the HubSpot
    connector syncs (its calls burn the org's day), and a workflow's custom code burns the
    portal's."""
    sf, hs = sandbox.salesforce, sandbox.hubspot
    for name in ("Account", "Opportunity", "Contact", "Case"):
        sf.add_flow(
            f"{name}_Rollup_Hourly",
            versions=4,
            active_version=3,
            trigger_type="Scheduled",
            records_per_run=int(records_costing(900)),  # 900 connector calls a run
            run_every_minutes=60,
            changes_object=name,
        )
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.add_scheduled_job(
        "Hourly Territory Recalc",
        cron="0 0 * * * ?",
        apex_class="TerritoryRecalcJob",
        records_per_hour=records_costing(300),
    )
    hs.add_workflow(
        "Chatty contact enrichment",
        flow_id="2001",
        enabled=True,
        enrolments_per_hour=3_000,
        custom_code_calls=3,
    )
    hs.add_workflow("Welcome series", flow_id="2002", enabled=True)
    sf.set_background_rate(250)
    hs.set_background_rate(2_500)


# --- the local walk-through (docs/runbook.md, "Rehearse locally") ------------------------

# The runaway has been running this long when the walk-through starts: two of the
# connector's 15-minute cycles, so its calls already flow at the steady rate.
INCIDENT_RUNNING_FOR = timedelta(minutes=30)
INCIDENT_FLOW = "Mass_Update_Contacts"
INCIDENT_WORKFLOW_ID = "7001"
# Where usage starts and how fast it climbs, with 1,000 calls an hour of background
# traffic on each: Salesforce 77.5 % + 30,000 calls an hour passes 80 % in about 5
# minutes and 90 % in about 25, but the monitor brakes ahead of 90 %, near 84 % after about
# 12, because the connector's tail would otherwise reach 100 % (apibrake/watch/ahead.py);
# HubSpot 76 % + 100,000 calls an hour (of 250,000) passes 80 % in about 6 minutes and
# 90 % in about 20 (braked just before).
INCIDENT_SALESFORCE_START = 0.775
INCIDENT_SALESFORCE_CALLS_PER_HOUR = 30_000
INCIDENT_HUBSPOT_START = 0.76
INCIDENT_HUBSPOT_CALLS_PER_HOUR = 100_000
_INCIDENT_CUSTOM_CODE_CALLS = 4
_EARLIER_TODAY_HOURS = 20  # when the rest of the day's calls were made: none age out soon


def incident(sandbox: Sandbox) -> None:
    """A runaway under way, for the local walk-through: a mass-update flow changes the
    contacts the HubSpot connector syncs (its calls climb through the org's warnings
    within minutes) and an enrichment workflow's custom code climbs through the portal's.
    Both have run for INCIDENT_RUNNING_FOR: building this moves the clock on by that much
    (`apibrake local up` builds it that far in the past, then serves it live)."""
    sf, hs = sandbox.salesforce, sandbox.hubspot
    # With the Event Monitoring licence ApiTotalUsageEventLog names the callers within
    # minutes, so `apibrake consumers` ranks them during the walk-through (without it the
    # ranking waits for the next daily file).
    sf.settings.event_monitoring_licensed = True
    # The org's everyday automations were set up long ago: only the runaway's activation
    # is a recent change.
    sf.add_flow("Account_Revenue_Rollup", versions=3, active_version=3)
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.predate_setup(sandbox.clock.now() - timedelta(days=30))
    sf.add_flow(
        INCIDENT_FLOW,
        trigger_type="Scheduled",
        records_per_hour=records_costing(INCIDENT_SALESFORCE_CALLS_PER_HOUR),
        changes_object="Contact",
    )
    hs.add_workflow(
        "Contact enrichment (custom code)",
        flow_id=INCIDENT_WORKFLOW_ID,
        enabled=True,
        enrolments_per_hour=INCIDENT_HUBSPOT_CALLS_PER_HOUR / _INCIDENT_CUSTOM_CODE_CALLS,
        custom_code_calls=_INCIDENT_CUSTOM_CODE_CALLS,
    )
    hs.add_workflow("Welcome series", flow_id="7002", enabled=True)
    sf.set_background_rate(1_000)
    hs.set_background_rate(1_000)
    # The sandbox's own model runs the runaway's first half hour: the flow's changes, the
    # connector's cycles and calls, the workflow's enrolments.
    sandbox.clock.advance(INCIDENT_RUNNING_FOR)
    used, limit = sf.usage()
    earlier = limit * INCIDENT_SALESFORCE_START - used
    _backdate(sandbox, earlier / _EARLIER_TODAY_HOURS, _EARLIER_TODAY_HOURS, same_spenders=False)
    used, limit = hs.usage()
    hs.add_usage(int(limit * INCIDENT_HUBSPOT_START - used))


# How far in the past `apibrake local up` builds a scenario, for the history it runs.
SCENARIO_HISTORY: dict[str, timedelta] = {"incident": INCIDENT_RUNNING_FOR}


SCENARIOS: dict[str, Callable[[Sandbox], None]] = {
    "quiet": quiet,
    "runaway-rollups": runaway_rollups,
    "rehearsal": rehearsal,
    "incident": incident,
}


# --- starting states of the containment score (drill/score) ------------------------------


def _backdate(
    sandbox: Sandbox,
    calls_per_hour: float,
    hours: int,
    *,
    same_spenders: bool = True,
    ended_hours_ago: int = 0,
) -> None:
    """Yesterday's steady traffic still inside the org's rolling 24 hours, made by the
    consumers spending now in their present shares (what the ApiTotalUsage files then
    show), or by unnamed background traffic when the burn is new today."""
    sf = sandbox.salesforce
    now = sandbox.clock.now()
    spenders = sf.spenders_now() if same_spenders else []
    if spenders:  # they were set up before they spent these calls
        sf.predate_setup(now - timedelta(hours=ended_hours_ago + hours + 1))
    total = sum(rate for _, rate in spenders)
    for hour in range(ended_hours_ago + 1, ended_hours_ago + hours + 1):
        at = now - timedelta(hours=hour)
        if not total:
            sf.add_usage(int(calls_per_hour), at=at)
            continue
        left = int(calls_per_hour)
        for index, (caller, rate) in enumerate(spenders):
            calls = left if index == len(spenders) - 1 else int(calls_per_hour * rate / total)
            sf.add_usage(calls, at=at, caller=caller)
            left -= calls


def slow_creep(sandbox: Sandbox) -> None:
    """A dedupe flow whose volume creeps: the org reaches its limit over 20 hours; the
    creep has been running for 16 of them."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Duplicate_Check_Creep",
        trigger_type="Scheduled",
        records_per_hour=records_costing(4_000),
        changes_object="Lead",
    )
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.set_background_rate(1_000)
    _backdate(sandbox, 5_000, 16)


def hubspot_spike(sandbox: Sandbox) -> None:
    """A lead-scoring workflow at its normal rate plus other apps' traffic (spikes later)."""
    hs = sandbox.hubspot
    hs.add_workflow(
        "Lead scoring sync",
        flow_id="3001",
        enabled=True,
        enrolments_per_hour=5_000,
        custom_code_calls=1,  # its custom code calls the portal once per enrolment
    )
    hs.add_workflow("Welcome series", flow_id="3002", enabled=True)
    hs.add_workflow("Old nurture (off)", flow_id="3003", enabled=False)
    hs.set_background_rate(3_000)


def already_over(sandbox: Sandbox) -> None:
    """The org used 101 % of its calls before anyone looked."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Account_Rollup_Hourly", trigger_type="Scheduled", records_per_hour=records_costing(3_000)
    )
    sf.set_background_rate(500)
    _backdate(sandbox, 101_000 / 20, 20)


def linked_sync(sandbox: Sandbox) -> None:
    """A HubSpot workflow whose custom code calls the portal and whose Salesforce action
    (set a field) the connector carries out on Salesforce's limit, and the Salesforce flow
    each synced write triggers (that link is driven by the score's tick hook)."""
    hs, sf = sandbox.hubspot, sandbox.salesforce
    hs.add_workflow(
        "Sync contacts to Salesforce",
        flow_id="4001",
        enrolments_per_hour=12_000,
        custom_code_calls=2,
        salesforce_actions=1,
    )
    hs.add_workflow("Welcome series", flow_id="4002", enabled=True)
    hs.set_background_rate(2_000)
    sf.add_flow(
        "Contact_After_Save_Enrichment", versions=2, active_version=2, changes_object="Contact"
    )
    sf.set_background_rate(500)
    _backdate(sandbox, 70_000 / 20, 20)


ETL_USER = "etl@acme.example"


def noisy_neighbour(sandbox: Sandbox) -> None:
    """An external ETL (not an automation apibrake may touch) floods the org, logged in as
    its own integration user: allowlisting `user:etl@acme.example` (tier 2) lets a brake
    freeze it, and its calls stop (sandbox/salesforce/switches.py)."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Opportunity_Rollup_Hourly",
        trigger_type="Scheduled",
        records_per_hour=records_costing(2_000),
        changes_object="Opportunity",
    )
    sf.switches.add_integration_user(ETL_USER, name="Nightly ETL", calls_per_hour=20_000)
    _backdate(sandbox, 80_000 / 12, 12)
    # The ETL's run the morning before (UTC), gone from the rolling 24 hours but in
    # yesterday's ApiTotalUsage file.
    _backdate(sandbox, 80_000 / 12, 12, ended_hours_ago=24)


TRIGGER_SWITCH = "Trigger_Switches__c.Disable_Rollups__c"


def trigger_runaway(sandbox: Sandbox) -> None:
    """An Apex trigger re-firing itself (a rollup that updates its parent) changes
    opportunities the connector syncs for 30,000 calls an hour from 70 %. No API deactivates
    a trigger in production, but it reads the team's kill switch: allowlisting
    `setting:Trigger_Switches__c.Disable_Rollups__c` contains it
    (`sf.switches.set_trigger_rate` changes its pace from a score hook)."""
    sf = sandbox.salesforce
    sf.switches.add_setting(
        "Trigger_Switches__c", {"Disable_Rollups__c": False, "Disable_Integrations__c": False}
    )
    sf.switches.add_trigger(
        "OpportunityRollupTrigger", records_per_hour=records_costing(30_000), switch=TRIGGER_SWITCH
    )
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.set_background_rate(500)
    _backdate(sandbox, 70_000 / 20, 20, same_spenders=False)  # the trigger runs away today


# Yesterday's morning batch window, 18 to 24 hours ago: the first calls to age out of an
# exhausted org's rolling 24 hours (from an hour after the start, one batch hour an hour).
NIGHT_BATCH_CALLS = 62_500
NIGHT_BATCH_HOURS = range(18, 24)


def exhausted_at_night(sandbox: Sandbox) -> None:
    """Scenario 15's trigger runaway an hour on, at night: it has used the org's last calls
    (101 %) and keeps re-firing, its changes waiting for the connector while the org
    refuses. Yesterday's morning batch ages out first (`NIGHT_BATCH_HOURS`); without a
    brake the connector's catch-up eats what ages out, and the org stays refused."""
    sf = sandbox.salesforce
    sf.switches.add_setting(
        "Trigger_Switches__c", {"Disable_Rollups__c": False, "Disable_Integrations__c": False}
    )
    sf.switches.add_trigger(
        "OpportunityRollupTrigger", records_per_hour=records_costing(30_000), switch=TRIGGER_SWITCH
    )
    sf.set_background_rate(500)
    now = sandbox.clock.now()
    for hours_ago in NIGHT_BATCH_HOURS:
        sf.add_usage(
            NIGHT_BATCH_CALLS // len(NIGHT_BATCH_HOURS), at=now - timedelta(hours=hours_ago)
        )
    quiet_hours = range(2, min(NIGHT_BATCH_HOURS))
    for hours_ago in quiet_hours:  # the background traffic of the evening
        sf.add_usage(500, at=now - timedelta(hours=hours_ago))
    # The rest, the trigger's last hour before the limit ran out (today: no file names the
    # connector's calls yet).
    batch = NIGHT_BATCH_CALLS // len(NIGHT_BATCH_HOURS) * len(NIGHT_BATCH_HOURS)
    last_hour = 101_000 - batch - 500 * len(quiet_hours)
    sf.add_usage(last_hour, at=now - timedelta(minutes=30))


def late_detection(sandbox: Sandbox) -> None:
    """A quiet org at 60 %; a mass-update flow exists but is not running yet."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Mass_Update_Accounts",
        trigger_type="Scheduled",
        active_version=None,
        records_per_hour=records_costing(60_000),
    )
    sf.set_background_rate(300)
    _backdate(sandbox, 60_000 / 20, 20)


def rollups_with_backlog(minutes: int) -> Callable[[Sandbox], None]:
    """The seed incident with the connector running `minutes` behind the changes (a sync
    "is not completed at once"): after a brake it keeps syncing that much longer."""

    def state(sandbox: Sandbox) -> None:
        runaway_rollups(sandbox)
        sandbox.salesforce.connector.settings.backlog = timedelta(minutes=minutes)

    state.__doc__ = f"{runaway_rollups.__doc__} The connector runs {minutes} minutes behind."
    return state


def custom_code_runaway(sandbox: Sandbox) -> None:
    """A HubSpot enrichment workflow whose custom-code action calls the portal four times an
    enrolment (its enrolments surge later: the score's hook), beside a welcome series that
    spends nothing (no custom code) and other apps' traffic."""
    hs = sandbox.hubspot
    hs.add_workflow(
        "Enrich new contacts", flow_id="5001", enrolments_per_hour=500, custom_code_calls=4
    )
    hs.add_workflow("Welcome series", flow_id="5002", enrolments_per_hour=5_000)
    hs.set_background_rate(3_000)


def workflow_salesforce_actions(sandbox: Sandbox) -> None:
    """A HubSpot workflow creating a Salesforce task for every form fill: no portal calls
    (no custom code), one Salesforce call per enrolment through the connector. A form spam
    wave enrols 30,000 contacts an hour from 70 % of the org's day."""
    hs, sf = sandbox.hubspot, sandbox.salesforce
    hs.add_workflow(
        "Create Salesforce task per form fill",
        flow_id="6001",
        enrolments_per_hour=30_000,
        salesforce_actions=1,
    )
    hs.add_workflow("Welcome series", flow_id="6002", enrolments_per_hour=2_000)
    hs.set_background_rate(1_000)
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.set_background_rate(500)
    _backdate(sandbox, 70_000 / 20, 20, same_spenders=False)  # the wave is today's


REPEAT_FLOW = "Opportunity_Score_Recalc"


def repeat_runaway(sandbox: Sandbox) -> None:
    """A scoring flow activated this morning re-scores every opportunity (20,000 of the
    connector's calls an hour) from 60 % of the org's day, beside a lead-assignment process
    set up long ago that spends nothing. The rest of the day's calls were made 19 and 20
    hours ago, so they age out within five hours of the start: the window recovers the same
    day, and the release comes within hours of the brake (a repeat runaway shows the same
    day)."""
    sf = sandbox.salesforce
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.predate_setup(sandbox.clock.now() - timedelta(days=30))
    sf.add_flow(
        REPEAT_FLOW,
        versions=2,
        active_version=2,
        trigger_type="Scheduled",
        records_per_hour=records_costing(20_000),
        changes_object="Opportunity",
    )
    sf.set_background_rate(500)
    _backdate(sandbox, 30_000, 2, ended_hours_ago=18, same_spenders=False)


SCENARIOS.update(
    {
        "runaway-rollups-backlog-30": rollups_with_backlog(30),
        "runaway-rollups-backlog-60": rollups_with_backlog(60),
        "custom-code-runaway": custom_code_runaway,
        "workflow-salesforce-actions": workflow_salesforce_actions,
        "slow-creep": slow_creep,
        "hubspot-spike": hubspot_spike,
        "already-over": already_over,
        "linked-sync": linked_sync,
        "noisy-neighbour": noisy_neighbour,
        "late-detection": late_detection,
        "trigger-runaway": trigger_runaway,
        "exhausted-at-night": exhausted_at_night,
        "repeat-runaway": repeat_runaway,
    }
)

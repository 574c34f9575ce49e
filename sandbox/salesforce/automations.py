"""What the org's automations do while they run: change records. Flows, Process Builder,
scheduled Apex and triggers spend no API calls (docs/platform-notes.md S6); the
records they change wait in the change queue for the consumers that sync them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.salesforce.changes import Change, Driver
from sandbox.salesforce.records import FlowDefinition, ScheduledJob, Trigger

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

# Scheduled and autolaunched flows save their changes as the Automated Process user.
AUTOMATED_PROCESS_USER = ("0055g00000AutoProc", "autoproc@apibrake.sandbox")
RUNNING_JOB_STATES = ("WAITING", "ACQUIRED", "EXECUTING")


def flow_change(flow: FlowDefinition) -> Change:
    return Change(
        flow.changes_object, Driver(f"flow:{flow.developer_name}", AUTOMATED_PROCESS_USER[1])
    )


def job_change(org: SalesforceOrg, job: ScheduledJob) -> Change:
    """Scheduled Apex runs as, and saves its changes as, the job's owner."""
    owner = org.records.users.get(job.owner_id)
    changed_by = owner.username if owner else org.settings.username
    return Change(job.changes_object, Driver(f"scheduled_apex:{job.name}", changed_by))


def trigger_change(trigger: Trigger) -> Change:
    """A trigger saves as the user whose change fired it: the sandbox's fire on the
    Automated Process user's updates."""
    return Change(
        trigger.changes_object, Driver(f"trigger:{trigger.name}", AUTOMATED_PROCESS_USER[1])
    )


def active_flows(org: SalesforceOrg) -> list[FlowDefinition]:
    return [f for f in org.records.flows.values() if f.active is not None]


def running_jobs(org: SalesforceOrg) -> list[ScheduledJob]:
    return [j for j in org.records.jobs.values() if j.state in RUNNING_JOB_STATES]


def record_rates(org: SalesforceOrg) -> list[tuple[Change, float]]:
    """Records an hour each running automation changes at this moment (periodic flows
    averaged over their period)."""
    rates = [(flow_change(f), f.records_per_hour) for f in active_flows(org)]
    rates += [
        (flow_change(f), f.records_per_run * 60 / f.run_every_minutes)
        for f in active_flows(org)
        if f.records_per_run > 0
    ]
    rates += [(job_change(org, j), j.records_per_hour) for j in running_jobs(org)]
    rates += [(trigger_change(t), t.records_per_hour) for t in org.switches.running_triggers()]
    return [(change, rate) for change, rate in rates if rate > 0]


def change_records(org: SalesforceOrg, start: datetime, now: datetime) -> None:
    """The records running automations changed in [start, now) (periodic flows at whole
    periods after their creation); the state holds over the interval, as every change to
    it accrues first. Each change waits for the consumers and stays in the records' history
    (who last saved them, for SOQL)."""
    stores = (org.connector.changes, org.records.saved)
    for flow in active_flows(org):
        for store in stores:
            store.add_rate(start, now, flow_change(flow), flow.records_per_hour)
        if flow.records_per_run <= 0:
            continue
        period = timedelta(minutes=flow.run_every_minutes)
        first_run = (start - flow.created_at) // period + 1
        last_run = (now - flow.created_at) // period
        for run in range(max(first_run, 1), last_run + 1):
            for store in stores:
                store.add(flow.created_at + run * period, flow_change(flow), flow.records_per_run)
    rates = [(job_change(org, job), job.records_per_hour) for job in running_jobs(org)]
    rates += [(trigger_change(t), t.records_per_hour) for t in org.switches.running_triggers()]
    for change, per_hour in rates:
        for store in stores:
            store.add_rate(start, now, change, per_hour)

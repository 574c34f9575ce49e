"""What the org records for each kind of caller: the ledger's Caller for an external
connected app, an integration user or an API request (only API clients spend calls: flows,
jobs and triggers change records, sandbox/salesforce/automations.py), the AsyncApexJob runs
of a scheduled job, and the SetupAuditTrail row of a flow (de)activation (docs/platform-notes.md
A4, A6)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.http import Request
from sandbox.salesforce import ids
from sandbox.salesforce.cron import CronError, parse
from sandbox.salesforce.ledger import Caller
from sandbox.salesforce.records import AsyncApexJob, FlowDefinition, OrgRecords, ScheduledJob, User
from sandbox.salesforce.settings import SalesforceSettings

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

ADMIN_USERNAME = "admin@apibrake.sandbox"
_MAX_RUNS_PER_ACCRUAL = 2_000


def app_id(name: str) -> str:
    # A stable 0H4 id per connected app name.
    digest = hashlib.sha256(name.encode()).hexdigest()[:9]
    return ids.with_suffix(f"0H45g{digest[:10].ljust(10, '0')}")


def integration_caller(user: User) -> Caller:
    """An external integration logged in as its integration user (an ETL)."""
    app_name = user.name or user.username
    return Caller(
        user_id=user.id,
        username=user.username,
        connected_app_id=app_id(app_name),
        connected_app_name=app_name,
        api_resource="/v62.0/composite/sobject",
        entity="Contact",
        http_method="PATCH",
    )


def background_caller(settings: SalesforceSettings, app_name: str) -> Caller:
    slug = "".join(ch for ch in app_name.lower() if ch.isalnum())[:20] or "app"
    return Caller(
        user_id=f"0055g{hashlib.sha256(slug.encode()).hexdigest()[:10]}",
        username=f"{slug}@apibrake.sandbox",
        connected_app_id=app_id(app_name),
        connected_app_name=app_name,
        api_resource="/v62.0/sobjects/Contact",
        entity="Contact",
        http_method="PATCH",
    )


def request_caller(settings: SalesforceSettings, request: Request) -> Caller:
    """An API request made over HTTP (apibrake's own): the integration user through the
    connected app its token came from, CLIENT_NAME from Sforce-Call-Options."""
    options = request.headers.get("Sforce-Call-Options") or ""
    client = next((part.split("=", 1)[1].strip() for part in options.split(",") if "=" in part), "")
    resource = request.path.removeprefix("/services/data").rstrip("/")
    return Caller(
        user_id=settings.user_id,
        username=settings.username,
        client_name=client,
        connected_app_id=app_id("apibrake"),
        connected_app_name="apibrake",
        api_resource=resource,
        http_method=request.method,
    )


def record_runs(records: OrgRecords, job: ScheduledJob, start: datetime, end: datetime) -> None:
    """One completed ScheduledApex AsyncApexJob per fire time in (start, end]."""
    try:
        expression = parse(job.cron_expression)
    except CronError:
        return
    fire = expression.next_fire(start, job.time_zone)
    runs = 0
    while fire is not None and fire <= end and runs < _MAX_RUNS_PER_ACCRUAL:
        records.async_jobs.append(
            AsyncApexJob(
                id=f"707run{len(records.async_jobs):012d}",
                apex_class=job.apex_class,
                cron_trigger_id=job.cron_trigger_id,
                status="Completed",
                created_at=fire,
                completed_at=fire + timedelta(seconds=30),
            )
        )
        job.times_triggered += 1
        runs += 1
        fire = expression.next_fire(fire, job.time_zone)


def audit_activation(
    org: SalesforceOrg,
    flow: FlowDefinition,
    before: int | None,
    after: int | None,
    actor: str,
) -> None:
    """The row Setup writes when a flow version is activated or the flow deactivated."""
    if before == after:
        return
    by = org.settings.username if actor == "api" else ADMIN_USERNAME
    if after is not None:
        action = "activatedinteractiondefversion"
        display = (
            f'Activated flow version #{after} "{flow.label}" for flow with Unique Name '
            f'"{flow.developer_name}"'
        )
    else:
        action = "deactivatedinteractiondefinition"
        display = (
            f'Deactivated flow with Name "{flow.label}" and Unique Name "{flow.developer_name}"'
        )
    count = len(org.records.setup_audit)
    org.audit_setup(action, "Flows", display, by=by)
    org.on_rollback(lambda: org.records.setup_audit.__delitem__(slice(count, None)))

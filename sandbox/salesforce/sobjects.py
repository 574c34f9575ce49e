"""The sObject types the sandbox can query, and each record's fields as SOQL sees them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.salesforce.automations import AUTOMATED_PROCESS_USER
from sandbox.salesforce.cron import CronError, parse
from sandbox.salesforce.logins import login_rows
from sandbox.salesforce.permission_sets import ASSIGNMENT_FIELDS, PERMISSION_SET_FIELDS
from sandbox.salesforce.records import ApexClass, FlowDefinition, FlowVersion, OrgRecords
from sandbox.salesforce.saved_records import SAVED_OBJECTS

Row = dict[str, Any]  # field -> value; relationship -> Row or None
# A row standing for several identical records or events says how many here.
WEIGHT = "__count"


@dataclass(frozen=True)
class Relationship:
    name: str
    type_name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class SObjectType:
    name: str
    fields: tuple[str, ...]
    relationships: tuple[Relationship, ...]
    rows: Callable[[OrgRecords, datetime], list[Row]]
    rest: bool = True
    tooling: bool = True
    url_key: str = "Id"  # the field the record's attributes.url ends with

    def field(self, name: str) -> str | None:
        return next((f for f in self.fields if f.lower() == name.lower()), None)

    def relationship(self, name: str) -> Relationship | None:
        return next((r for r in self.relationships if r.name.lower() == name.lower()), None)


def timestamp(moment: datetime | None) -> str | None:
    """Salesforce's datetime format: 2026-11-02T06:00:00.000+0000."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


_FLOW_VERSION_FIELDS = ("Id", "VersionNumber", "Status", "ProcessType", "MasterLabel")


def _version_row(flow: FlowDefinition, version: FlowVersion | None) -> Row | None:
    if version is None:
        return None
    return {
        "Id": version.id,
        "VersionNumber": version.version_number,
        "Status": flow.status_of(version),
        "ProcessType": flow.process_type,
        "MasterLabel": flow.label,
        "DefinitionId": flow.id,
    }


def _flow_definitions(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": flow.id,
            "DeveloperName": flow.developer_name,
            "MasterLabel": flow.label,
            "NamespacePrefix": flow.namespace,
            "Description": None,
            "ActiveVersionId": flow.active.id if flow.active else None,
            "LatestVersionId": flow.latest.id,
            "LastModifiedDate": timestamp(flow.last_modified or flow.created_at),
            "ActiveVersion": _version_row(flow, flow.active),
            "LatestVersion": _version_row(flow, flow.latest),
        }
        for flow in records.flows.values()
    ]


def _flow_versions(records: OrgRecords, now: datetime) -> list[Row]:
    rows = []
    for flow in records.flows.values():
        definition: Row = {
            "Id": flow.id,
            "DeveloperName": flow.developer_name,
            "NamespacePrefix": flow.namespace,
        }
        for version in flow.versions:
            row = _version_row(flow, version) or {}
            rows.append({**row, "Definition": definition})
    return rows


def _flow_definition_views(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": "000000000000000AAA",
            "DurableId": flow.id,
            "ApiName": flow.developer_name,
            "Label": flow.label,
            "ProcessType": flow.process_type,
            "TriggerType": flow.trigger_type,
            # "The latest version is the active one", not "the flow is on".
            "IsActive": flow.active_version == flow.latest.version_number,
            "ActiveVersionId": flow.active.id if flow.active else None,
            "LatestVersionId": flow.latest.id,
            "NamespacePrefix": flow.namespace,
            "ManageableState": "installed" if flow.namespace else "unmanaged",
            "LastModifiedDate": timestamp(flow.last_modified or flow.created_at),
        }
        for flow in records.flows.values()
    ]


def _next_fire(expression: str, time_zone: str, now: datetime) -> str | None:
    try:
        return timestamp(parse(expression).next_fire(now, time_zone))
    except CronError:
        return None


def _cron_triggers(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": job.cron_trigger_id,
            "CronJobDetailId": job.cron_job_detail_id,
            "CronExpression": job.cron_expression,
            "State": job.state,
            "NextFireTime": _next_fire(job.cron_expression, job.time_zone, now)
            if job.state in ("WAITING", "ACQUIRED", "EXECUTING")
            else None,
            "PreviousFireTime": None,
            "TimesTriggered": job.times_triggered,
            "TimeZoneSidKey": job.time_zone,
            "OwnerId": job.owner_id,
            # Its parents (a real org's describe): CronJobDetail, CreatedBy, LastModifiedBy;
            # no Owner relationship. The one who scheduled the job created it.
            "CreatedById": job.owner_id,
            "CreatedBy": _user_row(records, job.owner_id),
            "LastModifiedById": job.owner_id,
            "LastModifiedBy": _user_row(records, job.owner_id),
            "StartTime": timestamp(job.created_at),
            "EndTime": timestamp(job.end_time),
            "CreatedDate": timestamp(job.created_at),
            "CronJobDetail": {
                "Id": job.cron_job_detail_id,
                "Name": job.name,
                "JobType": job.job_type,
            },
        }
        for job in records.jobs.values()
    ]


def _cron_job_details(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {"Id": job.cron_job_detail_id, "Name": job.name, "JobType": job.job_type}
        for job in records.jobs.values()
    ]


def _async_apex_jobs(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": job.id,
            "ApexClassId": job.apex_class.id,
            "CronTriggerId": job.cron_trigger_id,
            "JobType": job.job_type,
            "Status": job.status,
            "MethodName": None,
            "CreatedDate": timestamp(job.created_at),
            "CompletedDate": timestamp(job.completed_at),
            "CronTrigger": _cron_trigger_of(records, job.cron_trigger_id),
            "ApexClass": {
                "Id": job.apex_class.id,
                "Name": job.apex_class.name,
                "NamespacePrefix": job.apex_class.namespace,
            },
        }
        for job in records.async_jobs
    ]


_AUDIT_USER_ID = "0055g0000000SetupA"


def _setup_audit_trail(records: OrgRecords, now: datetime) -> list[Row]:
    ids = {user.username: user.id for user in records.users.values()}
    return [
        {
            "Id": row.id,
            "Action": row.action,
            "Section": row.section,
            "Display": row.display,
            "CreatedDate": timestamp(row.created_at),
            # The user who made the change: apibrake's own user for its API changes.
            "CreatedById": ids.get(row.created_by, _AUDIT_USER_ID),
            "CreatedBy": {
                "Id": ids.get(row.created_by, _AUDIT_USER_ID),
                "Username": row.created_by,
                "Name": row.created_by,
            },
            "DelegateUser": None,
            "ResponsibleNamespacePrefix": None,
        }
        for row in records.setup_audit
        if row.created_at <= now
    ]


def _event_log_files(records: OrgRecords, now: datetime) -> list[Row]:
    return records.event_logs.rows(now) if records.event_logs else []


def _login_history(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": row.id,
            "UserId": row.user_id,
            "LoginTime": timestamp(row.login_time),
            "Application": row.application,
            "ApiType": row.api_type,
            "ApiVersion": row.api_version,
            "LoginType": row.login_type,
            "Status": row.status,
        }
        for row in login_rows(records, now)
    ]


def _api_total_usage_events(records: OrgRecords, now: datetime) -> list[Row]:
    return records.event_logs.event_log_rows(now) if records.event_logs else []


def _permission_sets(records: OrgRecords, now: datetime) -> list[Row]:
    assignments = records.permission_assignments
    return assignments.permission_set_rows() if assignments else []


def _permission_set_assignments(records: OrgRecords, now: datetime) -> list[Row]:
    assignments = records.permission_assignments
    return assignments.assignment_rows() if assignments else []


def _cron_trigger_of(records: OrgRecords, cron_trigger_id: str | None) -> Row | None:
    """The scheduled job a run came from, while it exists (an aborted job's runs keep only
    the id)."""
    job = next((j for j in records.jobs.values() if j.cron_trigger_id == cron_trigger_id), None)
    if job is None:
        return None
    return {"Id": job.cron_trigger_id, "CronJobDetail.Name": job.name}


def _symbol_table(cls: ApexClass) -> dict[str, Any]:
    """Tooling's compiled outline; only the constructors matter here."""
    constructor: dict[str, Any]
    if cls.constructible and cls.constructor_access == "default":
        return {"name": cls.name, "constructors": []}  # none declared: Apex adds one
    if cls.constructible:
        constructor = {"name": cls.name, "parameters": [], "modifiers": [cls.constructor_access]}
    else:
        parameters = [{"name": "config", "type": "String"}]
        constructor = {"name": cls.name, "parameters": parameters, "modifiers": ["public"]}
    return {"name": cls.name, "constructors": [constructor]}


def _apex_classes(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": cls.id,
            "Name": cls.name,
            "NamespacePrefix": cls.namespace,
            "Status": "Active",
            "SymbolTable": _symbol_table(cls),
        }
        for cls in records.apex_classes.values()
    ]


_USER_PARENT_FIELDS = ("Id", "Username", "Name", "TimeZoneSidKey")


def _user_row(records: OrgRecords, user_id: str) -> Row | None:
    user = records.users.get(user_id)
    if user is None:
        return None
    name = user.name or user.username.partition("@")[0]
    return {
        "Id": user.id,
        "Username": user.username,
        "Name": name,
        "TimeZoneSidKey": user.time_zone,
    }


def _users(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": user.id,
            "Username": user.username,
            "TimeZoneSidKey": user.time_zone,
            "IsActive": user.is_active,
            "Name": user.name or user.username.partition("@")[0],
            "UserType": user.user_type,
            "LastLoginDate": timestamp(user.last_login),
        }
        for user in records.users.values()
    ]


_TYPES = [
    SObjectType(
        "FlowDefinition",
        (
            "Id",
            "DeveloperName",
            "MasterLabel",
            "NamespacePrefix",
            "Description",
            "ActiveVersionId",
            "LatestVersionId",
            "LastModifiedDate",
        ),
        (
            Relationship("ActiveVersion", "Flow", _FLOW_VERSION_FIELDS),
            Relationship("LatestVersion", "Flow", _FLOW_VERSION_FIELDS),
        ),
        _flow_definitions,
        rest=False,
    ),
    SObjectType(
        "Flow",
        (*_FLOW_VERSION_FIELDS, "DefinitionId"),
        (Relationship("Definition", "FlowDefinition", ("Id", "DeveloperName", "NamespacePrefix")),),
        _flow_versions,
        rest=False,
    ),
    SObjectType(
        "FlowDefinitionView",
        (
            "Id",
            "DurableId",
            "ApiName",
            "Label",
            "ProcessType",
            "TriggerType",
            "IsActive",
            "ActiveVersionId",
            "LatestVersionId",
            "NamespacePrefix",
            "ManageableState",
            "LastModifiedDate",
        ),
        (),
        _flow_definition_views,
        tooling=False,
        url_key="DurableId",
    ),
    SObjectType(
        "CronTrigger",
        (
            "Id",
            "CronJobDetailId",
            "CronExpression",
            "State",
            "NextFireTime",
            "PreviousFireTime",
            "TimesTriggered",
            "TimeZoneSidKey",
            "OwnerId",
            "CreatedById",
            "LastModifiedById",
            "StartTime",
            "EndTime",
            "CreatedDate",
        ),
        (
            Relationship("CronJobDetail", "CronJobDetail", ("Id", "Name", "JobType")),
            Relationship("CreatedBy", "User", _USER_PARENT_FIELDS),
            Relationship("LastModifiedBy", "User", _USER_PARENT_FIELDS),
        ),
        _cron_triggers,
    ),
    SObjectType("CronJobDetail", ("Id", "Name", "JobType"), (), _cron_job_details),
    SObjectType(
        "AsyncApexJob",
        (
            "Id",
            "ApexClassId",
            "CronTriggerId",
            "JobType",
            "Status",
            "MethodName",
            "CreatedDate",
            "CompletedDate",
        ),
        (
            Relationship("ApexClass", "ApexClass", ("Id", "Name", "NamespacePrefix")),
            Relationship("CronTrigger", "CronTrigger", ("Id", "CronJobDetail.Name")),
        ),
        _async_apex_jobs,
    ),
    SObjectType(
        "User",
        ("Id", "Username", "TimeZoneSidKey", "IsActive", "Name", "UserType", "LastLoginDate"),
        (),
        _users,
    ),
    SObjectType(
        "ApexClass", ("Id", "Name", "NamespacePrefix", "Status", "SymbolTable"), (), _apex_classes
    ),
]

_TYPES += [
    SObjectType(
        "SetupAuditTrail",
        ("Id", "Action", "Section", "Display", "CreatedDate", "CreatedById", "DelegateUser",
         "ResponsibleNamespacePrefix"),
        (Relationship("CreatedBy", "User", ("Id", "Username", "Name")),),
        _setup_audit_trail,
        tooling=False,
    ),
    SObjectType(
        "EventLogFile",
        ("Id", "EventType", "Interval", "Sequence", "LogDate", "CreatedDate", "LogFileLength",
         "LogFileFieldNames", "LogFileFieldTypes", "ApiVersion", "LogFile"),
        (),
        _event_log_files,
        tooling=False,
    ),
    SObjectType(
        "ApiTotalUsageEventLog",
        ("Id", "ApiFamily", "ApiResource", "ClientIp", "ClientName", "ConnectedAppIdentifier",
         "HttpMethod", "ObjectName", "RequestIdentifier", "UserIdentifier", "IsApiLimitCounted",
         "StatusCode", "Timestamp"),
        (),
        _api_total_usage_events,
        tooling=False,
    ),
    SObjectType(
        "LoginHistory",
        ("Id", "UserId", "LoginTime", "Application", "ApiType", "ApiVersion", "LoginType",
         "Status"),
        (),
        _login_history,
        tooling=False,
    ),
]  # fmt: skip


_TYPES += [
    SObjectType("PermissionSet", PERMISSION_SET_FIELDS, (), _permission_sets),
    SObjectType(
        "PermissionSetAssignment",
        ASSIGNMENT_FIELDS,
        (Relationship("PermissionSet", "PermissionSet", PERMISSION_SET_FIELDS),),
        _permission_set_assignments,
    ),
]


def _saved_rows(sobject: str) -> Callable[[OrgRecords, datetime], list[Row]]:
    """One row per (who, minute) standing for that many records (WEIGHT), with the saving
    user's id (the Automated Process user's when no user row has that name)."""

    def rows(records: OrgRecords, now: datetime) -> list[Row]:
        by_name = {user.username.lower(): user for user in records.users.values()}
        found = []
        for index, (change, minute, count) in enumerate(records.saved.latest(sobject)):
            username = change.driver.changed_by
            user = by_name.get(username.lower())
            user_id = user.id if user else AUTOMATED_PROCESS_USER[0]
            found.append(
                {
                    "Id": f"{sobject[:3].upper()}{index:012d}",
                    "LastModifiedById": user_id,
                    "LastModifiedDate": timestamp(minute),
                    "LastModifiedBy": {"Id": user_id, "Username": username, "Name": username},
                    WEIGHT: count,
                }
            )
        return found

    return rows


_TYPES += [
    SObjectType(
        name,
        ("Id", "LastModifiedById", "LastModifiedDate"),
        (Relationship("LastModifiedBy", "User", ("Id", "Username", "Name")),),
        _saved_rows(name),
        tooling=False,
    )
    for name in SAVED_OBJECTS
]

SOBJECT_TYPES = {t.name.lower(): t for t in _TYPES}

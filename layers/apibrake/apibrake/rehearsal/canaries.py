"""The canaries a rehearsal brakes: fixed names, so a rehearsal can touch nothing else.

Salesforce: the sfdx project ships them (salesforce/force-app: a flow and a schedulable
class that do nothing, a kill-switch custom setting no trigger reads); the canary job is
scheduled once by hand (salesforce/README.md). HubSpot: a workflow of a fixed name that
enrolls nobody (manual enrollment only), created off by `apibrake rehearse --create-canary`
or by hand; its LIST_BRANCH action makes a rehearsal prove that the portal accepts updates
of branching workflows.
"""

from __future__ import annotations

from typing import Any

from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform

CANARY_FLOW = "apibrake_Canary"
CANARY_JOB = "apibrake Canary"
CANARY_JOB_CLASS = "apibrake_CanaryJob"
CANARY_JOB_CRON = "0 0 3 * * ?"  # daily at 03:00: it does nothing, once a day is plenty
CANARY_SETTING = "apibrake_Canary__c.Brake__c"
CANARY_WORKFLOW_NAME = "apibrake Canary"

SALESFORCE_CANARIES: dict[AutomationKind, str] = {
    AutomationKind.FLOW: f"{AutomationKind.FLOW.value}:{CANARY_FLOW}",
    AutomationKind.SCHEDULED_APEX: f"{AutomationKind.SCHEDULED_APEX.value}:{CANARY_JOB}",
    AutomationKind.SETTING: f"{AutomationKind.SETTING.value}:{CANARY_SETTING}",
}
SCHEDULE_CANARY_APEX = (
    f"System.schedule('{CANARY_JOB}', '{CANARY_JOB_CRON}', new {CANARY_JOB_CLASS}());"
)
DEPLOY_CANARIES = (
    "cd salesforce && sf project deploy start --source-dir force-app --target-org ORG"
    " (then schedule the job: salesforce/README.md, Rehearsal canaries)"
)


def is_canary(automation: str, label: str | None = None) -> bool:
    """A canary by its fixed key (Salesforce) or its fixed name (a HubSpot workflow, whose
    id is the portal's)."""
    if automation.startswith(f"{AutomationKind.WORKFLOW.value}:"):
        return label == CANARY_WORKFLOW_NAME
    return automation in SALESFORCE_CANARIES.values()


def workflow_canary_key(flow_id: str) -> str:
    return f"{AutomationKind.WORKFLOW.value}:{flow_id}"


def canary_entry(connection_id: str, automation: str) -> AllowlistEntry:
    """The allowlist row a rehearsal brakes through. Marked `canary`, so only a brake
    naming it in `only` touches it. A canary job scheduled by a person (not the integration
    user) cannot come back exactly: the rehearsal says so, and re-creates it as the
    integration user, so the next rehearsal is exact."""
    return AllowlistEntry(
        connection_id=connection_id,
        automation=automation,
        tier=9,
        canary=True,
        allow_inexact_restore=automation.startswith(f"{AutomationKind.SCHEDULED_APEX.value}:"),
        note="rehearsal canary (apibrake rehearse): does nothing",
        added_by="apibrake rehearse",
    )


def platform_kinds(platform: Platform) -> list[AutomationKind]:
    if platform is Platform.SALESFORCE:
        return list(SALESFORCE_CANARIES)
    return [AutomationKind.WORKFLOW]


def workflow_canary_body() -> dict[str, Any]:
    """A contact workflow that does nothing and enrolls nobody, created off: manual
    enrollment only, and one LIST_BRANCH action whose branches lead nowhere (HubSpot's v4
    ApiContactFlowCreateRequest)."""
    never = {
        "filterType": "PROPERTY",
        "property": "lifecyclestage",
        "operation": {
            "operationType": "ENUMERATION",
            "operator": "IS_ANY_OF",
            "includeObjectsWithNoValueSet": False,
            "values": ["lead"],
        },
    }
    branch = {
        "branchName": "leads",
        "filterBranch": {
            "filterBranchType": "OR",
            "filterBranchOperator": "OR",
            "filters": [],
            "filterBranches": [
                {
                    "filterBranchType": "AND",
                    "filterBranchOperator": "AND",
                    "filters": [never],
                    "filterBranches": [],
                }
            ],
        },
    }
    return {
        "name": CANARY_WORKFLOW_NAME,
        "description": "apibrake rehearsal canary: enrolls nobody, does nothing",
        "type": "CONTACT_FLOW",
        "flowType": "WORKFLOW",
        "objectTypeId": "0-1",
        "isEnabled": False,
        "startActionId": "1",
        "actions": [
            {
                "type": "LIST_BRANCH",
                "actionId": "1",
                "listBranches": [branch],
                "defaultBranchName": "everyone else",
            }
        ],
        "enrollmentCriteria": {"type": "MANUAL", "shouldReEnroll": False},
        "timeWindows": [],
        "blockedDates": [],
        "customProperties": {},
        "dataSources": [],
        "canEnrollFromSalesforce": False,
        "suppressionListIds": [],
    }

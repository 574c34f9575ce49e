"""What the integration user may do: its user permissions, by API name, and how the org
answers a call the user lacks one for.

By default the user holds every permission (`granted_permissions` None); a test narrows it
(`org.revoke_permissions("ViewSetup")`) to see apibrake name what is missing.

How Salesforce refuses, where documented or widely reported:
- no API Enabled: every REST call answers 403 API_DISABLED_FOR_ORG ("The REST API is not
  enabled for this Organization."), before anything is counted;
- a setup object the user may not see does not exist for it: 400 INVALID_TYPE
  ("sObject type 'ApexClass' is not supported", forcedotcom/salesforcedx-apex#157);
- /limits needs View Setup and Configuration (REST API guide, Limits); the answer's shape
  is assumed: 403 INSUFFICIENT_ACCESS;
- writes (FlowDefinition PATCH without Manage Flows: 400 INSUFFICIENT_ACCESS_OR_READONLY;
  executeAnonymous without Author Apex: 403 INSUFFICIENT_ACCESS) are assumed shapes too.
"""

from __future__ import annotations

from sandbox.http import Response
from sandbox.salesforce import errors

API_ENABLED = "ApiEnabled"
VIEW_SETUP = "ViewSetup"
MANAGE_FLOWS = "ManageInteraction"
AUTHOR_APEX = "AuthorApex"
MODIFY_METADATA = "ModifyMetadata"
VIEW_EVENT_LOG_FILES = "ViewEventLogFiles"
# "View Event Log Object Data": the sandbox's name for it (the API name is unconfirmed).
VIEW_EVENT_LOG_OBJECT_DATA = "ViewEventLogObjectData"
CUSTOMIZE_APPLICATION = "CustomizeApplication"  # custom settings through the API
MANAGE_USERS = "ManageUsers"  # UserLogin
MONITOR_LOGIN_HISTORY = "MonitorLoginHistory"  # LoginHistory, without Manage Users
MANAGE_PERMISSION_SETS = "ManageProfilesPermissionsets"  # SetupEntityAccess create, delete
KNOWN = frozenset(
    {
        API_ENABLED,
        VIEW_SETUP,
        MANAGE_FLOWS,
        AUTHOR_APEX,
        MODIFY_METADATA,
        VIEW_EVENT_LOG_FILES,
        VIEW_EVENT_LOG_OBJECT_DATA,
        CUSTOMIZE_APPLICATION,
        MANAGE_USERS,
        MONITOR_LOGIN_HISTORY,
        MANAGE_PERMISSION_SETS,
    }
)  # fmt: skip

# Objects a query sees only with View Setup and Configuration (lower case, as SOQL matches).
SETUP_OBJECTS = frozenset(
    {"flowdefinition", "flowdefinitionview", "crontrigger", "cronjobdetail", "asyncapexjob",
     "apexclass", "setupaudittrail", "connectedapplication", "setupentityaccess"}
)  # fmt: skip
# PermissionSet needs View Setup and Configuration (or Assign Permission Sets, Manage
# Profiles and Permission Sets, ...); PermissionSetAssignment View Setup and Configuration,
# Assign Permission Sets or Manage Users (object reference, "Special Access Rules", Summer '20;
# docs/platform-notes.md S7). Of these the sandbox knows View Setup and Manage Users.
PERMISSION_SET_OBJECTS = frozenset({"permissionset"})
PERMISSION_ASSIGNMENT_OBJECTS = frozenset({"permissionsetassignment"})
# EventLogFile needs View Event Log Files (or View All Data).
EVENT_LOG_OBJECTS = frozenset({"eventlogfile"})
# Event Log Objects exist only with the Event Monitoring licence (and View Event Log Object
# Data); without them the object is unknown, as any hidden one: 400 INVALID_TYPE.
LICENSED_OBJECTS = frozenset({"apitotalusageeventlog"})
# LoginHistory: "only users with Manage Users or Monitor Login History" (docs/platform-notes.md
# A5): the watch permission set grants the second, never the first.
LOGIN_HISTORY_OBJECTS = frozenset({"loginhistory"})

INSUFFICIENT_ACCESS_MESSAGE = (
    "You do not have the level of access necessary to perform the operation you requested. "
    "Please contact the owner of the record or your administrator for access."
)


def api_disabled() -> Response:
    return errors.error(
        403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization."
    )


def insufficient_access() -> Response:
    return errors.error(403, "INSUFFICIENT_ACCESS", INSUFFICIENT_ACCESS_MESSAGE)


def read_only_object(record_id: str) -> Response:
    return errors.error(
        400,
        "INSUFFICIENT_ACCESS_OR_READONLY",
        f"insufficient access rights on object id: {record_id}",
    )

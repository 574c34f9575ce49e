"""The Salesforce user permissions apibrake's calls need, by API name.

Names as the Metadata API spells them in a permission set's `<userPermissions>` (the same
names a System Administrator profile retrieves); labels as Setup shows them. "Manage Flows"
is `ManageInteraction` (its older label was "Manage Force.com Flow"; there is no
`ManageFlow`). Sources: the REST API guide's Limits resource (View Setup and
Configuration), the Apex guide's Anonymous Blocks (API Enabled and Author Apex), Salesforce
Help "Metadata API Edit Access" (Modify Metadata Through Metadata API Functions is enabled
automatically with Author Apex, so a permission set granting Author Apex must hold it too),
the EventLogFile object reference ("View Event Log Files and API Enabled"; the API name
`ViewEventLogFiles` as permission sets in public repositories spell it);
Salesforce Help "Custom Settings" (public custom settings are reachable through the API "for
users with Customize Application permission"), the UserLogin object reference ("you need
the UserPermissions.ManageUsers permission").
LoginHistory: "only users with Manage Users or Monitor Login History permissions" (object
reference): Monitor Login History is the narrow one.

The repository's `salesforce/` project ships one permission set per capability (below, least
first); each grants what its capability's calls declare plus what Salesforce requires beside
them (`salesforce/permission-dependencies.toml`). Tests keep the XML, this module and the
dependency table equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from apibrake.http.errors import PermissionDenied, PlatformError
from apibrake.models.allowlist import AutomationKind
from apibrake.models.permissions import Permission

PERMISSION_SET_PATH = "salesforce/force-app/main/default/permissionsets"

API_ENABLED = Permission("ApiEnabled", "API Enabled", "every call")
VIEW_SETUP = Permission(
    "ViewSetup",
    "View Setup and Configuration",
    "the usage read (/limits) and the queries of setup objects (FlowDefinition, "
    "FlowDefinitionView, CronTrigger, AsyncApexJob, ApexClass, SetupAuditTrail)",
)
VIEW_EVENT_LOG_FILES = Permission(
    "ViewEventLogFiles",
    "View Event Log Files",
    "attribution: the EventLogFile query and the ApiTotalUsage file download (who spent "
    "the calls); the daily collection and the alerts' suspects go without it",
)
MANAGE_FLOWS = Permission(
    "ManageInteraction",
    "Manage Flows",
    "PATCH of FlowDefinition Metadata.activeVersionNumber: deactivating and re-activating flows",
    write=True,
)
AUTHOR_APEX = Permission(
    "AuthorApex",
    "Author Apex",
    "executeAnonymous: System.abortJob and System.schedule of scheduled Apex jobs; and the "
    "break-glass brake's Apex block over SOAP once REST is refused for the daily limit "
    "(jobs, kill switches, freezes: each also needs its kind's own permission)",
    write=True,
)
MODIFY_METADATA = Permission(
    "ModifyMetadata",
    "Modify Metadata Through Metadata API Functions",
    "not used by a call: Salesforce enables it with Author Apex, and refuses a permission "
    "set that has Author Apex without it",
    write=True,
)

CUSTOMIZE_APPLICATION = Permission(
    "CustomizeApplication",
    "Customize Application",
    "query, PATCH and POST (and on release DELETE) of a hierarchy custom setting's "
    "org-default row: setting a kill switch and putting it back",
    write=True,
)
MANAGE_USERS = Permission(
    "ManageUsers",
    "Manage Users",
    "query and PATCH of UserLogin.IsFrozen: freezing and unfreezing allowlisted users "
    "(grant it only when a user is allowlisted: it can freeze anyone); the UserLogin read "
    "needs it too, so the probe proves it",
)
MANAGE_PERMISSION_SETS = Permission(
    "ManageProfilesPermissionsets",
    "Manage Profiles and Permission Sets",
    "DELETE and POST of SetupEntityAccess: removing a permission set's access to an "
    "allowlisted connected app (`app` entries) and giving it back",
    write=True,
)
MONITOR_LOGIN_HISTORY = Permission(
    "MonitorLoginHistory",
    "Monitor Login History",
    "attribution's hint of which applications logged in (LoginHistory); the narrow "
    "alternative to Manage Users for this read",
)

# What `SalesforceClient.usage()` (GET /limits) needs.
USAGE_READ = (API_ENABLED, VIEW_SETUP)
# What attribution's sources need: SetupAuditTrail and AsyncApexJob ride on View Setup;
# LoginHistory takes Monitor Login History, so the watch never needs Manage Users.
# ApiTotalUsageEventLog also needs "View Event Log Object Data" and the Event Monitoring
# licence, optional and not in the permission sets (its API name is unconfirmed).
ATTRIBUTION = (API_ENABLED, VIEW_SETUP, VIEW_EVENT_LOG_FILES, MONITOR_LOGIN_HISTORY)


@dataclass(frozen=True)
class PermissionSet:
    """One shipped permission set: a capability an admin grants or withholds on its own.

    `needs` are what the capability's calls declare (the adapters' `permissions`, the
    usage read's and attribution's); the XML grants those plus what Salesforce requires
    beside them, from `salesforce/permission-dependencies.toml` (a test checks both)."""

    name: str  # the API name: the file name and `sf org assign permset --name`
    label: str
    capability: str
    kinds: tuple[AutomationKind, ...]  # the allowlist kinds it serves; () for the watch
    needs: tuple[Permission, ...]


WATCH_SET = PermissionSet(
    "apibrake_Watch",
    "apibrake Watch",
    "watch usage and name who spends the calls (reads only)",
    (),
    (*USAGE_READ, *ATTRIBUTION),
)
FLOWS_SET = PermissionSet(
    "apibrake_Brake_Flows",
    "apibrake Brake Flows",
    "deactivate and re-activate flows and Process Builder processes",
    (AutomationKind.FLOW,),
    (VIEW_SETUP, MANAGE_FLOWS),
)
SCHEDULED_APEX_SET = PermissionSet(
    "apibrake_Brake_Scheduled_Apex",
    "apibrake Brake Scheduled Apex",
    "abort and re-schedule scheduled Apex jobs (Author Apex: runs any Apex it sends)",
    (AutomationKind.SCHEDULED_APEX,),
    (VIEW_SETUP, AUTHOR_APEX, MODIFY_METADATA),
)
SETTINGS_SET = PermissionSet(
    "apibrake_Brake_Settings",
    "apibrake Brake Settings",
    "set and reset kill-switch custom settings (Customize Application)",
    (AutomationKind.SETTING,),
    (CUSTOMIZE_APPLICATION,),
)
FREEZE_USERS_SET = PermissionSet(
    "apibrake_Brake_Freeze_Users",
    "apibrake Brake Freeze Users",
    "freeze and unfreeze users (Manage Users and the user administration it requires)",
    (AutomationKind.USER,),
    (MANAGE_USERS,),
)
APPS_SET = PermissionSet(
    "apibrake_Brake_Apps",
    "apibrake Brake Apps",
    "remove and give back a permission set's access to allowlisted connected apps",
    (AutomationKind.APP,),
    (VIEW_SETUP, MANAGE_PERMISSION_SETS),
)
# The break-glass channel (brake/break_glass.py): anonymous Apex over SOAP once the limit
# is spent. Assigned beside the sets of the kinds it brakes (settings, users), whose
# permissions the Apex block also needs (anonymous Apex runs as the user).
BREAK_GLASS_SET = PermissionSet(
    "apibrake_Break_Glass",
    "apibrake Break Glass",
    "brake scheduled Apex, kill switches and freezes after the daily limit is spent "
    "(Author Apex: runs any Apex it sends)",
    (),
    (AUTHOR_APEX, MODIFY_METADATA),
)
# Least first: the watch is the base every install assigns; the brakes follow by risk.
PERMISSION_SETS = (
    WATCH_SET,
    FLOWS_SET,
    SCHEDULED_APEX_SET,
    SETTINGS_SET,
    FREEZE_USERS_SET,
    APPS_SET,
    BREAK_GLASS_SET,
)


def permission_set_for(permission: Permission) -> PermissionSet:
    """The least powerful shipped set that grants it (View Setup: the watch's)."""
    return next(s for s in PERMISSION_SETS if permission.name in {p.name for p in s.needs})


# errorCodes of a user without API Enabled (REST: API_DISABLED_FOR_ORG, "The REST API is
# not enabled for this Organization."; some clients see API_CURRENTLY_DISABLED).
API_DISABLED = frozenset({"API_DISABLED_FOR_ORG", "API_CURRENTLY_DISABLED"})
# A user without the permission a setup object needs does not see the object at all: a
# query answers 400 INVALID_TYPE ("sObject type 'CronTrigger' is not supported").
HIDDEN_OBJECT = "INVALID_TYPE"


def user_permission_xml(permission: Permission) -> str:
    """The line a permission set needs for it."""
    return (
        f"<userPermissions><enabled>true</enabled><name>{permission.name}</name></userPermissions>"
    )


def how_to_grant(permission: Permission) -> str:
    permission_set = permission_set_for(permission).name
    return (
        f"assign permission set {permission_set} (salesforce/) to the integration user, or add "
        f"{user_permission_xml(permission)} to its permission set"
    )


def refused_permissions(
    error: PlatformError, proves: tuple[Permission, ...]
) -> tuple[Permission, ...]:
    """What a refused read says is missing, among what the read proves; () when the
    error is not a refusal for a permission."""
    if error.code in API_DISABLED:
        return (API_ENABLED,)
    refused = isinstance(error, PermissionDenied) or error.code == HIDDEN_OBJECT
    if not refused:
        return ()
    # API Enabled is proven by any answer other than API_DISABLED.
    return tuple(p for p in proves if p != API_ENABLED) or proves

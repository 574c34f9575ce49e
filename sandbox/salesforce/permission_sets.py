"""The integration user's permission sets and their assignments, as PermissionSet and
PermissionSetAssignment queries see them (docs/platform-notes.md S7).

The user is assigned its profile's permission set (`IsOwnedByProfile`, named `X` + the
profile id, Salesforce help 000230980) and the sets the repository ships
(salesforce/force-app/main/default/permissionsets/). Each set's `Permissions<ApiName>` is
true when the set grants the permission and the user still holds it
(`SalesforceSettings.granted_permissions`): `org.revoke_permissions("ManageInteraction")`
reads back as every set without it, as after an admin unassigned the set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.salesforce import permissions
from sandbox.salesforce.settings import SalesforceSettings

Row = dict[str, Any]  # as sandbox/salesforce/sobjects.py's, which imports this module

# What the shipped permission sets grant, among the permissions the sandbox knows
# (the XML's other ones, such as the user administration Manage Users requires, are left
# out); tests/sandbox/test_salesforce_permission_sets.py keeps this equal to the XML.
SHIPPED_SETS: dict[str, frozenset[str]] = {
    "apibrake_Watch": frozenset(
        {permissions.API_ENABLED, permissions.VIEW_SETUP, permissions.VIEW_EVENT_LOG_FILES,
         permissions.MONITOR_LOGIN_HISTORY}
    ),
    "apibrake_Brake_Flows": frozenset({permissions.VIEW_SETUP, permissions.MANAGE_FLOWS}),
    "apibrake_Brake_Scheduled_Apex": frozenset(
        {permissions.VIEW_SETUP, permissions.AUTHOR_APEX, permissions.MODIFY_METADATA}
    ),
    "apibrake_Brake_Settings": frozenset(
        {permissions.VIEW_SETUP, permissions.CUSTOMIZE_APPLICATION}
    ),
    "apibrake_Brake_Freeze_Users": frozenset(
        {permissions.VIEW_SETUP, permissions.MANAGE_USERS, permissions.MONITOR_LOGIN_HISTORY,
         permissions.MANAGE_PERMISSION_SETS}
    ),
    "apibrake_Brake_Apps": frozenset(
        {permissions.VIEW_SETUP, permissions.MANAGE_PERMISSION_SETS}
    ),
    "apibrake_Break_Glass": frozenset({permissions.AUTHOR_APEX, permissions.MODIFY_METADATA}),
}  # fmt: skip
PROFILE_ID = "00e5g000000IntgPrf"
# The profile grants API Enabled (an API-only integration profile) and whatever no shipped
# set does, so that every permission the user holds shows on some assignment.
PROFILE_GRANTS = frozenset({permissions.API_ENABLED}) | (
    permissions.KNOWN - frozenset().union(*SHIPPED_SETS.values())
)
PERMISSION_SET_FIELDS = (
    "Id",
    "Name",
    "Label",
    "IsOwnedByProfile",
    "ProfileId",
    *sorted(f"Permissions{name}" for name in permissions.KNOWN),
)
ASSIGNMENT_FIELDS = ("Id", "AssigneeId", "PermissionSetId", "PermissionSetGroupId")


@dataclass(frozen=True)
class _PermissionSet:
    id: str
    name: str
    label: str
    grants: frozenset[str]
    profile_id: str | None = None


_SETS = (
    _PermissionSet("0PS5g0000000Prof01", f"X{PROFILE_ID}", PROFILE_ID, PROFILE_GRANTS, PROFILE_ID),
    *(
        _PermissionSet(f"0PS5g00000000Set{index:02d}", name, name.replace("_", " "), grants)
        for index, (name, grants) in enumerate(SHIPPED_SETS.items(), start=1)
    ),
)


class PermissionAssignments:
    """Rows of the integration user's sets and assignments, read from the live settings."""

    def __init__(self, settings: SalesforceSettings) -> None:
        self._settings = settings

    def permission_set_rows(self) -> list[Row]:
        return [self._set_row(permission_set) for permission_set in _SETS]

    def assignment_rows(self) -> list[Row]:
        return [
            {
                "Id": f"0Pa5g000000Asgn{index:03d}",
                "AssigneeId": self._settings.user_id,
                "PermissionSetId": permission_set.id,
                "PermissionSetGroupId": None,
                "PermissionSet": self._set_row(permission_set),
            }
            for index, permission_set in enumerate(_SETS, start=1)
        ]

    def _set_row(self, permission_set: _PermissionSet) -> Row:
        granted = {
            f"Permissions{name}": name in permission_set.grants and self._settings.grants(name)
            for name in sorted(permissions.KNOWN)
        }
        return {
            "Id": permission_set.id,
            "Name": permission_set.name,
            "Label": permission_set.label,
            "IsOwnedByProfile": permission_set.profile_id is not None,
            "ProfileId": permission_set.profile_id,
            **granted,
        }

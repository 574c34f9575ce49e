"""What the integration user holds: its user permissions read (never changed) from its
permission set assignments, in one query.

A profile's permissions live in a permission set the profile owns, which every user is
assigned (`PermissionSet.IsOwnedByProfile`), and a permission set group's assignment points
at the group's aggregated permission set: so the assignments of one user, with their
permission sets' `Permissions<ApiName>` booleans, are the user's effective permissions
(docs/platform-notes.md S7). A permission is held when any assignment's set has it.

An org may lack a field (a permission its edition or licences do not have): it answers 400
INVALID_FIELD "No such column 'PermissionsX' on entity 'PermissionSet'", naming the first
one. The read drops that field and asks again (a bounded number of times); a permission
whose field is dropped is "not checked", never "missing".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apibrake.http.errors import RequestRejected
from apibrake.models.permissions import Permission, unique
from apibrake.platforms.salesforce.soql import soql_strings

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

# One query, plus a retry for each of at most this many refused fields: each is one call.
MAX_REFUSED_FIELDS = 2
INVALID_FIELD = "INVALID_FIELD"
_REFUSED_COLUMN = re.compile(r"No such column '([A-Za-z0-9_.]+)'")


def permission_field(permission: Permission) -> str:
    """The PermissionSet field of a user permission: `Permissions` + its API name
    (`ManageInteraction`: `PermissionsManageInteraction`)."""
    return f"Permissions{permission.name}"


@dataclass(frozen=True)
class EffectivePermissions:
    """Per permission API name, the permission sets that grant it (empty: not held); the
    names the org would not let us read are `unchecked`."""

    granted_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unchecked: frozenset[str] = frozenset()
    # Why every permission is unchecked (the user id unknown, the read refused); "" if read.
    unread_because: str = ""

    def checked(self, permission: Permission) -> bool:
        return not self.unread_because and permission.name not in self.unchecked

    def holds(self, permission: Permission) -> bool:
        return bool(self.granted_by.get(permission.name))


def unread(reason: str) -> EffectivePermissions:
    return EffectivePermissions(unread_because=reason)


def assignments_query(user_id: str, permissions: Iterable[Permission]) -> str:
    fields = [
        "PermissionSet.Name",
        "PermissionSet.IsOwnedByProfile",
        "PermissionSetGroupId",
        *(f"PermissionSet.{permission_field(p)}" for p in permissions),
    ]
    return (
        f"SELECT {', '.join(fields)} FROM PermissionSetAssignment "  # noqa: S608 - id escaped
        f"WHERE AssigneeId = {soql_strings([user_id])}"
    )


async def read_effective_permissions(
    client: SalesforceClient, permissions: Iterable[Permission]
) -> EffectivePermissions:
    """The user's permissions among `permissions`: one call (one more per refused field).
    Other refusals (no View Setup: the object is hidden) raise, as any query's would."""
    user_id = await client.running_user_id()  # from the token: no call
    if not user_id:
        return unread("the integration user's id is unknown (the token named no user)")
    wanted = list(unique(permissions))
    refused: set[str] = set()
    for _ in range(MAX_REFUSED_FIELDS + 1):
        asked = [p for p in wanted if p.name not in refused]
        try:
            records = await client.query(assignments_query(user_id, asked))
        except RequestRejected as error:
            column = _refused_permission(error, asked)
            if column is None:
                raise
            refused.add(column.name)
            continue
        return _granted(records, asked, frozenset(refused))
    return unread(f"the org refused {len(refused)} permission fields; read stopped")


def _refused_permission(error: RequestRejected, asked: list[Permission]) -> Permission | None:
    """The asked permission whose field an INVALID_FIELD answer names; None otherwise."""
    if error.code != INVALID_FIELD:
        return None
    found = _REFUSED_COLUMN.search(error.message)
    column = found.group(1).rpartition(".")[2].lower() if found else ""
    return next((p for p in asked if permission_field(p).lower() == column), None)


def _granted(
    records: list[dict[str, Any]], asked: list[Permission], refused: frozenset[str]
) -> EffectivePermissions:
    if not records:
        # Every user has at least its profile's assignment: none read is no answer.
        return unread("no permission set assignment was readable for the integration user")
    granted_by: dict[str, tuple[str, ...]] = {}
    for permission in asked:
        sets = [
            _set_name(record)
            for record in records
            if (record.get("PermissionSet") or {}).get(permission_field(permission)) is True
        ]
        granted_by[permission.name] = tuple(dict.fromkeys(sets))
    return EffectivePermissions(granted_by, refused)


def _set_name(record: dict[str, Any]) -> str:
    permission_set = record.get("PermissionSet") or {}
    name = str(permission_set.get("Name") or "?")
    if permission_set.get("IsOwnedByProfile"):
        return f"the profile ({name})"
    if record.get("PermissionSetGroupId"):
        return f"permission set group {record['PermissionSetGroupId']} ({name})"
    return name

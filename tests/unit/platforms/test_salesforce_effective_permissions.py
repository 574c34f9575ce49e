"""The integration user's permissions read from its permission set assignments: the OR over
its sets, which set grants what, and a field the org refuses read as "not checked"."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from apibrake.http.errors import PermissionDenied, PlatformError, RequestRejected
from apibrake.models.permissions import Permission
from apibrake.platforms.salesforce.effective_permissions import (
    MAX_REFUSED_FIELDS,
    EffectivePermissions,
    read_effective_permissions,
)
from apibrake.platforms.salesforce.permissions import (
    AUTHOR_APEX,
    MANAGE_FLOWS,
    VIEW_EVENT_LOG_FILES,
    VIEW_SETUP,
)

USER_ID = "0055g00000IntgUser"
PROFILE = {"Name": "X00e5g000000IntgPrf", "IsOwnedByProfile": True}


def _assignment(name: str, **granted: bool) -> dict[str, Any]:
    fields = {f"Permissions{permission}": value for permission, value in granted.items()}
    return {
        "PermissionSetGroupId": None,
        "PermissionSet": {"Name": name, "IsOwnedByProfile": False, **fields},
    }


def invalid_field(soql: str, column: str) -> RequestRejected:
    """Salesforce's wording: an excerpt of the query, then the first unknown column."""
    return RequestRejected(
        "salesforce",
        f"{soql[:60]}\n^\nERROR at Row:1:Column:8\nNo such column '{column}' on entity "
        "'PermissionSet'. If you are attempting to use a custom field, ...",
        status=400,
        code="INVALID_FIELD",
    )


class Org:
    """A client answering the assignments query; `missing` fields are refused one at a
    time, as Salesforce names only the first unknown column; `refusal` refuses any query."""

    def __init__(
        self,
        records: list[dict[str, Any]],
        missing: tuple[str, ...] = (),
        user: str | None = USER_ID,
        refusal: PlatformError | None = None,
    ) -> None:
        self.records = records
        self.missing = missing
        self.user = user
        self.refusal = refusal
        self.queries: list[str] = []

    async def running_user_id(self) -> str | None:
        return self.user

    async def query(self, soql: str) -> list[dict[str, Any]]:
        self.queries.append(soql)
        if self.refusal is not None:
            raise self.refusal
        refused = next((f for f in self.missing if re.search(rf"\.{f}\b", soql)), None)
        if refused:
            raise invalid_field(soql, refused)
        return self.records


def _read(org: Org, *permissions: Permission) -> EffectivePermissions:
    return asyncio.run(read_effective_permissions(org, permissions))


def test_a_permission_is_held_when_any_set_grants_it_and_the_sets_are_named() -> None:
    profile = {
        "PermissionSetGroupId": None,
        "PermissionSet": {**PROFILE, "PermissionsViewSetup": True},
    }
    org = Org(
        [
            profile,
            _assignment("apibrake_Brake_Flows", ViewSetup=True, ManageInteraction=True),
            _assignment("apibrake_Watch", ManageInteraction=False),
        ]
    )
    held = _read(org, VIEW_SETUP, MANAGE_FLOWS, AUTHOR_APEX)
    assert held.holds(MANAGE_FLOWS)
    assert held.checked(MANAGE_FLOWS)
    assert held.granted_by["ManageInteraction"] == ("apibrake_Brake_Flows",)
    assert held.granted_by["ViewSetup"] == (
        "the profile (X00e5g000000IntgPrf)",
        "apibrake_Brake_Flows",
    )
    assert not held.holds(AUTHOR_APEX)
    assert held.checked(AUTHOR_APEX)
    # One query, for the running user, selecting each permission's field
    (query,) = org.queries
    assert f"WHERE AssigneeId = '{USER_ID}'" in query
    assert "PermissionSet.PermissionsManageInteraction" in query


def test_a_refused_field_is_dropped_and_its_permission_not_checked() -> None:
    org = Org(
        [_assignment("apibrake_Brake_Flows", ManageInteraction=True)],
        missing=("PermissionsViewEventLogFiles",),
    )
    held = _read(org, MANAGE_FLOWS, VIEW_EVENT_LOG_FILES)
    # Asked again without it: the others stand, it is neither held nor missing
    assert len(org.queries) == 2
    assert "PermissionsViewEventLogFiles" not in org.queries[1]
    assert held.holds(MANAGE_FLOWS)
    assert held.checked(MANAGE_FLOWS)
    assert not held.checked(VIEW_EVENT_LOG_FILES)
    assert held.unchecked == {"ViewEventLogFiles"}


def test_too_many_refused_fields_leave_everything_not_checked() -> None:
    fields = ("PermissionsViewSetup", "PermissionsManageInteraction", "PermissionsAuthorApex")
    org = Org([], missing=fields)
    held = _read(org, VIEW_SETUP, MANAGE_FLOWS, AUTHOR_APEX)
    assert len(org.queries) == MAX_REFUSED_FIELDS + 1
    assert held.unread_because
    assert not held.checked(VIEW_SETUP)


@pytest.mark.parametrize(
    "refusal",
    [
        invalid_field("SELECT ...", "Assignee.Name"),
        PermissionDenied("salesforce", "no access", status=403, code="INSUFFICIENT_ACCESS"),
    ],
)
def test_another_refusal_is_raised_as_any_query_s(refusal: PlatformError) -> None:
    org = Org([], refusal=refusal)
    with pytest.raises(type(refusal)):
        _read(org, MANAGE_FLOWS)
    assert len(org.queries) == 1


def test_no_user_id_or_no_assignment_is_not_checked_rather_than_missing() -> None:
    no_user = Org([_assignment("apibrake_Brake_Flows", ManageInteraction=True)], user=None)
    assert not _read(no_user, MANAGE_FLOWS).checked(MANAGE_FLOWS)
    assert no_user.queries == []  # no call spent without a user to ask about
    none_read = _read(Org([]), MANAGE_FLOWS)
    assert not none_read.checked(MANAGE_FLOWS)
    assert not none_read.holds(MANAGE_FLOWS)

"""The integration user's permission set assignments, read as apibrake reads them: one
query over PermissionSetAssignment with the sets' Permissions fields nested."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sandbox.salesforce import permissions
from sandbox.salesforce.permission_sets import SHIPPED_SETS
from tests.sandbox.salesforce_support import OrgClient

ROOT = Path(__file__).resolve().parents[2]
PERMISSION_SETS = ROOT / "salesforce" / "force-app" / "main" / "default" / "permissionsets"
QUERY = (
    "SELECT PermissionSet.Name, PermissionSet.IsOwnedByProfile, PermissionSetGroupId, "
    "PermissionSet.PermissionsManageInteraction, PermissionSet.PermissionsAuthorApex "
    "FROM PermissionSetAssignment WHERE AssigneeId = '{}'"
)


def _assignments(sf: OrgClient) -> list[dict[str, Any]]:
    response = sf.query(QUERY.format(sf.org.settings.user_id))
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["records"]
    return records


def test_the_profile_and_the_shipped_sets_come_back_nested(sf: OrgClient) -> None:
    records = _assignments(sf)
    sets = {r["PermissionSet"]["Name"]: r["PermissionSet"] for r in records}
    # The profile's own set (named X + the profile id) and every shipped one
    profile = next(s for s in sets.values() if s["IsOwnedByProfile"])
    assert str(profile["Name"]).startswith("X00e")
    assert set(SHIPPED_SETS) <= set(sets)
    flows = sets["apibrake_Brake_Flows"]
    assert flows["attributes"]["type"] == "PermissionSet"
    assert (flows["PermissionsManageInteraction"], flows["PermissionsAuthorApex"]) == (True, False)
    assert records[0]["PermissionSetGroupId"] is None


def test_a_revoked_permission_reads_false_on_every_set(sf: OrgClient) -> None:
    sf.org.revoke_permissions("ManageInteraction")
    granting = [
        r["PermissionSet"]["Name"]
        for r in _assignments(sf)
        if r["PermissionSet"]["PermissionsManageInteraction"]
    ]
    assert granting == []


def test_an_unknown_permission_field_is_refused_as_invalid_field(sf: OrgClient) -> None:
    response = sf.query("SELECT PermissionSet.PermissionsNoSuchThing FROM PermissionSetAssignment")
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'PermissionsNoSuchThing'" in error["message"]


def test_assignments_are_hidden_without_view_setup_or_manage_users(sf: OrgClient) -> None:
    sf.org.revoke_permissions("ViewSetup", "ManageUsers")
    response = sf.query("SELECT Id FROM PermissionSetAssignment")
    assert (response.status_code, response.json()[0]["errorCode"]) == (400, "INVALID_TYPE")


@pytest.mark.parametrize("name", sorted(SHIPPED_SETS))
def test_the_shipped_sets_are_the_xml_among_the_known_permissions(name: str) -> None:
    xml = (PERMISSION_SETS / f"{name}.permissionset-meta.xml").read_text(encoding="utf-8")
    granted = set(re.findall(r"<name>(\w+)</name>", xml))
    assert SHIPPED_SETS[name] == granted & permissions.KNOWN


def test_a_permission_field_the_org_lacks_is_refused_naming_it(sf: OrgClient) -> None:
    sf.org.settings.missing_permission_fields = frozenset({"PermissionsAuthorApex"})
    response = sf.query(QUERY.format(sf.org.settings.user_id))
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'PermissionsAuthorApex' on entity 'PermissionSet'" in error["message"]

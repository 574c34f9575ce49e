"""What the code declares it needs is what the repository grants and documents, both ways:
the Salesforce permission set in salesforce/, its README table, and the HubSpot scopes in
docs/setup.md."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from apibrake.incident.adapters import ADAPTERS, all_permissions
from apibrake.models.connection import Platform
from apibrake.platforms.permissions import attribution_permissions, usage_permissions
from apibrake.platforms.salesforce.permissions import PERMISSION_SET, PERMISSION_SET_PATH

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "salesforce"
PERMISSION_SET_FILE = ROOT / PERMISSION_SET_PATH / f"{PERMISSION_SET}.permissionset-meta.xml"
NS = {"md": "http://soap.sforce.com/2006/04/metadata"}


def _permission_set() -> ET.Element:
    return ET.parse(PERMISSION_SET_FILE).getroot()  # noqa: S314 - our own file


def _granted() -> list[str]:
    root = _permission_set()
    granted = []
    for entry in root.findall("md:userPermissions", NS):
        assert entry.findtext("md:enabled", namespaces=NS) == "true", ET.tostring(entry)
        granted.append(str(entry.findtext("md:name", namespaces=NS)))
    return granted


def _declared(platform: Platform) -> set[str]:
    return {permission.name for permission in all_permissions(platform)}


def _table_names(text: str) -> set[str]:
    """The backquoted first cell of each row of a markdown table."""
    return set(re.findall(r"^\s*\|\s*`([^`]+)`\s*\|", text, re.MULTILINE))


def test_permission_set_grants_exactly_what_the_code_declares() -> None:
    granted = _granted()
    declared = _declared(Platform.SALESFORCE)
    assert sorted(declared - set(granted)) == [], "missing from the permission set"
    assert sorted(set(granted) - declared) == [], "granted but declared by no call"
    assert granted == sorted(set(granted)), "one entry each, sorted as Salesforce retrieves"


def test_every_salesforce_call_is_covered_by_the_usage_read_an_adapter_or_attribution() -> None:
    sources = {p.name for p in usage_permissions(Platform.SALESFORCE)}
    sources |= {p.name for p in attribution_permissions(Platform.SALESFORCE)}
    sources |= {
        p.name
        for a in ADAPTERS.values()
        if a.platform is Platform.SALESFORCE
        for p in a.permissions
    }
    assert sources == _declared(Platform.SALESFORCE)


def test_permission_set_is_deployable_metadata() -> None:
    root = _permission_set()
    assert root.tag == f"{{{NS['md']}}}PermissionSet"
    assert root.findtext("md:label", namespaces=NS)
    assert root.findtext("md:hasActivationRequired", namespaces=NS) == "false"
    assert len(root.findtext("md:description", namespaces=NS) or "") <= 255
    # No licence: assignable to a Salesforce Integration user; no object or field access.
    assert root.find("md:license", NS) is None
    assert root.find("md:objectPermissions", NS) is None
    assert root.find("md:fieldPermissions", NS) is None


def test_sfdx_project_points_at_the_permission_set() -> None:
    project = json.loads((PROJECT / "sfdx-project.json").read_text(encoding="utf-8"))
    (package,) = project["packageDirectories"]
    assert package["default"] is True
    assert PERMISSION_SET_FILE.is_relative_to(PROJECT / package["path"])
    assert re.fullmatch(r"\d{2}\.0", project["sourceApiVersion"])


def test_salesforce_readme_lists_exactly_the_granted_permissions() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert _table_names(readme) == set(_granted())
    assert f"sf org assign permset --name {PERMISSION_SET}" in readme


def test_setup_docs_list_exactly_the_hubspot_scopes_the_code_declares() -> None:
    setup = (ROOT / "docs" / "setup.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- hubspot-scopes.*?-->(.*?)<!-- /hubspot-scopes -->", setup, re.DOTALL)
    assert found, "docs/setup.md lost its hubspot-scopes table"
    assert _table_names(found.group(1)) == _declared(Platform.HUBSPOT)

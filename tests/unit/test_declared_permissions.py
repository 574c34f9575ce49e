"""What the code declares it needs is what the repository grants and documents, both ways:
the Salesforce permission sets in salesforce/ (one per capability), their README tables, and
the HubSpot scopes in docs/setup.md. What Salesforce requires beside each permission is
checked by test_permission_dependencies.py."""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from apibrake.incident.adapters import ADAPTERS, adapters_for, all_permissions
from apibrake.models.connection import Platform
from apibrake.models.permissions import unique
from apibrake.platforms.permissions import attribution_permissions, usage_permissions
from apibrake.platforms.salesforce.permissions import (
    MANAGE_USERS,
    PERMISSION_SET_PATH,
    PERMISSION_SETS,
    WATCH_SET,
    PermissionSet,
)

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "salesforce"
NS = {"md": "http://soap.sforce.com/2006/04/metadata"}


def _file(permission_set: PermissionSet) -> Path:
    return ROOT / PERMISSION_SET_PATH / f"{permission_set.name}.permissionset-meta.xml"


def _metadata(permission_set: PermissionSet) -> ET.Element:
    return ET.parse(_file(permission_set)).getroot()  # noqa: S314 - our own file


def _granted(permission_set: PermissionSet) -> list[str]:
    granted = []
    for entry in _metadata(permission_set).findall("md:userPermissions", NS):
        assert entry.findtext("md:enabled", namespaces=NS) == "true", ET.tostring(entry)
        granted.append(str(entry.findtext("md:name", namespaces=NS)))
    return granted


def _with_requirements(names: set[str]) -> set[str]:
    """The names and everything Salesforce requires beside them, transitively."""
    with (PROJECT / "permission-dependencies.toml").open("rb") as file:
        table = tomllib.load(file)["permissions"]
    closed, pending = set(names), list(names)
    while pending:
        for required in table.get(pending.pop(), {}).get("requires", []):
            if required not in closed:
                closed.add(required)
                pending.append(required)
    return closed


def _declared(platform: Platform) -> set[str]:
    return {permission.name for permission in all_permissions(platform)}


def _table_names(text: str) -> set[str]:
    """The backquoted first cell of each row of a markdown table."""
    return set(re.findall(r"^\s*\|\s*`([^`]+)`\s*\|", text, re.MULTILINE))


def _ids(permission_set: PermissionSet) -> str:
    return permission_set.name


def test_the_shipped_files_are_exactly_the_declared_sets() -> None:
    shipped = {path.name for path in (ROOT / PERMISSION_SET_PATH).glob("*-meta.xml")}
    assert shipped == {_file(s).name for s in PERMISSION_SETS}


@pytest.mark.parametrize("permission_set", PERMISSION_SETS, ids=_ids)
def test_a_set_grants_what_its_capability_declares_and_what_salesforce_requires(
    permission_set: PermissionSet,
) -> None:
    granted = _granted(permission_set)
    expected = _with_requirements({p.name for p in permission_set.needs})
    assert sorted(expected - set(granted)) == [], "missing from the permission set"
    assert sorted(set(granted) - expected) == [], "granted but neither declared nor required"
    assert granted == sorted(set(granted)), "one entry each, sorted as Salesforce retrieves"


def test_the_sets_together_need_exactly_what_the_code_declares() -> None:
    needed = {p.name for s in PERMISSION_SETS for p in s.needs}
    assert needed == _declared(Platform.SALESFORCE)


def test_each_salesforce_kind_has_one_set_needing_exactly_its_adapters_permissions() -> None:
    for adapter in adapters_for(Platform.SALESFORCE):
        (permission_set,) = [s for s in PERMISSION_SETS if adapter.kind in s.kinds]
        assert set(permission_set.needs) == set(adapter.permissions), adapter.kind


def test_the_watch_set_needs_the_usage_read_and_attribution_and_never_manage_users() -> None:
    reads = unique(
        [*usage_permissions(Platform.SALESFORCE), *attribution_permissions(Platform.SALESFORCE)]
    )
    assert set(WATCH_SET.needs) == set(reads)
    assert WATCH_SET.kinds == ()
    assert MANAGE_USERS.name not in _granted(WATCH_SET)
    assert all(not p.write for p in WATCH_SET.needs), "the watch changes nothing"


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


@pytest.mark.parametrize("permission_set", PERMISSION_SETS, ids=_ids)
def test_a_set_is_deployable_metadata(permission_set: PermissionSet) -> None:
    root = _metadata(permission_set)
    assert root.tag == f"{{{NS['md']}}}PermissionSet"
    assert root.findtext("md:label", namespaces=NS) == permission_set.label
    assert root.findtext("md:hasActivationRequired", namespaces=NS) == "false"
    assert len(root.findtext("md:description", namespaces=NS) or "") <= 255
    # No licence: assignable to a Salesforce Integration user; no object or field access.
    assert root.find("md:license", NS) is None
    assert root.find("md:objectPermissions", NS) is None
    assert root.find("md:fieldPermissions", NS) is None
    # Permission set API names: a letter first, then letters, digits, single underscores.
    assert re.fullmatch(r"[A-Za-z](?:_?[A-Za-z0-9])*", permission_set.name)


def test_sfdx_project_points_at_the_permission_sets() -> None:
    project = json.loads((PROJECT / "sfdx-project.json").read_text(encoding="utf-8"))
    (package,) = project["packageDirectories"]
    assert package["default"] is True
    for permission_set in PERMISSION_SETS:
        assert _file(permission_set).is_relative_to(PROJECT / package["path"])
    assert re.fullmatch(r"\d{2}\.0", project["sourceApiVersion"])


def test_salesforce_readme_lists_exactly_the_declared_permissions_and_every_set() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- declared -->(.*?)<!-- /declared -->", readme, re.DOTALL)
    assert found, "salesforce/README.md lost its table of declared permissions"
    assert _table_names(found.group(1)) == _declared(Platform.SALESFORCE)
    for permission_set in PERMISSION_SETS:
        assert f"sf org assign permset --name {permission_set.name}" in readme


def test_setup_docs_name_every_set_and_the_kinds_it_serves() -> None:
    setup = (ROOT / "docs" / "setup.md").read_text(encoding="utf-8")
    for permission_set in PERMISSION_SETS:
        assert f"`{permission_set.name}`" in setup
        for kind in permission_set.kinds:
            assert f"`{kind.value}`" in setup


def test_setup_docs_list_exactly_the_hubspot_scopes_the_code_declares() -> None:
    setup = (ROOT / "docs" / "setup.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- hubspot-scopes.*?-->(.*?)<!-- /hubspot-scopes -->", setup, re.DOTALL)
    assert found, "docs/setup.md lost its hubspot-scopes table"
    assert _table_names(found.group(1)) == _declared(Platform.HUBSPOT)

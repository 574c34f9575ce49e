"""Every shipped Salesforce permission set deploys on its own: it grants, beside each of its
permissions, every permission Salesforce requires with it (salesforce/permission-dependencies.toml).

Pure metadata: these tests read the XML and the table and import nothing of apibrake, so a
hand-edited permission set is checked as strictly as a generated one. A set missing a
requirement fails here instead of in an admin's `sf project deploy start` ("Permission X
depends on permission(s): ...").
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PERMISSION_SETS = ROOT / "salesforce" / "force-app" / "main" / "default" / "permissionsets"
TABLE = ROOT / "salesforce" / "permission-dependencies.toml"
TABLE_DOC = ROOT / "salesforce" / "permission-dependencies.md"
NS = {"md": "http://soap.sforce.com/2006/04/metadata"}
EVIDENCE = {"documented", "deploy error", "setup ui", "none found"}


def _table() -> dict[str, dict[str, Any]]:
    with TABLE.open("rb") as file:
        return dict(tomllib.load(file)["permissions"])


def _shipped() -> list[Path]:
    return sorted(PERMISSION_SETS.glob("*.permissionset-meta.xml"))


def _granted(path: Path) -> set[str]:
    root = ET.parse(path).getroot()  # noqa: S314 - our own file
    return {
        str(entry.findtext("md:name", namespaces=NS))
        for entry in root.findall("md:userPermissions", NS)
        if entry.findtext("md:enabled", namespaces=NS) == "true"
    }


def _set_name(path: Path) -> str:
    return path.name.removesuffix(".permissionset-meta.xml")


def test_there_are_permission_sets_to_check() -> None:
    assert len(_shipped()) >= 2, "the per-capability permission sets are gone"


@pytest.mark.parametrize("path", _shipped(), ids=_set_name)
def test_a_shipped_set_grants_every_permission_its_permissions_require(path: Path) -> None:
    table = _table()
    granted = _granted(path)
    undescribed = sorted(granted - table.keys())
    missing = {
        permission: sorted(set(table[permission]["requires"]) - granted)
        for permission in sorted(granted & table.keys())
        if set(table[permission]["requires"]) - granted
    }

    assert undescribed == [], "granted but not in permission-dependencies.toml: describe it"
    assert missing == {}, "Salesforce would refuse the deploy: add these beside them"


@pytest.mark.parametrize("path", _shipped(), ids=_set_name)
def test_a_shipped_set_grants_no_org_dependent_permission(path: Path) -> None:
    # They exist only where a feature is on; elsewhere the deploy fails on an unknown name.
    table = _table()
    org_dependent = {name for entry in table.values() for name in entry.get("org_dependent", [])}

    assert sorted(_granted(path) & org_dependent) == []


def test_the_table_is_closed_and_says_where_each_fact_comes_from() -> None:
    table = _table()
    for name, entry in table.items():
        assert set(entry["requires"]) <= table.keys(), f"{name} requires an undescribed one"
        assert name not in entry["requires"], name
        assert entry["label"], name
        assert entry["evidence"] in EVIDENCE, name
        if entry["evidence"] != "none found":
            assert entry["sources"], f"{name}: {entry['evidence']} from where?"
        for source in entry["sources"]:
            assert source.startswith(("https://", "Setup UI")), f"{name}: {source}"


def test_the_table_for_people_lists_the_same_requirements() -> None:
    """salesforce/permission-dependencies.md: one row per entry, `requires` in its second
    cell as backquoted API names (or "none known")."""
    text = TABLE_DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- dependencies -->(.*?)<!-- /dependencies -->", text, re.DOTALL)
    assert found, "permission-dependencies.md lost its table"
    rows = {
        match.group(1): set(re.findall(r"`([^`]+)`", match.group(2)))
        for match in re.finditer(r"^\|\s*`([^`]+)`[^|]*\|([^|]*)\|", found.group(1), re.MULTILINE)
    }

    assert rows == {name: set(entry["requires"]) for name, entry in _table().items()}

"""The sandbox org's kill switches and frozen users over HTTP: describe, query by
SetupOwnerId, PATCH, POST, DELETE of hierarchy custom setting rows, UserLogin freezes, what
they do to the calls triggers and integrations burn, permissions, faults and the audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from sandbox.faults import Fault, FaultKind
from sandbox.salesforce.connector import records_costing
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import API, OrgClient

SWITCH = "Trigger_Switches__c.Disable_Rollups__c"


@pytest.fixture
def sf(sandbox: Sandbox) -> Iterator[OrgClient]:
    org = sandbox.salesforce
    org.switches.add_setting("Trigger_Switches__c", {"Disable_Rollups__c": False})
    org.switches.add_setting("Empty_Switches__c", ["Disable_All__c"])
    org.switches.add_setting("Region_Codes__c", ["Active__c"], hierarchy=False)
    client = OrgClient(sandbox).login()
    yield client
    client.close()


def _org_row(sf: OrgClient, setting: str, field: str) -> list[dict[str, object]]:
    org_id = sf.org.settings.org_id
    soql = f"SELECT Id, {field} FROM {setting} WHERE SetupOwnerId = '{org_id}'"  # noqa: S608 - test names
    response = sf.query(soql)
    assert response.status_code == 200, response.text
    records: list[dict[str, object]] = response.json()["records"]
    return records


def test_describe_lists_custom_settings_and_their_fields(sf: OrgClient) -> None:
    sobjects = {s["name"]: s for s in sf.get(f"{API}/sobjects").json()["sobjects"]}
    assert sobjects["Trigger_Switches__c"]["customSetting"] is True
    assert sobjects["UserLogin"]["customSetting"] is False
    fields = {
        f["name"]: f
        for f in sf.get(f"{API}/sobjects/Trigger_Switches__c/describe").json()["fields"]
    }
    assert fields["Disable_Rollups__c"]["type"] == "boolean"
    assert "SetupOwnerId" in fields
    listed = sf.get(f"{API}/sobjects/Region_Codes__c/describe").json()["fields"]
    assert "SetupOwnerId" not in {f["name"] for f in listed}  # a list setting


def test_patch_post_delete_of_the_org_default_row(sf: OrgClient) -> None:
    (row,) = _org_row(sf, "Trigger_Switches__c", "Disable_Rollups__c")
    patched = sf.request(
        "PATCH",
        f"{API}/sobjects/Trigger_Switches__c/{row['Id']}",
        json={"Disable_Rollups__c": True},
    )
    assert patched.status_code == 204
    assert sf.org.switches.org_default(SWITCH) is True
    assert _org_row(sf, "Empty_Switches__c", "Disable_All__c") == []
    body = {"SetupOwnerId": sf.org.settings.org_id, "Disable_All__c": True}
    created = sf.request("POST", f"{API}/sobjects/Empty_Switches__c", json=body)
    assert created.status_code == 201
    assert created.json()["success"] is True
    again = sf.request("POST", f"{API}/sobjects/Empty_Switches__c", json=body)
    assert (again.status_code, again.json()[0]["errorCode"]) == (400, "DUPLICATE_VALUE")
    deleted = sf.request("DELETE", f"{API}/sobjects/Empty_Switches__c/{created.json()['id']}")
    assert deleted.status_code == 204
    assert _org_row(sf, "Empty_Switches__c", "Disable_All__c") == []
    kinds = [m.kind for m in sf.sandbox.audit.entries("salesforce") if m.actor == "api"]
    assert kinds == ["setting_update", "setting_create", "setting_delete"]


def test_a_trigger_stops_changing_records_while_its_switch_is_set(sf: OrgClient) -> None:
    org = sf.org
    org.connector.settings.sync_error_share = 0
    org.switches.add_trigger(
        "RollupTrigger", records_per_hour=records_costing(6_000), switch=SWITCH
    )
    used, _ = org.usage()
    sf.sandbox.advance(timedelta(hours=1))
    org.switches.set_by_hand(SWITCH, True)
    sf.sandbox.advance(timedelta(hours=1))
    # The connector synced the hour's changes (6,000 calls' worth), nothing after the switch
    assert org.usage()[0] - used == 6_000
    sf.sandbox.advance(timedelta(hours=1))
    assert org.usage()[0] - used == 6_000


def test_freezing_a_user_stops_its_integration(sf: OrgClient) -> None:
    org = sf.org
    etl = org.switches.add_integration_user("etl@acme.com", calls_per_hour=3_000)
    soql = f"SELECT Id, IsFrozen FROM UserLogin WHERE UserId = '{etl.id}'"  # noqa: S608 - an id
    (login,) = sf.query(soql).json()["records"]
    assert login["IsFrozen"] is False
    frozen = sf.request("PATCH", f"{API}/sobjects/UserLogin/{login['Id']}", json={"IsFrozen": True})
    assert frozen.status_code == 204
    used, _ = org.usage()
    sf.sandbox.advance(timedelta(hours=1))
    assert org.usage()[0] == used  # frozen: nothing burnt
    sf.request("PATCH", f"{API}/sobjects/UserLogin/{login['Id']}", json={"IsFrozen": False})
    used, _ = org.usage()
    sf.sandbox.advance(timedelta(hours=1))
    assert org.usage()[0] - used == 3_000


def test_sessions_that_outlive_a_freeze_keep_burning_until_they_end(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    org.settings.frozen_sessions_last = timedelta(minutes=30)
    etl = org.switches.add_integration_user("etl@acme.com", calls_per_hour=6_000)
    org.switches.freeze_by_hand(etl.username)
    used, _ = org.usage()
    sandbox.advance(timedelta(hours=2))
    assert org.usage()[0] - used == 3_000  # half an hour more, then nothing


def test_without_the_permissions_settings_and_logins_are_hidden(sf: OrgClient) -> None:
    sf.org.revoke_permissions("CustomizeApplication", "ManageUsers")
    hidden = sf.query("SELECT Id FROM Trigger_Switches__c")
    assert (hidden.status_code, hidden.json()[0]["errorCode"]) == (400, "INVALID_TYPE")
    logins = sf.query("SELECT Id FROM UserLogin")
    assert (logins.status_code, logins.json()[0]["errorCode"]) == (400, "INVALID_TYPE")


def test_faults_hit_the_new_endpoints(sf: OrgClient) -> None:
    (row,) = _org_row(sf, "Trigger_Switches__c", "Disable_Rollups__c")
    sf.sandbox.salesforce_server.faults.add(
        Fault(
            kind=FaultKind.STATUS,
            status=503,
            path=r"/sobjects/Trigger_Switches__c/",
            method="PATCH",
        )
    )
    path = f"{API}/sobjects/Trigger_Switches__c/{row['Id']}"
    refused = sf.request("PATCH", path, json={"Disable_Rollups__c": True})
    assert (refused.status_code, refused.json()[0]["errorCode"]) == (503, "SERVER_UNAVAILABLE")
    assert sf.org.switches.org_default(SWITCH) is False  # not applied
    assert sf.request("PATCH", path, json={"Disable_Rollups__c": True}).status_code == 204

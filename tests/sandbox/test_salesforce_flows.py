"""Flow activation through the Tooling API: single PATCH, composite batches and the audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.salesforce import SalesforceSettings
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import TOOLING, OrgClient, activation

HALTED = [
    {
        "message": "The transaction was rolled back since another operation in the same "
        "transaction failed.",
        "errorCode": "PROCESSING_HALTED",
    }
]


def _active_version(sf: OrgClient, flow_id: str) -> int | None:
    response = sf.query(
        f"SELECT ActiveVersion.VersionNumber FROM FlowDefinition WHERE Id = '{flow_id}'",  # noqa: S608
        tooling=True,
    )
    active = response.json()["records"][0]["ActiveVersion"]
    return None if active is None else int(active["VersionNumber"])


def test_deactivate_then_restore_the_recorded_version(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=4, active_version=3)

    off = sf.patch_flow(flow.id, 0)
    assert off.status_code == 204
    assert off.content == b""
    assert _active_version(sf, flow.id) is None
    on = sf.patch_flow(flow.id, 3)
    assert on.status_code == 204
    assert _active_version(sf, flow.id) == 3

    entries = sf.sandbox.audit.entries(platform="salesforce", kind="flow_activation")
    assert [(e.target, e.before, e.after, e.actor) for e in entries] == [
        ("Account_Rollup", {"active_version": 3}, {"active_version": None}, "api"),
        ("Account_Rollup", {"active_version": None}, {"active_version": 3}, "api"),
    ]


def test_fifteen_character_ids_address_the_same_flow(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=2)

    assert sf.patch_flow(flow.id[:15], 0).status_code == 204
    assert sf.org.flow("Account_Rollup").active_version is None


def test_activating_a_draft_makes_it_final(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=3, latest_is_draft=True)
    assert flow.active_version == 2

    assert sf.patch_flow(flow.id, 3).status_code == 204

    assert flow.status_of(flow.versions[2]) == "Active"
    assert flow.status_of(flow.versions[1]) == "Obsolete"


@pytest.mark.parametrize(
    ("path_id", "body", "status", "error_code"),
    [
        ("flow", {"Metadata": {"activeVersionNumber": 9}}, 400, "FIELD_INTEGRITY_EXCEPTION"),
        ("flow", {"Metadata": {"activeVersionNumber": "2"}}, 400, "JSON_PARSER_ERROR"),
        ("flow", {"Metadata": {}}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ("flow", {"DeveloperName": "x"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ("3005g0000000zzzAAA", {"Metadata": {"activeVersionNumber": 0}}, 404, "NOT_FOUND"),
    ],
)
def test_refused_patches_leave_the_flow_alone(
    sf: OrgClient, path_id: str, body: object, status: int, error_code: str
) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=2)
    target = flow.id if path_id == "flow" else path_id

    response = sf.request("PATCH", f"{TOOLING}/sobjects/FlowDefinition/{target}", json=body)

    assert response.status_code == status
    assert response.json()[0]["errorCode"] == error_code
    assert flow.active_version == 2
    assert sf.sandbox.audit.entries() == []


def test_body_that_is_not_json_is_a_parser_error(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup")

    response = sf.request(
        "PATCH", f"{TOOLING}/sobjects/FlowDefinition/{flow.id}", content=b"{not json"
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_managed_flows_can_be_made_read_only(sandbox_factory: Callable[..., Sandbox]) -> None:
    settings = SalesforceSettings(managed_flows_editable=False)
    client = OrgClient(sandbox_factory(salesforce=settings)).login()
    managed = client.org.add_flow("Managed_Flow", namespace="acme")
    local = client.org.add_flow("Local_Flow")

    refused = client.patch_flow(managed.id, 0)

    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "CANNOT_MODIFY_MANAGED_OBJECT"
    assert managed.active_version == 1
    assert client.patch_flow(local.id, 0).status_code == 204
    client.close()


def test_a_204_without_effect_can_be_staged(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Stubborn_Flow", versions=2)
    sf.org.ignore_next_activation("Stubborn_Flow")

    assert sf.patch_flow(flow.id, 0).status_code == 204
    assert _active_version(sf, flow.id) == 2
    assert sf.patch_flow(flow.id, 0).status_code == 204
    assert _active_version(sf, flow.id) is None


def test_composite_applies_each_item_and_reports_partial_failure(sf: OrgClient) -> None:
    first = sf.org.add_flow("First_Flow", versions=2)
    second = sf.org.add_flow("Second_Flow", versions=2)

    response = sf.composite(
        [activation(first.id, 0, "f1"), activation(second.id, 7, "f2")], all_or_none=False
    )

    assert response.status_code == 200
    ok, failed = response.json()["compositeResponse"]
    assert ok == {"body": None, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "f1"}
    assert failed["httpStatusCode"] == 400
    assert failed["referenceId"] == "f2"
    assert failed["body"][0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert first.active_version is None
    assert second.active_version == 2
    assert [e.target for e in sf.sandbox.audit.entries()] == ["First_Flow"]


def test_composite_all_or_none_rolls_everything_back(sf: OrgClient) -> None:
    flows = [sf.org.add_flow(f"Flow_{n}", versions=2) for n in range(3)]
    items = [activation(flows[0].id, 0, "f0"), activation(flows[1].id, 9, "f1")]
    items.append(activation(flows[2].id, 0, "f2"))

    response = sf.composite(items, all_or_none=True)

    assert response.status_code == 200
    results = response.json()["compositeResponse"]
    assert [r["referenceId"] for r in results] == ["f0", "f1", "f2"]
    assert [r["httpStatusCode"] for r in results] == [400, 400, 400]
    assert results[0]["body"] == HALTED
    assert results[1]["body"][0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert results[2]["body"] == HALTED
    assert [f.active_version for f in flows] == [2, 2, 2]
    assert sf.sandbox.audit.entries() == []


def test_composite_all_or_none_commits_when_every_item_succeeds(sf: OrgClient) -> None:
    flows = [sf.org.add_flow(f"Flow_{n}", versions=2) for n in range(3)]

    response = sf.composite(
        [activation(f.id, 0, f"f{n}") for n, f in enumerate(flows)], all_or_none=True
    )

    assert [r["httpStatusCode"] for r in response.json()["compositeResponse"]] == [204] * 3
    assert [f.active_version for f in flows] == [None, None, None]
    assert len(sf.sandbox.audit.entries(kind="flow_activation")) == 3


def test_composite_takes_at_most_25_subrequests(sf: OrgClient) -> None:
    flows = [sf.org.add_flow(f"Flow_{n}", versions=2) for n in range(26)]

    too_many = sf.composite(
        [activation(f.id, 0, f"f{n}") for n, f in enumerate(flows)], all_or_none=False
    )
    just_enough = sf.composite(
        [activation(f.id, 0, f"f{n}") for n, f in enumerate(flows[:25])], all_or_none=False
    )

    assert too_many.status_code == 400
    assert too_many.json()[0]["errorCode"] == "LIMIT_EXCEEDED"
    assert just_enough.status_code == 200
    assert [f.active_version for f in flows].count(None) == 25


def test_composite_refuses_other_subrequests_item_by_item(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=2)
    apex = {
        "method": "GET",
        "url": f"{TOOLING}/executeAnonymous/?anonymousBody=System.abortJob('x');",
        "referenceId": "apex",
    }

    response = sf.composite([apex, activation(flow.id, 0, "f1")], all_or_none=False)

    refused, done = response.json()["compositeResponse"]
    assert refused["httpStatusCode"] == 400
    assert done["httpStatusCode"] == 204


def test_people_can_change_flows_between_brake_and_release(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=3, active_version=2)

    sf.org.activate_flow_by_hand("Account_Rollup", 3)
    sf.org.activate_flow_by_hand("Account_Rollup", 0)

    assert flow.active_version is None
    entries = sf.sandbox.audit.entries(kind="flow_activation")
    assert [(e.before, e.after, e.actor) for e in entries] == [
        ({"active_version": 2}, {"active_version": 3}, "human"),
        ({"active_version": 3}, {"active_version": None}, "human"),
    ]
    with pytest.raises(ValueError, match="no version 7"):
        sf.org.activate_flow_by_hand("Account_Rollup", 7)

"""Automation v4 flows: list, get, batch read, and the full-replace PUT with its audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from sandbox.hubspot import HubSpotSettings
from tests.sandbox.hubspot_support import RunningPortal, editable, running_portal

FLOWS = "/automation/v4/flows"
READ_ONLY = ("id", "createdAt", "updatedAt", "dataSources", "crmObjectCreationStatus")


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        running.portal.add_workflow("Lifecycle stage sync", flow_id="101")
        running.portal.add_workflow(
            "Deal priority", flow_id="202", type="PLATFORM_FLOW", object_type_id="0-3"
        )
        yield running


def _disable_body(hs: RunningPortal, flow_id: str) -> dict:
    body = editable(hs.get(f"{FLOWS}/{flow_id}").json())
    body["isEnabled"] = False
    return body


def test_added_workflow_has_the_v4_shape(hs: RunningPortal) -> None:
    contact, platform = hs.portal.workflow("101"), hs.portal.workflow("202")

    assert contact["type"] == "CONTACT_FLOW"
    assert contact["canEnrollFromSalesforce"] is False
    assert contact["suppressionListIds"] == []
    assert platform["type"] == "PLATFORM_FLOW"
    assert "suppressionListIds" not in platform
    for flow in (contact, platform):
        assert flow["revisionId"] == "1"
        assert len(flow["actions"]) >= 2
        assert all(isinstance(v, str) for v in flow["actions"][0]["fields"].values())
        assert flow["nextAvailableActionId"] == "3"


def test_generated_ids_are_unique_strings(hs: RunningPortal) -> None:
    ids = {hs.portal.add_workflow(f"W{i}")["id"] for i in range(3)}

    assert len(ids) == 3
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    with pytest.raises(ValueError, match="already exists"):
        hs.portal.add_workflow("dup", flow_id="101")


def test_get_returns_the_stored_flow(hs: RunningPortal) -> None:
    response = hs.get(f"{FLOWS}/101")

    assert response.status_code == 200
    assert response.json() == hs.portal.workflow("101")


def test_unknown_flow_is_404_with_hubspot_error_shape(hs: RunningPortal) -> None:
    response = hs.get(f"{FLOWS}/999")

    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "OBJECT_NOT_FOUND"
    assert body["correlationId"]


def test_dated_beta_path_serves_the_same_flows(hs: RunningPortal) -> None:
    assert hs.get("/automation/2026-09-beta/flows/101").json()["id"] == "101"
    assert len(hs.get("/automation/2026-09-beta/flows").json()["results"]) == 2


def test_list_pages_with_after_cursor_until_no_next(hs: RunningPortal) -> None:
    for i in range(3):
        hs.portal.add_workflow(f"Extra {i}")
    seen: list[str] = []
    after: str | None = None

    for _ in range(10):
        params = {"limit": "2", **({"after": after} if after else {})}
        page = hs.get(FLOWS, params=params).json()
        seen += [flow["id"] for flow in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None:
            break

    assert len(seen) == 5
    assert len(set(seen)) == 5
    assert set(page["results"][0]) >= {"id", "isEnabled", "revisionId", "flowType"}
    assert "actions" not in page["results"][0]


def test_list_rejects_a_bad_cursor(hs: RunningPortal) -> None:
    response = hs.get(FLOWS, params={"after": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_batch_read_returns_full_flows(hs: RunningPortal) -> None:
    inputs = [{"flowId": i, "type": "FLOW_ID"} for i in ("101", "202")]

    response = hs.post(f"{FLOWS}/batch/read", {"inputs": inputs})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETE"
    assert sorted(f["id"] for f in body["results"]) == ["101", "202"]
    assert "actions" in body["results"][0]
    assert "errors" not in body


def test_batch_read_reports_missing_ids_with_207(hs: RunningPortal) -> None:
    inputs = [{"flowId": i, "type": "FLOW_ID"} for i in ("101", "555", "556")]

    response = hs.post(f"{FLOWS}/batch/read", {"inputs": inputs})

    assert response.status_code == 207
    body = response.json()
    assert [f["id"] for f in body["results"]] == ["101"]
    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"]["ids"] == ["555", "556"]


@pytest.mark.parametrize(
    "body",
    [{}, {"inputs": "101"}, {"inputs": [{"id": "101"}]}, {"inputs": [{"flowId": 101}]}, []],
)
def test_batch_read_rejects_malformed_inputs(hs: RunningPortal, body: object) -> None:
    response = hs.post(f"{FLOWS}/batch/read", body)

    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_batch_read_respects_the_input_cap() -> None:
    with running_portal(HubSpotSettings(batch_read_max_inputs=2)) as hs:
        inputs = [{"flowId": str(i), "type": "FLOW_ID"} for i in range(3)]
        assert hs.post(f"{FLOWS}/batch/read", {"inputs": inputs}).status_code == 400


def test_put_replaces_the_flow_and_bumps_the_revision(hs: RunningPortal) -> None:
    before = hs.portal.workflow("101")
    hs.clock.advance(timedelta(minutes=5))

    response = hs.put(f"{FLOWS}/101", _disable_body(hs, "101"))

    assert response.status_code == 200
    after = response.json()
    assert after["isEnabled"] is False
    assert after["revisionId"] == "2"
    assert after["updatedAt"] == "2026-11-02T06:05:00.000Z"
    for field in (*READ_ONLY, "nextAvailableActionId", "actions", "name"):
        if field != "updatedAt":
            assert after[field] == before[field], field
    assert hs.portal.workflow("101") == after


def test_put_stores_exactly_the_body_so_omitted_optional_fields_are_wiped(
    hs: RunningPortal,
) -> None:
    body = _disable_body(hs, "101")
    del body["enrollmentCriteria"]
    body["actions"] = []

    assert hs.put(f"{FLOWS}/101", body).status_code == 200

    stored = hs.portal.workflow("101")
    assert stored["actions"] == []
    assert "enrollmentCriteria" not in stored


@pytest.mark.parametrize("field", [*READ_ONLY, "nextAvailableActionId"])
def test_put_with_a_read_only_field_is_refused(hs: RunningPortal, field: str) -> None:
    body = _disable_body(hs, "101")
    body[field] = hs.portal.workflow("101")[field]

    response = hs.put(f"{FLOWS}/101", body)

    assert response.status_code == 400
    error = response.json()
    assert error["category"] == "VALIDATION_ERROR"
    assert error["message"] == "Invalid request to flow update"
    assert [e["in"] for e in error["errors"]] == [field]
    assert hs.portal.workflow("101")["isEnabled"] is True


@pytest.mark.parametrize(
    ("flow_id", "field"),
    [
        ("101", "actions"),
        ("101", "revisionId"),
        ("101", "isEnabled"),
        ("101", "blockedDates"),
        ("101", "timeWindows"),
        ("101", "customProperties"),
        ("101", "canEnrollFromSalesforce"),
        ("101", "suppressionListIds"),
        ("202", "actions"),
        ("202", "type"),
    ],
)
def test_put_missing_a_required_field_is_refused(
    hs: RunningPortal, flow_id: str, field: str
) -> None:
    body = _disable_body(hs, flow_id)
    del body[field]

    response = hs.put(f"{FLOWS}/{flow_id}", body)

    assert response.status_code == 400
    assert field in {e.get("in") for e in response.json()["errors"]}
    assert hs.portal.workflow(flow_id)["revisionId"] == "1"


def test_put_with_a_wrong_type_or_json_is_refused(hs: RunningPortal) -> None:
    body = _disable_body(hs, "101")
    body["isEnabled"] = "false"
    assert hs.put(f"{FLOWS}/101", body).status_code == 400

    body = _disable_body(hs, "101")
    body["type"] = "PLATFORM_FLOW"
    assert hs.put(f"{FLOWS}/101", body).status_code == 400

    raw = hs.request("PUT", f"{FLOWS}/101", content=b"{not json")
    assert raw.status_code == 400
    assert raw.json()["category"] == "VALIDATION_ERROR"


def test_put_with_a_stale_revision_is_refused(hs: RunningPortal) -> None:
    body = _disable_body(hs, "101")
    hs.portal.edit_workflow_by_hand("101", name="Renamed by a person")

    response = hs.put(f"{FLOWS}/101", body)

    assert response.status_code == 400
    error = response.json()
    assert error["message"] == "Invalid request to flow update"
    assert "revisionId" in error["context"]
    stored = hs.portal.workflow("101")
    assert (stored["isEnabled"], stored["name"]) == (True, "Renamed by a person")


def test_stale_revision_status_is_configurable() -> None:
    with running_portal(HubSpotSettings(stale_revision_status=409)) as hs:
        hs.portal.add_workflow("W", flow_id="1")
        body = _disable_body(hs, "1")
        hs.portal.edit_workflow_by_hand("1", isEnabled=False)

        response = hs.put(f"{FLOWS}/1", body)

        assert response.status_code == 409
        assert response.json()["category"] == "CONFLICT"


def test_put_to_an_unknown_flow_is_404(hs: RunningPortal) -> None:
    assert hs.put(f"{FLOWS}/999", _disable_body(hs, "101")).status_code == 404


def test_puts_and_hand_edits_are_audited(hs: RunningPortal) -> None:
    hs.put(f"{FLOWS}/101", _disable_body(hs, "101"))
    hs.portal.edit_workflow_by_hand("101", isEnabled=True)
    refused = _disable_body(hs, "101")
    refused["id"] = "101"
    hs.put(f"{FLOWS}/101", refused)

    entries = hs.audit.entries(platform="hubspot", kind="workflow_put")

    assert [(e.target, e.actor, e.before, e.after) for e in entries] == [
        (
            "101",
            "api",
            {"isEnabled": True, "revisionId": "1"},
            {"isEnabled": False, "revisionId": "2"},
        ),
        (
            "101",
            "human",
            {"isEnabled": False, "revisionId": "2"},
            {"isEnabled": True, "revisionId": "3"},
        ),
    ]


def test_workflow_returns_a_copy(hs: RunningPortal) -> None:
    copy = hs.portal.workflow("101")
    copy["actions"].clear()

    assert hs.portal.workflow("101")["actions"]

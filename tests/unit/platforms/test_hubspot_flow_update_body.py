from __future__ import annotations

import copy
from typing import Any

import pytest

from apibrake.platforms.hubspot.flows import READ_ONLY_FLOW_FIELDS, flow_update_body


def platform_flow() -> dict[str, Any]:
    return {
        "id": "585051946",
        "name": "Deal rollup",
        "type": "PLATFORM_FLOW",
        "flowType": "WORKFLOW",
        "objectTypeId": "0-3",
        "isEnabled": True,
        "revisionId": "7",
        "createdAt": "2024-06-07T17:27:08.101Z",
        "updatedAt": "2024-06-07T17:31:11.263Z",
        "crmObjectCreationStatus": "COMPLETE",
        "nextAvailableActionId": "4",
        "dataSources": [],
        "startActionId": "1",
        "actions": [
            {
                "type": "SINGLE_CONNECTION",
                "actionId": "1",
                "actionTypeVersion": 0,
                "actionTypeId": "0-5",
                "fields": {"property_name": "dealstage"},
            }
        ],
        "enrollmentCriteria": {
            "type": "EVENT_BASED",
            "shouldReEnroll": False,
            "eventFilterBranches": [],
        },
        "timeWindows": [],
        "blockedDates": [],
        "customProperties": {"team": "ops"},
        "uuid": "a-b-c",
    }


def test_read_only_fields_are_dropped_and_the_rest_kept() -> None:
    flow = platform_flow()

    body = flow_update_body(flow, is_enabled=False)

    assert READ_ONLY_FLOW_FIELDS.isdisjoint(body)
    kept = {k: v for k, v in flow.items() if k not in READ_ONLY_FLOW_FIELDS}
    assert body == {**kept, "isEnabled": False}


def test_the_fetched_flow_is_not_changed() -> None:
    flow = platform_flow()
    snapshot = copy.deepcopy(flow)

    body = flow_update_body(flow, is_enabled=False)
    body["actions"][0]["fields"]["property_name"] = "changed"

    assert flow == snapshot


def test_re_enabling_sets_is_enabled_true() -> None:
    flow = {**platform_flow(), "isEnabled": False}

    assert flow_update_body(flow, is_enabled=True)["isEnabled"] is True


def test_a_listing_is_refused_because_the_put_would_wipe_the_flow() -> None:
    listing = {
        "id": "1",
        "isEnabled": True,
        "revisionId": "7",
        "flowType": "WORKFLOW",
        "objectTypeId": "0-1",
        "createdAt": "x",
        "updatedAt": "y",
    }

    with pytest.raises(ValueError, match="actions"):
        flow_update_body(listing, is_enabled=False)


def test_contact_flows_need_their_extra_fields() -> None:
    flow = {**platform_flow(), "type": "CONTACT_FLOW", "canEnrollFromSalesforce": False}

    with pytest.raises(ValueError, match="suppressionListIds"):
        flow_update_body(flow, is_enabled=False)

    body = flow_update_body({**flow, "suppressionListIds": [12]}, is_enabled=False)
    assert body["suppressionListIds"] == [12]
    assert body["canEnrollFromSalesforce"] is False

"""Automation v4 flows: what one looks like, its listing, and the full-replace PUT rules."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sandbox.hubspot.timestamps import iso_millis

FLOW_TYPES = ("CONTACT_FLOW", "PLATFORM_FLOW")
# Set by HubSpot; a PUT body carrying any of them is rejected.
READ_ONLY_FIELDS = (
    "id",
    "createdAt",
    "updatedAt",
    "dataSources",
    "crmObjectCreationStatus",
    "nextAvailableActionId",
)
# Fixed at creation: the server keeps its own values whatever a PUT says.
IMMUTABLE_FIELDS = ("flowType", "objectTypeId")
_COMMON_REQUIRED = (
    "type",
    "revisionId",
    "isEnabled",
    "actions",
    "blockedDates",
    "timeWindows",
    "customProperties",
)
REQUIRED_ON_PUT = {
    "CONTACT_FLOW": (*_COMMON_REQUIRED, "canEnrollFromSalesforce", "suppressionListIds"),
    "PLATFORM_FLOW": _COMMON_REQUIRED,
}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "revisionId": (str,),
    "isEnabled": (bool,),
    "actions": (list,),
    "blockedDates": (list,),
    "timeWindows": (list,),
    "customProperties": (dict,),
    "canEnrollFromSalesforce": (bool,),
    "suppressionListIds": (list,),
    "name": (str,),
    "startActionId": (str,),
    "enrollmentCriteria": (dict,),
}
_LISTING_FIELDS = (
    "id",
    "name",
    "isEnabled",
    "flowType",
    "objectTypeId",
    "revisionId",
    "createdAt",
    "updatedAt",
)
_ENROLLMENT_PROPERTY = {"0-1": "lifecyclestage", "0-2": "lifecyclestage", "0-3": "dealstage"}


def default_actions(flow_type: str) -> list[dict[str, Any]]:
    """A one-day delay, then an email (contacts) or a property update.

    `fields` values are strings, as live flows carry them (the spec says objects).
    """
    delay = {
        "type": "SINGLE_CONNECTION",
        "actionId": "1",
        "actionTypeVersion": 0,
        "actionTypeId": "0-1",
        "connection": {"edgeType": "STANDARD", "nextActionId": "2"},
        "fields": {"delta": "1440", "time_unit": "MINUTES"},
    }
    if flow_type == "CONTACT_FLOW":
        follow_up = {"actionTypeId": "0-4", "fields": {"content_id": "113782603056"}}
    else:
        follow_up = {
            "actionTypeId": "0-5",
            "fields": {
                "property_name": "hs_priority",
                "value": {"type": "STATIC_VALUE", "staticValue": "high"},
            },
        }
    return [
        delay,
        {"type": "SINGLE_CONNECTION", "actionId": "2", "actionTypeVersion": 0, **follow_up},
    ]


def custom_code_actions() -> list[dict[str, Any]]:
    """A custom-code action (the ApiCustomCodeAction schema): what spends a workflow's portal
    calls, through the token its secret holds."""
    return [
        {
            "type": "CUSTOM_CODE",
            "actionId": "1",
            "runtime": "NODE20X",
            "secretNames": ["ENRICHMENT_TOKEN"],
            "sourceCode": "exports.main = async (event, callback) => callback({outputFields: {}});",
            "inputFields": [],
            "outputFields": [],
        }
    ]


def _enrollment_criteria(object_type_id: str) -> dict[str, Any]:
    property_filter = {
        "filterType": "PROPERTY",
        "property": _ENROLLMENT_PROPERTY.get(object_type_id, "hs_object_source"),
        "operation": {
            "operationType": "ENUMERATION",
            "operator": "IS_ANY_OF",
            "includeObjectsWithNoValueSet": False,
            "values": ["lead"],
        },
    }
    return {
        "type": "LIST_BASED",
        "shouldReEnroll": False,
        "unEnrollObjectsNotMeetingCriteria": False,
        "reEnrollmentTriggersFilterBranches": [],
        "listFilterBranch": {
            "filterBranchType": "OR",
            "filterBranchOperator": "OR",
            "filters": [],
            "filterBranches": [
                {
                    "filterBranchType": "AND",
                    "filterBranchOperator": "AND",
                    "filters": [property_filter],
                    "filterBranches": [],
                }
            ],
        },
    }


def next_action_id(actions: list[dict[str, Any]]) -> str:
    numbers = [int(a["actionId"]) for a in actions if str(a.get("actionId", "")).isdigit()]
    return str(max(numbers, default=0) + 1)


def new_flow(
    flow_id: str,
    name: str,
    *,
    enabled: bool,
    object_type_id: str,
    flow_kind: str,
    flow_type: str,
    actions: list[dict[str, Any]] | None,
    at: datetime,
) -> dict[str, Any]:
    if flow_kind not in FLOW_TYPES:
        raise ValueError(f"type must be one of {FLOW_TYPES}, not {flow_kind!r}")
    flow_actions = copy.deepcopy(actions) if actions is not None else default_actions(flow_kind)
    flow: dict[str, Any] = {
        "id": flow_id,
        "name": name,
        "type": flow_kind,
        "flowType": flow_type,
        "objectTypeId": object_type_id,
        "isEnabled": enabled,
        "revisionId": "1",
        "createdAt": iso_millis(at),
        "updatedAt": iso_millis(at),
        "crmObjectCreationStatus": "COMPLETE",
        "startActionId": flow_actions[0]["actionId"] if flow_actions else None,
        "nextAvailableActionId": next_action_id(flow_actions),
        "actions": flow_actions,
        "enrollmentCriteria": _enrollment_criteria(object_type_id),
        "timeWindows": [],
        "blockedDates": [],
        "customProperties": {},
        "dataSources": [],
    }
    if flow["startActionId"] is None:
        del flow["startActionId"]
    if flow_kind == "CONTACT_FLOW":
        flow["canEnrollFromSalesforce"] = False
        flow["suppressionListIds"] = []
    return flow


def listing(flow: dict[str, Any]) -> dict[str, Any]:
    """The short form the list endpoint returns."""
    return {field: flow[field] for field in _LISTING_FIELDS if field in flow}


def bump_revision(revision_id: str) -> str:
    return str(int(revision_id) + 1) if revision_id.isdigit() else "1"


def put_problems(body: Any, stored: dict[str, Any]) -> list[dict[str, Any]]:
    """Why HubSpot would refuse this PUT body, as `errors[]` entries; empty when it is acceptable.

    A stale revisionId is checked separately: its status is configurable.
    """
    if not isinstance(body, dict):
        return [{"message": "The request body must be a JSON object", "code": "INVALID_JSON"}]
    flow_kind = body.get("type")
    if flow_kind not in FLOW_TYPES:
        return [
            {
                "message": f"type must be one of {', '.join(FLOW_TYPES)}",
                "in": "type",
                "code": "INVALID_ENUM" if "type" in body else "REQUIRED_FIELD",
            }
        ]
    if flow_kind != stored["type"]:
        return [
            {
                "message": f"type {flow_kind} does not match the flow's type {stored['type']}",
                "in": "type",
                "code": "INVALID_TYPE",
            }
        ]
    return _field_problems(body, REQUIRED_ON_PUT[flow_kind])


def _field_problems(
    body: dict[str, Any], required: tuple[str, ...], settable: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Read-only fields set (but `settable`), required ones missing, wrong JSON types."""
    problems = [
        {"message": f"{field} is read-only and cannot be set", "in": field, "code": "READ_ONLY"}
        for field in READ_ONLY_FIELDS
        if field in body and field not in settable
    ]
    problems += [
        {"message": f"{field} is required", "in": field, "code": "REQUIRED_FIELD"}
        for field in required
        if field not in body
    ]
    problems += [
        {"message": f"{field} has the wrong type", "in": field, "code": "INVALID_TYPE"}
        for field, types in _JSON_TYPES.items()
        if field in body and not _has_type(body[field], types)
    ]
    return problems


REQUIRED_ON_CREATE = {
    "CONTACT_FLOW": (
        "actions", "blockedDates", "canEnrollFromSalesforce", "customProperties", "dataSources",
        "flowType", "isEnabled", "objectTypeId", "suppressionListIds", "timeWindows", "type",
    ),
    "PLATFORM_FLOW": (
        "actions", "blockedDates", "customProperties", "dataSources", "flowType", "isEnabled",
        "objectTypeId", "timeWindows", "type",
    ),
}  # fmt: skip
# What the create request may carry beyond the PUT's fields (ApiFlowCreateRequest).
_CREATE_ONLY = ("flowType", "objectTypeId", "dataSources", "description")


def create_problems(body: Any) -> list[dict[str, Any]]:
    """Why HubSpot would refuse this create (POST) body; empty when it is acceptable."""
    if not isinstance(body, dict):
        return [{"message": "The request body must be a JSON object", "code": "INVALID_JSON"}]
    flow_kind = body.get("type")
    if flow_kind not in FLOW_TYPES:
        return [{"message": f"type must be one of {', '.join(FLOW_TYPES)}", "in": "type",
                 "code": "INVALID_ENUM" if "type" in body else "REQUIRED_FIELD"}]  # fmt: skip
    return _field_problems(body, REQUIRED_ON_CREATE[flow_kind], _CREATE_ONLY)


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int in Python; JSON keeps them apart.
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def replaced(stored: dict[str, Any], body: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The flow after a full-replace PUT: exactly the body, plus what only the server sets."""
    flow = copy.deepcopy(body)
    for field in (*READ_ONLY_FIELDS, *IMMUTABLE_FIELDS):
        if field in stored:
            flow[field] = copy.deepcopy(stored[field])
    flow["updatedAt"] = iso_millis(at)
    flow["revisionId"] = bump_revision(stored["revisionId"])
    return flow

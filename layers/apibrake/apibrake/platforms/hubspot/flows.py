"""Building the PUT body that toggles a workflow without wiping it.

The PUT replaces the whole flow, so the body is the freshly read flow with
`isEnabled` changed and the read-only fields dropped. Read-only: the fields the
spec's `ApiContactFlow`/`ApiPlatformFlow` (GET) have and its `ApiContactFlowPutRequest`/
`ApiPlatformFlowPutRequest` lack: `id`, `createdAt`, `updatedAt`, `dataSources`,
`crmObjectCreationStatus`, `nextAvailableActionId`. The PUT schemas also lack
`flowType` and `objectTypeId`; those identify the flow rather than being computed,
so they are sent back unchanged like everything else (add them here if HubSpot
ever rejects them).
"""

from __future__ import annotations

import copy
from typing import Any

READ_ONLY_FLOW_FIELDS = frozenset(
    {
        "id",
        "createdAt",
        "updatedAt",
        "dataSources",
        "crmObjectCreationStatus",
        "nextAvailableActionId",
    }
)
REQUIRED_PUT_FIELDS = (
    "type",
    "revisionId",
    "isEnabled",
    "actions",
    "blockedDates",
    "timeWindows",
    "customProperties",
)
REQUIRED_CONTACT_FLOW_PUT_FIELDS = ("canEnrollFromSalesforce", "suppressionListIds")


def flow_update_body(flow: dict[str, Any], *, is_enabled: bool) -> dict[str, Any]:
    """The PUT body for `flow` (a full GET, not a listing) with `isEnabled` set."""
    required = list(REQUIRED_PUT_FIELDS)
    if flow.get("type") == "CONTACT_FLOW":
        required += REQUIRED_CONTACT_FLOW_PUT_FIELDS
    missing = [name for name in required if name not in flow]
    if missing:
        # A partial body would silently wipe the rest of the workflow.
        raise ValueError(f"not a full flow (missing {', '.join(missing)}): GET it first")
    body = {
        name: copy.deepcopy(value)
        for name, value in flow.items()
        if name not in READ_ONLY_FLOW_FIELDS
    }
    body["isEnabled"] = is_enabled
    return body


def has_list_branches(flow: dict[str, Any]) -> bool:
    """Whether the flow has LIST_BRANCH actions: HubSpot has been reported (unconfirmed) to
    refuse any update of such a flow, its GET body unchanged included."""
    actions = flow.get("actions")
    return isinstance(actions, list) and any(
        isinstance(action, dict) and action.get("type") == "LIST_BRANCH" for action in actions
    )

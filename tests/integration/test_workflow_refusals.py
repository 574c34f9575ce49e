"""Updates HubSpot has been reported (unconfirmed, third-party) to refuse: a workflow with
LIST_BRANCH actions, even with its GET body unchanged, and an enabled workflow. The brake
must leave such a workflow to a person at once with the by-hand steps, not after a second
refused PUT (moto server + the sandbox in its strict modes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drill.stack import LocalStack
from sandbox.hubspot import HubSpotSettings
from tests.integration.brake_support import rows_by_name, statuses

BRANCH = {
    "type": "LIST_BRANCH",
    "actionId": "3",
    "listBranches": [
        {
            "filterBranch": {"filterBranchType": "AND", "filters": [], "filterBranches": []},
            "connection": {"edgeType": "STANDARD", "nextActionId": "1"},
        }
    ],
}


def _branching_workflow(stack: LocalStack) -> str:
    hubspot = stack.sandbox.hubspot
    actions: list[dict[str, Any]] = [BRANCH]
    flow_id = str(hubspot.add_workflow("Routed nurture", actions=actions)["id"])
    stack.add_hubspot()
    stack.allow("hs-main", f"workflow:{flow_id}")
    return flow_id


def test_a_refused_branching_workflow_is_left_to_a_person_at_once(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(hubspot=HubSpotSettings(refuse_branch_updates=True))
    flow_id = _branching_workflow(stack)

    report = stack.brake(connection_id="hs-main")

    assert statuses(report) == {flow_id: "needs_human"}
    error = rows_by_name(report)[flow_id]["error"]
    assert "list branches" in error
    assert "Turn it off by hand" in error
    assert "refused twice" not in error
    assert stack.sandbox.hubspot.workflow(flow_id)["isEnabled"] is True


def test_a_refused_update_of_an_enabled_workflow_names_the_report(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(hubspot=HubSpotSettings(refuse_enabled_updates=True))
    flow_id = str(stack.sandbox.hubspot.add_workflow("Chatty")["id"])
    stack.add_hubspot()
    stack.allow("hs-main", f"workflow:{flow_id}")

    report = stack.brake(connection_id="hs-main")

    assert statuses(report) == {flow_id: "needs_human"}
    assert "enabled workflows" in rows_by_name(report)[flow_id]["error"]

"""Finding the canaries on a connection with the brake's own reads (the adapters'
inventories), and whether each is on, so a rehearsal has something to brake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apibrake.incident.adapters import adapter_for
from apibrake.models.allowlist import AutomationKind
from apibrake.platforms.hubspot.flows import has_list_branches
from apibrake.rehearsal.canaries import (
    CANARY_FLOW,
    CANARY_WORKFLOW_NAME,
    DEPLOY_CANARIES,
    SALESFORCE_CANARIES,
    SCHEDULE_CANARY_APEX,
    workflow_canary_body,
    workflow_canary_key,
)

if TYPE_CHECKING:
    from apibrake.platforms.hubspot.client import HubSpotClient
    from apibrake.platforms.salesforce.client import SalesforceClient


TURN_ON_WORKFLOW = (
    f"turn it on in HubSpot (Automation > Workflows > {CANARY_WORKFLOW_NAME}): it enrolls "
    "nobody (manual enrollment only) and does nothing"
)


@dataclass
class Canary:
    """One canary as the connection shows it: `ready` when it is on, so a brake has
    something to switch off; else `problem` says what a person does first."""

    kind: AutomationKind
    automation: str  # the allowlist key
    ready: bool
    problem: str = ""
    list_branches: bool = False  # a workflow with LIST_BRANCH actions
    created: bool = False  # made just now (--create-canary)


_NOT_READY = {
    AutomationKind.FLOW: (
        f"not in the org: deploy it ({DEPLOY_CANARIES})",
        f"deployed but inactive: activate flow {CANARY_FLOW} (Setup > Flows), or deploy again",
    ),
    AutomationKind.SCHEDULED_APEX: (
        f"not scheduled: deploy the class ({DEPLOY_CANARIES}), then run as anonymous Apex: "
        f"{SCHEDULE_CANARY_APEX}",
        "",
    ),
    AutomationKind.SETTING: (
        f"no such custom setting visible to the integration user: deploy it ({DEPLOY_CANARIES})",
        "already set to its brake value: clear the checkbox (Setup > Custom Settings > "
        "apibrake Canary > Manage)",
    ),
}


async def salesforce_canaries(client: SalesforceClient) -> list[Canary]:
    """The three Salesforce canaries, read as a brake reads them (one read per kind)."""
    found = []
    for kind, automation in SALESFORCE_CANARIES.items():
        adapter = adapter_for(kind)
        name = automation.partition(":")[2]
        observed = (await adapter.inventory(client, [name])).get(name)
        missing, off = _NOT_READY[kind]
        if observed is None:
            found.append(Canary(kind, automation, ready=False, problem=missing))
        elif kind is AutomationKind.SETTING and adapter.is_off(observed):
            found.append(Canary(kind, automation, ready=False, problem=off))
        elif kind is not AutomationKind.SETTING and adapter.is_off(observed):
            found.append(Canary(kind, automation, ready=False, problem=off or missing))
        else:
            found.append(Canary(kind, automation, ready=True))
    return found


async def hubspot_canary(client: HubSpotClient, *, create: bool) -> Canary:
    """The canary workflow, found by its fixed name (its id is the portal's); created off
    when asked and absent. apibrake never turns a workflow on but by releasing its own
    brake, so a person turns the canary on once."""
    listed = [f for f in await client.list_flows() if f.get("name") == CANARY_WORKFLOW_NAME]
    if len(listed) > 1:
        ids = ", ".join(str(f.get("id")) for f in listed)
        return Canary(
            AutomationKind.WORKFLOW,
            workflow_canary_key(str(listed[0].get("id"))),
            ready=False,
            problem=f"{len(listed)} workflows are named {CANARY_WORKFLOW_NAME!r} ({ids}): "
            "delete all but one",
        )
    created = False
    if listed:
        flow = await client.get_flow(str(listed[0].get("id")))
    elif create:
        flow, created = await client.create_flow(workflow_canary_body()), True
    else:
        return Canary(
            AutomationKind.WORKFLOW,
            f"{AutomationKind.WORKFLOW.value}:({CANARY_WORKFLOW_NAME})",  # no id yet: its name
            ready=False,
            problem=f"no workflow named {CANARY_WORKFLOW_NAME!r}: create it with "
            "apibrake rehearse CONNECTION --create-canary (or by hand: docs/setup.md)",
        )
    on = flow.get("isEnabled") is True
    return Canary(
        AutomationKind.WORKFLOW,
        workflow_canary_key(str(flow.get("id"))),
        ready=on,
        problem="" if on else ("created off: " if created else "off: ") + TURN_ON_WORKFLOW,
        list_branches=has_list_branches(flow),
        created=created,
    )

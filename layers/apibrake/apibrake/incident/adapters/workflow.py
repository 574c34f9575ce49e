"""HubSpot workflows (Automation API v4 flows).

The PUT replaces the whole flow, so every toggle starts from a fresh read and changes
`isEnabled` only (read-only fields dropped by `flow_update_body`). A 4xx is read as "not
toggled": re-read once, retry once, then leave it for a human.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from apibrake.http.errors import DailyLimitExhausted, PlatformError, RequestRejected
from apibrake.incident.adapters.base import (
    ACT,
    Adapter,
    AdapterRun,
    BrakeDecision,
    Discovered,
    Observed,
    Shown,
    chunks,
)
from apibrake.incident.records import BrakeState, Direction, JournalRow
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.permissions import Permission
from apibrake.platforms.hubspot.client import HubSpotClient
from apibrake.platforms.hubspot.flows import flow_update_body, has_list_branches
from apibrake.platforms.hubspot.scopes import AUTOMATION

OBJECT_TYPES = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket"}
# What HubSpot does while a workflow is off (knowledge base, "turn off workflows").
OFF_IS_NOT_A_PAUSE = (
    "off is not a pause: while off, enrolled records skip every action but delays and "
    "records meeting the triggers are not enrolled; turning it back on replays nothing"
)


def _summary(flow: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(flow.get("id")),
        "name": flow.get("name"),
        "isEnabled": flow.get("isEnabled"),
        "revisionId": str(flow.get("revisionId")),
    }


BRANCHING_NOTE = (
    "; brake unconfirmed: it has list branches, whose updates HubSpot has been reported to "
    "refuse (connections test says the same)"
)


def _refused_as_is(flow: dict[str, Any], error: RequestRejected, *, enabled: bool) -> str:
    why = ""
    if has_list_branches(flow):
        why = " (it has list branches: HubSpot has been reported to refuse their updates)"
    elif flow.get("isEnabled") is True:
        why = " (HubSpot has been reported to refuse some updates of enabled workflows)"
    turn = "on" if enabled else "off"
    return (
        f"HubSpot refused the update{why}: {error}. Turn it {turn} by hand: HubSpot "
        "Automation > Workflows"
    )


def _landed(sent: dict[str, Any], flow: dict[str, Any]) -> bool:
    """Whether `flow` is what we PUT, only with the revision HubSpot gave it since."""
    current = flow_update_body(flow, is_enabled=bool(flow.get("isEnabled")))
    ignored = ("revisionId",)
    return {k: v for k, v in current.items() if k not in ignored} == {
        k: v for k, v in sent.items() if k not in ignored
    }


class WorkflowAdapter(Adapter[HubSpotClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.WORKFLOW
    platform: ClassVar[Platform] = Platform.HUBSPOT
    permissions: ClassVar[tuple[Permission, ...]] = (AUTOMATION,)
    by_hand: ClassVar[str] = "HubSpot Automation > Workflows: turn off"
    off_note: ClassVar[str | None] = OFF_IS_NOT_A_PAUSE
    probe_description: ClassVar[str] = "flows list, page of 1"

    async def probe(self, client: HubSpotClient) -> None:
        # One page of one flow: list_flows() would page through every workflow.
        await client.flows_page(limit=1)

    async def discover(self, client: HubSpotClient) -> list[Discovered]:
        """Every workflow, 100 a page, and the enabled ones read in full (100 a call): one
        with list branches is flagged "brake unconfirmed" (HubSpot has been reported to
        refuse updates of such workflows)."""
        listed = await client.list_flows()
        enabled = [str(flow.get("id")) for flow in listed if flow.get("isEnabled")]
        full = await client.batch_read_flows(enabled) if enabled else []
        branching = {str(flow.get("id")) for flow in full if has_list_branches(flow)}
        return [
            Discovered(
                automation=f"{self.kind.value}:{flow.get('id')}",
                label=flow.get("name"),
                type=str(flow.get("flowType") or "WORKFLOW"),
                trigger=OBJECT_TYPES.get(str(flow.get("objectTypeId")), flow.get("objectTypeId")),
                active="enabled" if flow.get("isEnabled") else "disabled",
                detail=str(flow.get("name") or "")
                + (BRANCHING_NOTE if str(flow.get("id")) in branching else ""),
            )
            for flow in listed
        ]

    async def inventory(self, client: HubSpotClient, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        flows = await client.batch_read_flows(names)
        found = {str(flow.get("id")): Observed(_summary(flow), flow) for flow in flows}
        return {name: found[name] for name in names if name in found}

    def is_off(self, observed: Observed | None) -> bool:
        return observed is None or observed.summary.get("isEnabled") is not True

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(BrakeState.SKIPPED, "no workflow with this flow id in the portal")
        if self.is_off(observed):
            return BrakeDecision(BrakeState.ALREADY_OFF)
        return ACT

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        return observed is not None and observed.summary.get("isEnabled") is True

    def label(self, state: dict[str, Any] | None) -> str | None:
        name = (state or {}).get("name")
        return str(name) if name else None

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        return {**(row.before or {}), "isEnabled": False}

    def brake_calls(self, count: int) -> int:
        return count + 1 if count else 0  # one PUT each, one batch read to verify

    async def brake(self, run: AdapterRun[HubSpotClient], rows: list[JournalRow]) -> None:
        await self._toggle_all(run, rows, enabled=False)

    def compare(self, row: JournalRow, observed: Observed | None) -> Shown:
        """On again with the revision recorded before the brake: untouched (the brake never
        reached it); off with another revision than the brake's own PUT made: edited."""
        shown = super().compare(row, observed)
        revision = observed.summary.get("revisionId") if observed is not None else None
        if shown is Shown.AS_RECORDED and revision != (row.before or {}).get("revisionId"):
            return Shown.BACK_ON
        if shown is Shown.AS_BRAKED and revision != self._braked_revision(row, revision):
            return Shown.EDITED_OFF
        return shown

    def _braked_revision(self, row: JournalRow, current: Any) -> Any:
        """The revision the brake's PUT left; `current` when the journal knows none."""
        ours = (row.after or {}).get("revisionId") if row.brake is BrakeState.BRAKED else None
        return ours if ours is not None else current

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        if shown is Shown.GONE or observed is None:
            return "the workflow is no longer in the portal"
        if shown is Shown.EDITED_OFF:
            ours, now = (row.after or {}).get("revisionId"), observed.summary.get("revisionId")
            return (
                f"edited since the brake (revision {ours} -> {now}); not re-enabled, check it "
                "and enable it by hand"
            )
        return "re-enabled by hand since the brake; left as is"

    def reworked_since(self, row: JournalRow, observed: Observed | None) -> bool:
        """A new revision that is neither the one recorded before the brake nor the one the
        brake's own PUT made."""
        if observed is None:
            return False
        known = {(row.before or {}).get("revisionId"), (row.after or {}).get("revisionId")}
        known.discard(None)
        return bool(known) and observed.summary.get("revisionId") not in known

    async def release(self, run: AdapterRun[HubSpotClient], rows: list[JournalRow]) -> None:
        await self._toggle_all(run, rows, enabled=True)

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return super().missed(direction, row, observed)
        return "not enabled after the restore (verification re-read)"

    async def _toggle_all(
        self, run: AdapterRun[HubSpotClient], rows: list[JournalRow], *, enabled: bool
    ) -> None:
        # Journal a batch of concurrency-many rows, then PUT them at once: never more in
        # flight than the burst limit allows, never a change without its journal row.
        for batch in chunks(rows, run.concurrency):
            if not await run.start_batch(batch):
                return
            outcomes = await asyncio.gather(
                *(self._toggle(run, row, enabled=enabled) for row in batch),
                return_exceptions=True,
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome

    async def _toggle(
        self, run: AdapterRun[HubSpotClient], row: JournalRow, *, enabled: bool
    ) -> None:
        """PUTs the flow with `isEnabled` set to `enabled` and nothing else changed."""
        observed = run.observed.get(row.name)
        flow = observed.raw if observed is not None else None
        try:
            if not isinstance(flow, dict):
                flow = await run.client.get_flow(row.name)
            sent = flow_update_body(flow, is_enabled=enabled)
            try:
                updated = await run.client.put_flow(row.name, sent)
            except RequestRejected as refused:
                # Stale revisionId or a body HubSpot refuses: re-read once, retry once.
                flow = await run.client.get_flow(row.name)
                if _landed(sent, flow):  # a retried PUT whose first send had landed
                    run.changed(row, _summary(flow))
                    return
                if enabled and flow.get("isEnabled") is True:  # someone else switched it on
                    run.needs_human(row, "edited while being restored; left as is")
                    return
                unchanged = str(flow.get("revisionId")) == str(sent.get("revisionId"))
                if unchanged and has_list_branches(flow):
                    # Not a stale revision, and a workflow HubSpot is reported to refuse
                    # as it is: a second PUT would be refused the same way.
                    run.needs_human(row, _refused_as_is(flow, refused, enabled=enabled))
                    return
                try:
                    updated = await run.client.put_flow(
                        row.name, flow_update_body(flow, is_enabled=enabled)
                    )
                except RequestRejected as again:
                    run.needs_human(row, _refused_as_is(flow, again, enabled=enabled))
                    return
        except DailyLimitExhausted:
            raise
        except RequestRejected as error:  # the workflow could not be read
            run.needs_human(row, f"refused: {error}")
            return
        except PlatformError as error:
            run.failed(row, str(error))
            return
        except ValueError as error:  # not a full flow: a partial PUT would wipe it
            run.needs_human(row, str(error))
            return
        run.changed(row, _summary(updated))

"""HubSpot workflows (Automation API v4 flows).

The PUT replaces the whole flow, so every toggle starts from a fresh read and changes
`isEnabled` only (read-only fields dropped by `flow_update_body`). A 4xx is read as "not
toggled": re-read once, retry once, then leave it for a human.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from apibrake.brake.adapters.base import (
    ACT,
    RESTORE,
    Adapter,
    AdapterRun,
    BrakeDecision,
    Observed,
    ReleaseDecision,
    chunks,
)
from apibrake.http.errors import DailyLimitExhausted, PlatformError, RequestRejected
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.platforms.hubspot.flows import flow_update_body
from apibrake.store.journal import BrakeState, JournalRow, ReleaseState


def _summary(flow: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(flow.get("id")),
        "name": flow.get("name"),
        "isEnabled": flow.get("isEnabled"),
        "revisionId": str(flow.get("revisionId")),
    }


def _landed(sent: dict[str, Any], flow: dict[str, Any]) -> bool:
    """Whether `flow` is what we PUT, only with the revision HubSpot gave it since."""
    current = flow_update_body(flow, is_enabled=bool(flow.get("isEnabled")))
    ignored = ("revisionId",)
    return {k: v for k, v in current.items() if k not in ignored} == {
        k: v for k, v in sent.items() if k not in ignored
    }


class WorkflowAdapter(Adapter):
    kind: ClassVar[AutomationKind] = AutomationKind.WORKFLOW
    platform: ClassVar[Platform] = Platform.HUBSPOT
    permissions: ClassVar[tuple[str, ...]] = (
        "automation (read and update workflows)",
        "oauth (daily API usage)",
    )

    async def inventory(self, client: Any, names: list[str]) -> dict[str, Observed]:
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

    def brake_calls(self, count: int) -> int:
        return count + 1 if count else 0  # one PUT each, one batch read to verify

    async def brake(self, run: AdapterRun, rows: list[JournalRow]) -> None:
        await self._toggle_all(run, rows, enable=False)

    def decide_release(self, row: JournalRow, observed: Observed | None) -> ReleaseDecision:
        before, after = row.before or {}, row.after or {}
        if before.get("isEnabled") is not True:
            return ReleaseDecision(ReleaseState.NOTHING)
        if observed is None:
            return ReleaseDecision(
                ReleaseState.NEEDS_HUMAN, "the workflow is no longer in the portal"
            )
        current = observed.summary
        if current.get("isEnabled") is True:
            if row.release is ReleaseState.PENDING:
                return ReleaseDecision(ReleaseState.RELEASED)  # our earlier PUT landed
            if row.brake is BrakeState.PENDING and current.get("revisionId") == before.get(
                "revisionId"
            ):
                return ReleaseDecision(ReleaseState.NOTHING)  # the brake never reached it
            return ReleaseDecision(
                ReleaseState.NEEDS_HUMAN, "re-enabled by hand since the brake; left as is"
            )
        ours = after.get("revisionId") if row.brake is BrakeState.BRAKED else None
        if ours is not None and current.get("revisionId") != ours:
            return ReleaseDecision(
                ReleaseState.NEEDS_HUMAN,
                f"edited since the brake (revision {ours} -> {current.get('revisionId')}); "
                "not re-enabled, check it and enable it by hand",
            )
        return RESTORE

    async def release(self, run: AdapterRun, rows: list[JournalRow]) -> None:
        await self._toggle_all(run, rows, enable=True)

    def confirm_release(self, row: JournalRow, observed: Observed | None) -> None:
        if row.release is not ReleaseState.RELEASED:
            return
        if observed is None or observed.summary.get("isEnabled") is not True:
            row.release = ReleaseState.FAILED
            row.release_error = "not enabled after the restore (verification re-read)"
        else:
            row.restored = observed.summary

    async def _toggle_all(self, run: AdapterRun, rows: list[JournalRow], *, enable: bool) -> None:
        # Journal a batch of concurrency-many rows, then PUT them at once: never more in
        # flight than the burst limit allows, never a change without its journal row.
        for batch in chunks(rows, run.concurrency):
            if not run.start_batch(batch, release=enable):
                return
            outcomes = await asyncio.gather(
                *(self._toggle(run, row, enable=enable) for row in batch), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome

    async def _toggle(self, run: AdapterRun, row: JournalRow, *, enable: bool) -> None:
        observed = run.observed.get(row.name)
        flow = observed.raw if observed is not None else None
        try:
            if not isinstance(flow, dict):
                flow = await run.client.get_flow(row.name)
            sent = flow_update_body(flow, is_enabled=enable)
            try:
                updated = await run.client.put_flow(row.name, sent)
            except RequestRejected:
                # Stale revisionId or a body HubSpot refuses: re-read once, retry once.
                flow = await run.client.get_flow(row.name)
                if _landed(sent, flow):  # a retried PUT whose first send had landed
                    self._record(row, _summary(flow), None, enable, human=False)
                    return
                if enable and not self._still_ours(row, flow):
                    self._record(
                        row, None, "edited while being restored; left as is", enable, human=True
                    )
                    return
                updated = await run.client.put_flow(
                    row.name, flow_update_body(flow, is_enabled=enable)
                )
        except DailyLimitExhausted:
            raise
        except RequestRejected as error:
            self._record(row, None, f"refused twice: {error}", enable, human=True)
            return
        except PlatformError as error:
            self._record(row, None, str(error), enable, human=False)
            return
        except ValueError as error:  # not a full flow: a partial PUT would wipe it
            self._record(row, None, str(error), enable, human=True)
            return
        self._record(row, _summary(updated), None, enable, human=False)

    def _still_ours(self, row: JournalRow, flow: dict[str, Any]) -> bool:
        return flow.get("isEnabled") is not True

    def _record(
        self,
        row: JournalRow,
        state: dict[str, Any] | None,
        error: str | None,
        enable: bool,
        *,
        human: bool,
    ) -> None:
        if enable:
            row.release = (
                ReleaseState.RELEASED
                if state is not None
                else ReleaseState.NEEDS_HUMAN
                if human
                else ReleaseState.FAILED
            )
            row.release_error = error
            row.restored = state
        else:
            row.brake = (
                BrakeState.BRAKED
                if state is not None
                else BrakeState.NEEDS_HUMAN
                if human
                else BrakeState.FAILED
            )
            row.error = error
            row.after = state

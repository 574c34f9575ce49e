"""Salesforce flows and Process Builder processes (FlowDefinition), via the Tooling API.

Brake: one query for every allowlisted flow, then PATCH activeVersionNumber 0, up to 25
per tooling/composite call, then one re-query. Release: PATCH the recorded version
(never LatestVersion, which may be a draft), then one re-query.
"""

from __future__ import annotations

import asyncio
import math
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
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.platforms.salesforce.models import MAX_COMPOSITE_SUBREQUESTS, CompositeResult
from apibrake.platforms.salesforce.soql import soql_strings
from apibrake.store.journal import BrakeState, JournalRow, ReleaseState

_FIELDS = (
    "Id, DeveloperName, NamespacePrefix, ActiveVersionId, LatestVersionId, "
    "ActiveVersion.VersionNumber, LatestVersion.VersionNumber"
)


def _version(record: dict[str, Any], relationship: str) -> int | None:
    related = record.get(relationship)
    number = related.get("VersionNumber") if isinstance(related, dict) else None
    return int(number) if isinstance(number, int | float) else None


def _qualified(developer_name: str, namespace: str | None) -> str:
    return f"{namespace}__{developer_name}" if namespace else developer_name


class FlowAdapter(Adapter):
    kind: ClassVar[AutomationKind] = AutomationKind.FLOW
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[str, ...]] = (
        "API Enabled",
        "View Setup and Configuration (Tooling query of FlowDefinition)",
        "Manage Flows (PATCH FlowDefinition activeVersionNumber)",
    )

    async def inventory(self, client: Any, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        bare = sorted({name.rpartition("__")[2] if "__" in name else name for name in names})
        records = await client.tooling_query(
            f"SELECT {_FIELDS} FROM FlowDefinition "  # noqa: S608 - values escaped
            f"WHERE DeveloperName IN ({soql_strings(bare)})"
        )
        found: dict[str, Observed] = {}
        for record in records:
            namespace = record.get("NamespacePrefix") or None
            summary = {
                "id": record.get("Id"),
                "active_version": _version(record, "ActiveVersion"),
                "latest_version": _version(record, "LatestVersion"),
                "namespace": namespace,
            }
            developer_name = str(record.get("DeveloperName"))
            found[_qualified(developer_name, namespace)] = Observed(summary)
            # An entry without a namespace also finds a managed flow of that name.
            found.setdefault(developer_name, Observed(summary))
        return {name: found[name] for name in names if name in found}

    def is_off(self, observed: Observed | None) -> bool:
        return observed is None or observed.summary.get("active_version") is None

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(BrakeState.SKIPPED, "no flow with this DeveloperName in the org")
        if self.is_off(observed):
            return BrakeDecision(BrakeState.ALREADY_OFF)
        namespace = observed.summary.get("namespace")
        if namespace and not entry.allow_managed:
            return BrakeDecision(
                BrakeState.NEEDS_HUMAN,
                f"managed flow (namespace {namespace}): set allow_managed on the allowlist "
                "entry to let apibrake try, or deactivate it in Setup",
            )
        return ACT

    def brake_calls(self, count: int) -> int:
        return math.ceil(count / MAX_COMPOSITE_SUBREQUESTS) + 1 if count else 0

    async def brake(self, run: AdapterRun, rows: list[JournalRow]) -> None:
        await self._patch_all(run, rows, release=False)

    def decide_release(self, row: JournalRow, observed: Observed | None) -> ReleaseDecision:
        recorded = (row.before or {}).get("active_version")
        if recorded is None:
            return ReleaseDecision(ReleaseState.NOTHING)
        if observed is None:
            return ReleaseDecision(ReleaseState.NEEDS_HUMAN, "the flow is no longer in the org")
        active = observed.summary.get("active_version")
        if active is None:
            return RESTORE
        if row.brake is BrakeState.PENDING and active == recorded:
            return ReleaseDecision(ReleaseState.NOTHING)  # the brake never reached it
        if row.release is ReleaseState.PENDING and active == recorded:
            return ReleaseDecision(ReleaseState.RELEASED)  # our earlier restore took effect
        return ReleaseDecision(
            ReleaseState.NEEDS_HUMAN,
            f"re-activated by hand since the brake (version {active}, recorded {recorded}); "
            "left as is",
        )

    async def release(self, run: AdapterRun, rows: list[JournalRow]) -> None:
        await self._patch_all(run, rows, release=True)

    def confirm_release(self, row: JournalRow, observed: Observed | None) -> None:
        if row.release is not ReleaseState.RELEASED:
            return
        recorded = (row.before or {}).get("active_version")
        active = observed.summary.get("active_version") if observed else None
        if active != recorded:
            row.release = ReleaseState.FAILED
            row.release_error = f"version {recorded} not active after the restore (found {active})"
        elif observed is not None:
            row.restored = observed.summary

    async def _patch_all(self, run: AdapterRun, rows: list[JournalRow], *, release: bool) -> None:
        batches = chunks(rows, MAX_COMPOSITE_SUBREQUESTS)
        started = [batch for batch in batches if run.start_batch(batch, release=release)]
        outcomes = await asyncio.gather(
            *(self._patch_batch(run.client, batch, release=release) for batch in started),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, DailyLimitExhausted):
                raise outcome
            if isinstance(outcome, BaseException) and not isinstance(outcome, PlatformError):
                raise outcome

    async def _patch_batch(self, client: Any, rows: list[JournalRow], *, release: bool) -> None:
        subrequests = []
        for index, row in enumerate(rows):
            version = int((row.before or {}).get("active_version") or 0) if release else 0
            flow_id = str((row.before or {}).get("id"))
            subrequests.append(client.flow_definition_subrequest(flow_id, version, f"f{index}"))
        try:
            results: list[CompositeResult] = await client.tooling_composite(subrequests)
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            for row in rows:
                _record(row, ok=False, error=str(error), release=release)
            return
        by_reference = {result.reference_id: result for result in results}
        for index, row in enumerate(rows):
            result = by_reference.get(f"f{index}")
            if result is None:
                _record(
                    row, ok=False, error="no result for this flow in the composite", release=release
                )
            elif result.ok:
                _record(row, ok=True, error=None, release=release)
            else:
                message = "; ".join(f"{e.error_code}: {e.message}" for e in result.errors)
                _record(row, ok=False, error=message or f"HTTP {result.status}", release=release)


def _record(row: JournalRow, *, ok: bool, error: str | None, release: bool) -> None:
    if release:
        row.release = ReleaseState.RELEASED if ok else ReleaseState.FAILED
        row.release_error = error
        if ok:
            row.restored = {**(row.before or {})}
    else:
        row.brake = BrakeState.BRAKED if ok else BrakeState.FAILED
        row.error = error
        if ok:
            row.after = {**(row.before or {}), "active_version": None}

"""Salesforce flows and Process Builder processes (FlowDefinition), via the Tooling API.

Brake: one query for every allowlisted flow, then PATCH activeVersionNumber 0, up to 25
per tooling/composite call, then one re-query. Release: PATCH the recorded version
(never LatestVersion, which may be a draft), then one re-query.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any, ClassVar

from apibrake.http.errors import DailyLimitExhausted, PlatformError
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
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.models import MAX_COMPOSITE_SUBREQUESTS, CompositeResult
from apibrake.platforms.salesforce.permissions import MANAGE_FLOWS, VIEW_SETUP
from apibrake.platforms.salesforce.soql import soql_strings

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


def _recorded_version(row: JournalRow) -> int | None:
    version = (row.before or {}).get("active_version")
    return int(version) if version is not None else None


class FlowAdapter(Adapter[SalesforceClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.FLOW
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[Permission, ...]] = (VIEW_SETUP, MANAGE_FLOWS)
    by_hand: ClassVar[str] = "Salesforce Setup > Process Automation > Flows: deactivate"
    probe_description: ClassVar[str] = "Tooling query of FlowDefinition (LIMIT 1)"

    async def probe(self, client: SalesforceClient) -> None:
        await client.tooling_query("SELECT Id FROM FlowDefinition LIMIT 1")

    async def discover(self, client: SalesforceClient) -> list[Discovered]:
        """Flows and Process Builder processes: FlowDefinitionView for type and trigger,
        Tooling FlowDefinition for the active version number (2 calls, 2,000 rows a page)."""
        views = await client.query(
            "SELECT ApiName, Label, ProcessType, TriggerType, ActiveVersionId, NamespacePrefix "
            "FROM FlowDefinitionView"
        )
        versions = await client.tooling_query(
            "SELECT DeveloperName, NamespacePrefix, ActiveVersion.VersionNumber FROM FlowDefinition"
        )
        active = {
            _qualified(str(v.get("DeveloperName")), v.get("NamespacePrefix")): _version(
                v, "ActiveVersion"
            )
            for v in versions
        }
        found = []
        for view in views:
            name = _qualified(str(view.get("ApiName")), view.get("NamespacePrefix"))
            process = view.get("ProcessType")
            found.append(
                Discovered(
                    automation=f"{self.kind.value}:{name}",
                    label=view.get("Label"),
                    type="Process Builder" if process == "Workflow" else process,
                    trigger=view.get("TriggerType"),
                    active=active.get(name),
                )
            )
        return found

    async def inventory(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
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

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        active = observed.summary.get("active_version") if observed else None
        return active is not None and active == _recorded_version(row)

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        return {**(row.before or {}), "active_version": None}

    def brake_calls(self, count: int) -> int:
        return math.ceil(count / MAX_COMPOSITE_SUBREQUESTS) + 1 if count else 0

    async def brake(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._patch_all(run, rows, version=lambda row: None)

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        if shown is Shown.GONE:
            return "the flow is no longer in the org"
        active = observed.summary.get("active_version") if observed else None
        return (
            f"re-activated by hand since the brake (version {active}, recorded "
            f"{_recorded_version(row)}); left as is"
        )

    def reworked_since(self, row: JournalRow, observed: Observed | None) -> bool:
        """A fix is a new flow version: the latest version is no longer the one recorded."""
        recorded = (row.before or {}).get("latest_version")
        latest = observed.summary.get("latest_version") if observed is not None else None
        return recorded is not None and latest is not None and latest != recorded

    async def release(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._patch_all(run, rows, version=_recorded_version)

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return super().missed(direction, row, observed)
        active = observed.summary.get("active_version") if observed else None
        return f"version {_recorded_version(row)} not active after the restore (found {active})"

    async def _patch_all(
        self,
        run: AdapterRun[SalesforceClient],
        rows: list[JournalRow],
        *,
        version: Callable[[JournalRow], int | None],
    ) -> None:
        """Sets each row's active version to `version(row)` (None: deactivate), up to 25
        flows per composite call, the batches concurrently."""
        started = []
        for batch in chunks(rows, MAX_COMPOSITE_SUBREQUESTS):
            if await run.start_batch(batch):
                started.append(batch)
        outcomes = await asyncio.gather(
            *(self._patch_batch(run, batch, version) for batch in started),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, DailyLimitExhausted):
                raise outcome
            if isinstance(outcome, BaseException) and not isinstance(outcome, PlatformError):
                raise outcome

    async def _patch_batch(
        self,
        run: AdapterRun[SalesforceClient],
        rows: list[JournalRow],
        version: Callable[[JournalRow], int | None],
    ) -> None:
        subrequests = [
            run.client.flow_definition_subrequest(
                str((row.before or {}).get("id")), version(row) or 0, f"f{index}"
            )
            for index, row in enumerate(rows)
        ]
        try:
            results: list[CompositeResult] = await run.client.tooling_composite(subrequests)
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            for row in rows:
                run.failed(row, str(error))
            return
        by_reference = {result.reference_id: result for result in results}
        for index, row in enumerate(rows):
            result = by_reference.get(f"f{index}")
            if result is None:
                run.failed(row, "no result for this flow in the composite")
            elif result.ok:
                run.changed(row, {**(row.before or {}), "active_version": version(row)})
            else:
                message = "; ".join(f"{e.error_code}: {e.message}" for e in result.errors)
                run.failed(row, message or f"HTTP {result.status}")

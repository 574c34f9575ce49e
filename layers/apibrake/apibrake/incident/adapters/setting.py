"""Salesforce hierarchy custom settings as kill switches (`setting:Switches__c.Disable__c`).

Many teams guard their Apex triggers and flows with a checkbox of a hierarchy custom setting
(`Switches__c.getInstance().Disable__c`); triggers cannot be deactivated in production
without a deployment, so this is how apibrake reaches them. Only the org-default row (the
one whose `SetupOwnerId` is the org's id) is read and written; a profile- or user-level row
overrides it for its users and is left alone (docs/configuration.md says so).

Brake: one query per setting object (all its allowlisted fields), then one PATCH of the
org-default row with every field's brake value, or one POST creating that row when the org
has none; then one re-query. Release: one PATCH back to the recorded values; a row the
brake created is deleted again when nobody changed it since (exactly "no row"), otherwise
it stays with the fields set to false (what a missing row reads as for a checkbox).
"""

from __future__ import annotations

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
)
from apibrake.incident.records import BrakeState, Direction, JournalRow, Outcome
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.permissions import Permission
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.permissions import CUSTOMIZE_APPLICATION
from apibrake.platforms.salesforce.soql import soql_strings

# A query naming a setting or field the user cannot see: the entry is skipped, others go on.
_NOT_VISIBLE = frozenset({"INVALID_TYPE", "INVALID_FIELD"})
UNSET = False  # what a checkbox reads as when the org has no default row
KEPT_ROW = (
    "the org-default row apibrake created was changed since the brake (or holds other "
    "switches): kept, with the field set to false instead of deleting it"
)


def split_name(name: str) -> tuple[str, str]:
    """`Switches__c.Disable__c` -> (setting object, field)."""
    setting, _, field = name.partition(".")
    return setting, field


def brake_value(row: JournalRow) -> Any:
    return row.options.get("brake_value", True)


def _value(observed: Observed | None) -> Any:
    return observed.summary.get("value") if observed is not None else None


def _restore_value(row: JournalRow) -> Any:
    before = row.before or {}
    return before.get("value") if before.get("exists") else UNSET


class SettingAdapter(Adapter[SalesforceClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.SETTING
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[Permission, ...]] = (CUSTOMIZE_APPLICATION,)
    by_hand: ClassVar[str] = (
        "Salesforce Setup > Custom Code > Custom Settings > the setting > Manage: edit the "
        "default organization level value (note the old value first)"
    )
    probe_description: ClassVar[str] = "describe global (the custom settings the user sees)"
    off_note: ClassVar[str | None] = (
        "a kill switch stops only the code that reads it; a profile- or user-level value of "
        "the setting overrides the org default for its users"
    )

    async def probe(self, client: SalesforceClient) -> None:
        await client.describe_global()

    async def discover(self, client: SalesforceClient) -> list[Discovered]:
        """Every hierarchy custom setting with checkbox fields and its org-default values
        (1 call, then 2 per custom setting: its describe and its org-default row)."""
        settings = [s for s in await client.describe_global() if s.get("customSetting")]
        found: list[Discovered] = []
        for setting in settings:
            name = str(setting.get("name"))
            fields = (await client.describe(name)).get("fields") or []
            if not any(f.get("name") == "SetupOwnerId" for f in fields):
                continue  # a list custom setting: no org default to switch
            boxes = [f for f in fields if f.get("type") == "boolean" and f.get("custom")]
            if not boxes:
                continue
            names = [f"{name}.{box.get('name')}" for box in boxes]
            values = await self.inventory(client, names)
            for box, automation in zip(boxes, names, strict=True):
                seen = values.get(automation)
                exists = bool(seen and seen.summary.get("exists"))
                found.append(
                    Discovered(
                        automation=f"{self.kind.value}:{automation}",
                        label=box.get("label"),
                        type="Hierarchy custom setting",
                        trigger=None,
                        active=_value(seen) if exists else "no org default",
                        detail=f"{setting.get('label') or name}: org default "
                        + (f"{_value(seen)}" if exists else "not set (brake creates it)"),
                    )
                )
        return found

    async def inventory(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        """Each field's org-default value: one query per setting object."""
        if not names:
            return {}
        by_setting: dict[str, list[str]] = {}
        for name in names:
            setting, field = split_name(name)
            by_setting.setdefault(setting, []).append(field)
        org_id = await client.org_id()
        found: dict[str, Observed] = {}
        # One after another: a refusal (the daily limit) stops at the first call.
        for setting, fields in by_setting.items():
            found.update(await self._read(client, org_id, setting, fields))
        return found

    async def _read(
        self, client: SalesforceClient, org_id: str, setting: str, fields: list[str]
    ) -> dict[str, Observed]:
        columns = ", ".join(dict.fromkeys(fields))
        try:
            records = await client.query(
                f"SELECT Id, SetupOwnerId, LastModifiedDate, {columns} FROM {setting} "  # noqa: S608 - names validated by the allowlist
                f"WHERE SetupOwnerId = {soql_strings([org_id])}"
            )
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            if error.code in _NOT_VISIBLE:
                return {}  # no such setting or field for this user: the entries are skipped
            raise
        row = records[0] if records else None
        return {
            f"{setting}.{field}": Observed(
                {
                    "setting": setting,
                    "field": field,
                    "org_id": org_id,
                    "exists": row is not None,
                    "record_id": row.get("Id") if row else None,
                    "value": row.get(field) if row else None,
                    "last_modified": row.get("LastModifiedDate") if row else None,
                }
            )
            for field in fields
        }

    # Deciding -----------------------------------------------------------------------------

    def is_off(self, observed: Observed | None) -> bool:
        return _value(observed) is True

    def is_braked(self, row: JournalRow, observed: Observed | None) -> bool:
        return observed is not None and _value(observed) == brake_value(row)

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        """The org-default row holding the brake value (created when the org has none)."""
        return {**(row.before or {}), "exists": True, "value": brake_value(row)}

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        if observed is None:
            return False
        if (row.before or {}).get("exists"):
            return bool(observed.summary.get("exists")) and _value(observed) == _restore_value(row)
        # No org-default row before: gone again, or kept with the field unset.
        unset = _value(observed) in (None, UNSET) and _value(observed) != brake_value(row)
        return not observed.summary.get("exists") or unset

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(
                BrakeState.SKIPPED,
                "no such custom setting or field visible to the integration user (check the "
                "API names and that the user has Customize Application)",
            )
        if _value(observed) == entry.kind_options()["brake_value"]:
            return BrakeDecision(BrakeState.ALREADY_OFF)
        return ACT

    def nothing_to_restore(self, row: JournalRow) -> bool:
        return not row.before  # a checkbox the brake found set already was never changed

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        before = row.before or {}
        if shown is Shown.GONE or observed is None:
            return (
                "the setting's field is no longer readable (deleted, or the integration user "
                f"lost Customize Application); set it back to {_restore_value(row)} by hand"
            )
        if shown is Shown.AS_RECORDED:
            return "set back by hand since the brake; left as is"
        if before.get("exists") and not observed.summary.get("exists"):
            return (
                "the org-default row was deleted since the brake; not re-created, set "
                f"{observed.summary.get('field')} to {before.get('value')} by hand if it should be"
            )
        return (
            f"changed by hand since the brake (now {_value(observed)}, recorded "
            f"{before.get('value')}, the brake set {brake_value(row)}); left as is"
        )

    # Acting -------------------------------------------------------------------------------

    def brake_calls(self, count: int) -> int:
        # At most one change and one re-query per setting object, one object per field.
        return 2 * count

    async def brake(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._each_setting(run, rows, self._brake_setting)

    async def release(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._each_setting(run, rows, self._release_setting)

    async def _each_setting(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow], act: Any
    ) -> None:
        """One call per setting object, its rows journalled just before it; objects one
        after another (a kill switch or two: no need to race, and a refusal stops early)."""
        groups: dict[str, list[JournalRow]] = {}
        for row in rows:
            groups.setdefault(split_name(row.name)[0], []).append(row)
        for group in groups.values():
            if not await run.start_batch(group):
                return
            await self._guarded(run, group, act)

    async def _guarded(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow], act: Any
    ) -> None:
        try:
            await act(run, rows)
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            # It may have landed (a lost answer): the verification re-read settles it.
            for row in rows:
                run.failed(row, str(error))

    def _record_id(self, run: AdapterRun[SalesforceClient], row: JournalRow) -> str | None:
        """The org-default row's id as the plan's read showed it (a resumed brake may find
        the row its earlier POST created), else as journalled."""
        seen = run.observed.get(row.name)
        summary = seen.summary if seen is not None else (row.before or {})
        record_id = summary.get("record_id")
        return str(record_id) if record_id else None

    async def _brake_setting(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]
    ) -> None:
        setting = split_name(rows[0].name)[0]
        values = {split_name(row.name)[1]: brake_value(row) for row in rows}
        record_id = self._record_id(run, rows[0])
        if record_id:
            await run.client.update_record(setting, record_id, values)
        else:
            org_id = await run.client.org_id()
            record_id = await run.client.create_record(setting, {"SetupOwnerId": org_id, **values})
        for row in rows:
            run.changed(row, {**self.planned_after(row), "record_id": record_id})

    async def _release_setting(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]
    ) -> None:
        setting = split_name(rows[0].name)[0]
        record_id = self._record_id(run, rows[0])
        if record_id is None:  # gone already: "no row" is what release wants
            for row in rows:
                run.changed(row, {**(row.before or {}), "exists": False, "value": None})
            return
        if self._may_delete(run, rows):
            await run.client.delete_record(setting, record_id)
            for row in rows:
                run.changed(row, {**(row.before or {}), "exists": False, "value": None})
            return
        values = {split_name(row.name)[1]: _restore_value(row) for row in rows}
        await run.client.update_record(setting, record_id, values)
        for row in rows:
            run.changed(row, {**(row.before or {}), "value": _restore_value(row)})

    def _may_delete(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> bool:
        """The brake created the row and nobody changed it since its verification read."""
        for row in rows:
            seen = run.observed.get(row.name)
            modified = seen.summary.get("last_modified") if seen is not None else None
            ours = (row.after or {}).get("last_modified")
            if (row.before or {}).get("exists") or not ours or modified != ours:
                return False
        return True

    # Verifying ----------------------------------------------------------------------------

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return f"not {brake_value(row)} after the change (found {_value(observed)})"
        return f"not back to {_restore_value(row)} after the restore (found {_value(observed)})"

    def verify(self, direction: Direction, row: JournalRow, observed: Observed | None) -> None:
        super().verify(direction, row, observed)
        kept = observed is not None and observed.summary.get("exists")
        created = not (row.before or {}).get("exists")
        changed = direction is Direction.RELEASE and row.outcome(direction) is Outcome.CHANGED
        if changed and created and kept:
            row.record(direction, Outcome.CHANGED, error=KEPT_ROW)

"""Kill switches and frozen users: hierarchy custom settings (with the Apex triggers that
read them) and the users an external integration logs in as (with their UserLogin).

What the org does, as apibrake's docs describe it:
- a trigger changes records (no API calls of its own: the consumers syncing those records
  spend them, sandbox/salesforce/connector.py) while its switch, a checkbox of the setting's
  org-default row, is not true (profile- and user-level rows are stored but no trigger here
  reads them);
- an external integration running as a user burns calls while the user can log in; a freeze
  stops it once sessions issued before the freeze end, after
  `SalesforceSettings.frozen_sessions_last` (whether Salesforce ends them at once is
  undocumented: 0 by default, a test sets more to model the pessimistic case); an unfreeze
  lets it log in again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.audit import Mutation
from sandbox.salesforce import ids
from sandbox.salesforce.callers import integration_caller
from sandbox.salesforce.ledger import Caller
from sandbox.salesforce.records import HierarchySetting, SettingRow, Trigger, User

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

USER_LOGIN = "0Yn"
_SETTING_PREFIXES = ("a0A", "a0B", "a0C", "a0D", "a0E", "a0F", "a0G", "a0H")


class KillSwitches:
    def __init__(self, org: SalesforceOrg) -> None:
        self._org = org

    # --- building the org ------------------------------------------------------------------

    def add_setting(
        self,
        name: str,
        fields: dict[str, bool | None] | list[str],
        *,
        label: str | None = None,
        hierarchy: bool = True,
    ) -> HierarchySetting:
        """A custom setting with checkbox `fields`; a value that is not None is the org
        default (no org-default row when every value is None or fields is a list)."""
        org = self._org
        with org.lock:
            records = org.records.settings
            if name.lower() in records:
                raise ValueError(f"custom setting {name} already exists")
            values = dict.fromkeys(fields) if isinstance(fields, list) else dict(fields)
            setting = HierarchySetting(
                name=name,
                label=label or name.removesuffix("__c").replace("_", " "),
                key_prefix=_SETTING_PREFIXES[len(records) % len(_SETTING_PREFIXES)],
                fields={f: f.removesuffix("__c").replace("_", " ") for f in values},
                hierarchy=hierarchy,
            )
            records[name.lower()] = setting
            defaults = {f: v for f, v in values.items() if v is not None}
            if defaults and hierarchy:
                self._new_row(setting, org.settings.org_id, defaults)
            return setting

    def add_trigger(
        self,
        name: str,
        *,
        records_per_hour: float,
        switch: str,
        changes_object: str = "Opportunity",
    ) -> Trigger:
        """An Apex trigger changing `records_per_hour` records of `changes_object` unless
        `switch` (Setting__c.Field__c) is true at org level."""
        setting_name, _, field_name = switch.partition(".")
        with self._org.lock:
            self._org.accrue()
            setting = self.setting(setting_name)
            found = setting.field_name(field_name)
            if found is None:
                raise ValueError(f"{setting_name} has no field {field_name}")
            trigger = Trigger(name, records_per_hour, setting.name, found, changes_object)
            self._org.records.triggers.append(trigger)
            return trigger

    def add_integration_user(
        self,
        username: str,
        *,
        calls_per_hour: float = 0.0,
        name: str = "",
        frozen: bool = False,
        last_login: datetime | None = None,
    ) -> User:
        """A user an external integration logs in as, making `calls_per_hour` while it can."""
        org = self._org
        with org.lock:
            org.accrue()
            user = org.add_user(org.ids.new(ids.USER), username, org.settings.user_time_zone)
            user.name = name or username.partition("@")[0]
            user.calls_per_hour = calls_per_hour
            user.frozen = frozen
            user.last_login = last_login
            user.logins_from = org.clock.now()
            self.ensure_login(user)
            return user

    def set_trigger_rate(self, name: str, records_per_hour: float) -> None:
        """A trigger's pace changes (the runaway starts, or calms down) from now on."""
        with self._org.lock:
            self._org.accrue()
            trigger = next(t for t in self._org.records.triggers if t.name == name)
            trigger.records_per_hour = records_per_hour

    def ensure_login(self, user: User) -> str:
        if not user.login_id:
            user.login_id = self._org.ids.new(USER_LOGIN)
            user.login_modified = self._org.clock.now()
        return user.login_id

    # --- reading state ---------------------------------------------------------------------

    def setting(self, name: str) -> HierarchySetting:
        with self._org.lock:
            return self._org.records.settings[name.lower()]

    def org_default(self, switch: str) -> Any:
        """The org-default value of `Setting__c.Field__c`, None without an org-default row."""
        setting_name, _, field_name = switch.partition(".")
        with self._org.lock:
            row = self.org_row(self.setting(setting_name))
            return None if row is None else row.values.get(field_name)

    def org_row(self, setting: HierarchySetting) -> SettingRow | None:
        owner = ids.short(self._org.settings.org_id)
        return next(
            (r for r in setting.rows.values() if ids.short(r.setup_owner_id) == owner), None
        )

    def user(self, username: str) -> User:
        with self._org.lock:
            return next(
                u
                for u in self._org.records.users.values()
                if u.username.lower() == username.lower()
            )

    # --- usage -----------------------------------------------------------------------------

    def running_triggers(self) -> list[Trigger]:
        """Triggers whose kill switch is not set."""
        return [
            t
            for t in self._org.records.triggers
            if self.org_default(f"{t.setting}.{t.field}") is not True
        ]

    def accrue(self, start: datetime, now: datetime) -> None:
        """The calls integration users made between `start` and `now` (the switches' state
        holds over the interval: every change accrues first)."""
        usage, ledger = self._org.usage_ledger, self._org.ledger
        for user in self._org.records.users.values():
            if user.calls_per_hour <= 0 or not user.is_active:
                continue
            until = now if user.stopped_at is None else min(now, user.stopped_at)
            if until > start:
                usage.add_rate(start, until, user.calls_per_hour)
                ledger.add_rate(start, until, integration_caller(user), user.calls_per_hour)

    def rates(self) -> list[tuple[Caller, float]]:
        """The calls an hour integration users spend at this moment."""
        return [
            (integration_caller(u), u.calls_per_hour)
            for u in self._org.records.users.values()
            if u.calls_per_hour > 0 and u.is_active and u.stopped_at is None
        ]

    # --- changes (the API's and people's) --------------------------------------------------

    def set_value(
        self, row: SettingRow, setting: HierarchySetting, values: dict[str, Any], actor: str
    ) -> None:
        before = {f: row.values.get(f) for f in values}
        row.values.update(values)
        row.last_modified = self._org.clock.now()
        self._audit("setting_update", f"{setting.name}:{row.setup_owner_id}", before, values, actor)

    def create_row(
        self, setting: HierarchySetting, owner_id: str, values: dict[str, Any], actor: str
    ) -> SettingRow:
        row = self._new_row(setting, owner_id, values)
        self._audit("setting_create", f"{setting.name}:{owner_id}", {}, values, actor)
        return row

    def delete_row(self, setting: HierarchySetting, row: SettingRow, actor: str) -> None:
        del setting.rows[ids.short(row.id)]
        self._audit("setting_delete", f"{setting.name}:{row.setup_owner_id}", row.values, {}, actor)

    def set_frozen(self, user: User, frozen: bool, actor: str) -> None:
        org = self._org
        now = org.clock.now()
        before = user.frozen
        user.frozen, user.login_modified = frozen, now
        # Frozen: sessions from before the freeze last `frozen_sessions_last`; unfrozen:
        # the integration logs in again.
        user.stopped_at = now + org.settings.frozen_sessions_last if frozen else None
        self._audit("user_freeze", user.username, {"frozen": before}, {"frozen": frozen}, actor)

    def set_by_hand(self, switch: str, value: Any) -> None:
        """An admin edits the org default in Setup (creating the row when there is none)."""
        setting_name, _, field_name = switch.partition(".")
        with self._org.lock:
            self._org.accrue()
            setting = self.setting(setting_name)
            row = self.org_row(setting)
            if row is None:
                self.create_row(setting, self._org.settings.org_id, {field_name: value}, "human")
            else:
                self.set_value(row, setting, {field_name: value}, "human")

    def freeze_by_hand(self, username: str, frozen: bool = True) -> None:
        with self._org.lock:
            self._org.accrue()
            self.set_frozen(self.user(username), frozen, "human")

    def _new_row(
        self, setting: HierarchySetting, owner_id: str, values: dict[str, Any]
    ) -> SettingRow:
        row_id = self._org.ids.new(setting.key_prefix)
        row = SettingRow(row_id, owner_id, dict(values), self._org.clock.now())
        setting.rows[ids.short(row_id)] = row
        return row

    def _audit(
        self, kind: str, target: str, before: dict[str, Any], after: dict[str, Any], actor: str
    ) -> None:
        self._org.record_mutation(
            Mutation(
                at=self._org.clock.now(),
                platform=self._org.name,
                kind=kind,
                target=target,
                before=dict(before),
                after=dict(after),
                actor=actor,
            )
        )

"""The sObject REST resources for kill switches and frozen users: describe, create, update,
delete of hierarchy custom setting rows, update of UserLogin, and the query types behind
them (custom settings, UserLogin, Organization).

Answers follow the REST API guide: create 201 `{"id","success":true,"errors":[]}`, update
and delete 204. Error shapes for a duplicate org-default row (DUPLICATE_VALUE) and fields
that cannot be written are Salesforce's usual ones; assumed, not captured from an org.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.salesforce import errors, ids, permissions
from sandbox.salesforce.records import HierarchySetting, OrgRecords, User
from sandbox.salesforce.sobjects import Row, SObjectType, timestamp

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

_SETTING_FIELDS = ("Id", "Name", "SetupOwnerId", "LastModifiedDate")


def _setting_rows(setting: HierarchySetting) -> Any:
    def rows(records: OrgRecords, now: datetime) -> list[Row]:
        return [
            {
                "Id": row.id,
                "Name": row.setup_owner_id,
                "SetupOwnerId": row.setup_owner_id,
                "LastModifiedDate": timestamp(row.last_modified),
                **{f: bool(row.values.get(f)) for f in setting.fields},
            }
            for row in setting.rows.values()
        ]

    return rows


def setting_type(records: OrgRecords, name: str) -> SObjectType | None:
    """The query type of a custom setting of the org, if it has one of that name."""
    setting = records.settings.get(name.lower())
    if setting is None:
        return None
    standard = _SETTING_FIELDS if setting.hierarchy else ("Id", "Name", "LastModifiedDate")
    return SObjectType(
        setting.name, (*standard, *setting.fields), (), _setting_rows(setting), tooling=False
    )


def _user_logins(records: OrgRecords, now: datetime) -> list[Row]:
    return [
        {
            "Id": user.login_id,
            "UserId": user.id,
            "IsFrozen": user.frozen,
            "IsPasswordLocked": False,
            "LastModifiedDate": timestamp(user.login_modified),
        }
        for user in records.users.values()
        if user.login_id
    ]


def _organizations(records: OrgRecords, now: datetime) -> list[Row]:
    if not records.org_id:
        return []
    return [{"Id": records.org_id, "Name": "apibrake sandbox", **records.organization}]


def _entitlements(records: OrgRecords, now: datetime) -> list[Row]:
    """The 30-day API requests entitlement: a stand-in (the real row's Setting name is not
    documented): allowed 30 daily limits, used 30 times the rolling day's usage so far."""
    found = records.entitlement
    return [dict(found)] if found else []


QUERY_TYPES = {
    t.name.lower(): t
    for t in (
        SObjectType(
            "UserLogin",
            ("Id", "UserId", "IsFrozen", "IsPasswordLocked", "LastModifiedDate"),
            (),
            _user_logins,
            tooling=False,
        ),
        SObjectType(
            "Organization",
            ("Id", "Name", "OrganizationType", "IsSandbox", "TrialExpirationDate"),
            (),
            _organizations,
            tooling=False,
        ),
        SObjectType(
            "TenantUsageEntitlement",
            (
                "Id",
                "Setting",
                "MasterLabel",
                "AmountUsed",
                "CurrentAmountAllowed",
                "OverageGrace",
                "Frequency",
            ),
            (),
            _entitlements,
            tooling=False,
        ),
    )
}


def hidden_types(org: SalesforceOrg) -> frozenset[str]:
    """What the user's missing permissions hide: custom settings without Customize
    Application, UserLogin without Manage Users (lower case)."""
    hidden: set[str] = set()
    if not org.settings.grants(permissions.CUSTOMIZE_APPLICATION):
        hidden |= set(org.records.settings)
    if not org.settings.grants(permissions.MANAGE_USERS):
        hidden.add("userlogin")
    return frozenset(hidden)


class SObjectRest:
    def __init__(self, org: SalesforceOrg) -> None:
        self._org = org

    def describe_global(self, request: Request) -> Response:
        sobjects = [
            _global_entry(s.name, s.label, custom=True, setting=True)
            for s in self._org.records.settings.values()
        ]
        sobjects += [
            _global_entry(name, name, custom=False, setting=False)
            for name in ("Organization", "User", "UserLogin")
        ]
        return Response.json(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})

    def describe(self, request: Request) -> Response:
        setting = self._setting(request.params["sobject"])
        if setting is None:
            return errors.not_found()
        fields = [
            _field("Id", "Record ID", "id", custom=False),
            _field("Name", "Name", "string", custom=False),
            _field("LastModifiedDate", "Last Modified Date", "datetime", custom=False),
        ]
        if setting.hierarchy:
            fields.append(_field("SetupOwnerId", "Location", "reference", custom=False))
        fields += [_field(f, label, "boolean", custom=True) for f, label in setting.fields.items()]
        body = {**_global_entry(setting.name, setting.label, custom=True, setting=True)}
        return Response.json(200, {**body, "fields": fields})

    def create(self, request: Request) -> Response:
        if request.params["sobject"].lower() == "setupentityaccess":
            return self._org.connected_apps.create(request)
        setting = self._setting(request.params["sobject"])
        if setting is None or not setting.hierarchy:
            return errors.not_found()
        body = request.json()
        values, owner = self._values(setting, body, creating=True)
        if isinstance(values, Response):
            return values
        switches = self._org.switches
        taken = next(
            (r for r in setting.rows.values() if ids.short(r.setup_owner_id) == ids.short(owner)),
            None,
        )
        if taken is not None:
            return errors.error(
                400,
                "DUPLICATE_VALUE",
                "duplicate value found: SetupOwnerId duplicates value on record with id: "
                + taken.id,
                ["SetupOwnerId"],
            )
        row = switches.create_row(setting, owner, values, "api")
        return Response.json(201, {"id": row.id, "success": True, "errors": []})

    def update(self, request: Request) -> Response:
        name, record_id = request.params["sobject"], request.params["record_id"]
        if name.lower() == "userlogin":
            return self._update_login(record_id, request.json())
        setting = self._setting(name)
        row = setting.rows.get(ids.short(record_id)) if setting else None
        if setting is None or row is None:
            return errors.not_found()
        values, _ = self._values(setting, request.json(), creating=False)
        if isinstance(values, Response):
            return values
        self._org.switches.set_value(row, setting, values, "api")
        return Response(204, b"")

    def delete(self, request: Request) -> Response:
        if request.params["sobject"].lower() == "setupentityaccess":
            return self._org.connected_apps.delete(request.params["record_id"])
        setting = self._setting(request.params["sobject"])
        row = setting.rows.get(ids.short(request.params["record_id"])) if setting else None
        if setting is None or row is None:
            return errors.error(404, "ENTITY_IS_DELETED", "entity is deleted")
        self._org.switches.delete_row(setting, row, "api")
        return Response(204, b"")

    def _setting(self, name: str) -> HierarchySetting | None:
        if name.lower() in hidden_types(self._org):
            return None
        return self._org.records.settings.get(name.lower())

    def _values(
        self, setting: HierarchySetting, body: Any, *, creating: bool
    ) -> tuple[dict[str, Any] | Response, str]:
        if not isinstance(body, dict):
            return errors.error(400, "JSON_PARSER_ERROR", "expected a JSON object"), ""
        owner = str(body.get("SetupOwnerId") or "")
        values: dict[str, Any] = {}
        for key, value in body.items():
            if key == "SetupOwnerId" and creating:
                continue
            found = setting.field_name(key)
            if found is None:
                return errors.error(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{key}' on sobject of type {setting.name}",
                ), owner
            if not isinstance(value, bool):
                return errors.error(
                    400,
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of boolean from {value!r}",
                ), owner
            values[found] = value
        if creating and not ids.looks_like_id(owner):
            return errors.error(
                400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [SetupOwnerId]"
            ), owner
        return values, owner

    def _update_login(self, login_id: str, body: Any) -> Response:
        if "userlogin" in hidden_types(self._org):
            return permissions.insufficient_access()
        user = self._login_user(login_id)
        if user is None:
            return errors.not_found()
        if not isinstance(body, dict) or set(body) - {"IsFrozen"}:
            return errors.error(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "Unable to create/update fields: only IsFrozen is sent by this sandbox",
            )
        frozen = body.get("IsFrozen")
        if not isinstance(frozen, bool):
            return errors.error(400, "JSON_PARSER_ERROR", "IsFrozen must be a boolean")
        self._org.switches.set_frozen(user, frozen, "api")
        return Response(204, b"")

    def _login_user(self, login_id: str) -> User | None:
        key = ids.short(login_id)
        return next(
            (
                u
                for u in self._org.records.users.values()
                if u.login_id and ids.short(u.login_id) == key
            ),
            None,
        )


def _global_entry(name: str, label: str, *, custom: bool, setting: bool) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "custom": custom,
        "customSetting": setting,
        "queryable": True,
        "createable": True,
        "updateable": True,
        "deletable": setting,
    }


def _field(name: str, label: str, kind: str, *, custom: bool) -> dict[str, Any]:
    return {"name": name, "label": label, "type": kind, "custom": custom}

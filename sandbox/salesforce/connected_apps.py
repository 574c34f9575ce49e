"""Connected apps and the permission sets that grant them: a per-app brake's target.

An app set to "Admin approved users are pre-authorized" is usable only by users whom a
profile or permission set grants it, through a SetupEntityAccess row (`ParentId` the
permission set, `SetupEntityId` the app, `SetupEntityType = ConnectedApplication`); the
object supports create, delete and query (docs/platform-notes.md S10). Here an app spends
its calls while it is self-authorizing or some permission set still grants it; removing
the last grant stops it, unless `SalesforceSettings.app_tokens_survive_unlink` (the strict
reading: whether tokens issued before the removal stop working is not confirmed), which
lets it go on. Reading both objects needs View Setup and Configuration; creating and
deleting links Manage Profiles and Permission Sets (the sandbox's assumption, see S10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.audit import Mutation
from sandbox.http import Request, Response
from sandbox.salesforce import errors, ids, permissions
from sandbox.salesforce.callers import background_caller
from sandbox.salesforce.ledger import Caller
from sandbox.salesforce.sobjects import Relationship, Row, SObjectType, timestamp

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg
    from sandbox.salesforce.records import OrgRecords

SETUP_ENTITY_ACCESS = "0J0"
PERMISSION_SET = "0PS"
APP_TYPE = "ConnectedApplication"


@dataclass
class ConnectedApp:
    id: str
    name: str
    admin_approved: bool
    calls_per_hour: float
    caller: Caller
    had_tokens: bool = False  # a user authorized it once (its tokens may outlive a removal)


@dataclass
class AppLink:
    id: str
    parent_id: str  # PermissionSet
    setup_entity_id: str  # the app
    modified: datetime


@dataclass
class ConnectedApps:
    org: SalesforceOrg
    apps: dict[str, ConnectedApp] = field(default_factory=dict)  # by name
    permission_sets: dict[str, str] = field(default_factory=dict)  # name -> id
    links: dict[str, AppLink] = field(default_factory=dict)  # by 15-character id

    # --- building the org ----------------------------------------------------------------

    def add_app(
        self,
        name: str,
        *,
        calls_per_hour: float = 0.0,
        admin_approved: bool = True,
        permission_sets: tuple[str, ...] = (),
    ) -> ConnectedApp:
        org = self.org
        with org.lock:
            org.accrue()
            caller = background_caller(org.settings, name)
            app = ConnectedApp(
                caller.connected_app_id, name, admin_approved, calls_per_hour, caller
            )
            self.apps[name] = app
            for permission_set in permission_sets:
                self.link(self.permission_set_id(permission_set), app.id)
            app.had_tokens = self.spending(app)
            return app

    def permission_set_id(self, name: str) -> str:
        if name not in self.permission_sets:
            self.permission_sets[name] = self.org.ids.new(PERMISSION_SET)
        return self.permission_sets[name]

    def link(self, parent_id: str, app_id: str) -> AppLink:
        link = AppLink(
            self.org.ids.new(SETUP_ENTITY_ACCESS), parent_id, app_id, self.org.clock.now()
        )
        self.links[ids.short(link.id)] = link
        return link

    # --- spending ------------------------------------------------------------------------

    def linked(self, app: ConnectedApp) -> bool:
        return any(ids.short(k.setup_entity_id) == ids.short(app.id) for k in self.links.values())

    def spending(self, app: ConnectedApp) -> bool:
        if app.calls_per_hour <= 0:
            return False
        if not app.admin_approved or self.linked(app):
            return True
        return app.had_tokens and self.org.settings.app_tokens_survive_unlink

    def accrue(self, start: datetime, now: datetime) -> None:
        for app in self.apps.values():
            if self.spending(app):
                self.org.spend_rate(start, now, app.caller, app.calls_per_hour)

    def rates(self) -> list[tuple[Caller, float]]:
        return [(a.caller, a.calls_per_hour) for a in self.apps.values() if self.spending(a)]

    # --- the API -------------------------------------------------------------------------

    def create(self, request: Request) -> Response:
        if not self._may_write():
            return permissions.insufficient_access()
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"ParentId", "SetupEntityId"}:
            return errors.error(
                400, "INVALID_FIELD_FOR_INSERT_UPDATE", "only ParentId and SetupEntityId are set"
            )
        parent, entity = str(body.get("ParentId") or ""), str(body.get("SetupEntityId") or "")
        if ids.short(parent) not in {ids.short(i) for i in self.permission_sets.values()}:
            return errors.error(
                400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["ParentId"]
            )
        app = self._app_by_id(entity)
        if app is None:
            return errors.error(
                400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["SetupEntityId"]
            )
        taken = any(
            ids.short(k.parent_id) == ids.short(parent)
            and ids.short(k.setup_entity_id) == ids.short(entity)
            for k in self.links.values()
        )
        if taken:
            return errors.error(400, "DUPLICATE_VALUE", "duplicate value found: SetupEntityId")
        link = self.link(parent, entity)
        app.had_tokens = app.had_tokens or self.spending(app)
        self._audit("app_link_create", app.name, {}, {"parent_id": parent}, "api")
        return Response.json(201, {"id": link.id, "success": True, "errors": []})

    def delete(self, record_id: str) -> Response:
        if not self._may_write():
            return permissions.insufficient_access()
        link = self.links.get(ids.short(record_id))
        if link is None:
            return errors.error(404, "ENTITY_IS_DELETED", "entity is deleted")
        app = self._app_by_id(link.setup_entity_id)
        if app is not None:
            app.had_tokens = app.had_tokens or self.spending(app)
        del self.links[ids.short(record_id)]
        name = app.name if app else link.setup_entity_id
        self._audit("app_link_delete", name, {"parent_id": link.parent_id}, {}, "api")
        return Response(204, b"")

    def _may_write(self) -> bool:
        return self.org.settings.grants(permissions.MANAGE_PERMISSION_SETS)

    def _app_by_id(self, app_id: str) -> ConnectedApp | None:
        return next((a for a in self.apps.values() if ids.short(a.id) == ids.short(app_id)), None)

    def _audit(
        self, kind: str, target: str, before: dict[str, Any], after: dict[str, Any], actor: str
    ) -> None:
        self.org.record_mutation(
            Mutation(
                at=self.org.clock.now(),
                platform=self.org.name,
                kind=kind,
                target=target,
                before=before,
                after=after,
                actor=actor,
            )
        )


# --- query types ---------------------------------------------------------------------------


def _apps(records: OrgRecords, now: datetime) -> list[Row]:
    apps = records.connected_apps
    if apps is None:
        return []
    return [
        {"Id": a.id, "Name": a.name, "OptionsAllowAdminApprovedUsersOnly": a.admin_approved}
        for a in apps.apps.values()
    ]


def _links(records: OrgRecords, now: datetime) -> list[Row]:
    apps = records.connected_apps
    if apps is None:
        return []
    names = {ids.short(i): n for n, i in apps.permission_sets.items()}
    return [
        {
            "Id": link.id,
            "ParentId": link.parent_id,
            "SetupEntityId": link.setup_entity_id,
            "SetupEntityType": APP_TYPE,
            "SystemModstamp": timestamp(link.modified),
            "Parent": {"Id": link.parent_id, "Name": names.get(ids.short(link.parent_id))},
        }
        for link in apps.links.values()
    ]


APP_QUERY_TYPES = {
    t.name.lower(): t
    for t in (
        SObjectType(
            APP_TYPE, ("Id", "Name", "OptionsAllowAdminApprovedUsersOnly"), (), _apps, tooling=False
        ),
        SObjectType(
            "SetupEntityAccess",
            ("Id", "ParentId", "SetupEntityId", "SetupEntityType", "SystemModstamp"),
            (Relationship("Parent", "PermissionSet", ("Id", "Name")),),
            _links,
            tooling=False,
        ),
    )
}

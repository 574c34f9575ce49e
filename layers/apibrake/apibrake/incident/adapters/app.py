"""A brake per app (`app:<connected app name>`, option `permission_set`): remove the
SetupEntityAccess row through which a permission set grants access to a connected app set
to "Admin approved users are pre-authorized", and re-create it at release.

For such an app only users granted access by a profile or permission set may use it; the
access is a SetupEntityAccess row (`SetupEntityType = ConnectedApplication`) linking the
permission set (`ParentId`) to the app (`SetupEntityId`), and the object supports create and
delete (docs/platform-notes.md S10). An app whose users may self-authorize is refused: the
brake would change nothing. Whether tokens issued before the removal stop working is not
confirmed: the off note says so, and release's watch alerts when the app keeps spending.

Brake: one query of ConnectedApplication by name, one of SetupEntityAccess by app id, then
one DELETE per link, then the same two queries. Release: one POST per link (a new row with
the journalled ParentId and SetupEntityId), then the two queries.
"""

from __future__ import annotations

from typing import Any, ClassVar

from apibrake.http.errors import DailyLimitExhausted, NotFound, PlatformError
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
from apibrake.models.protected import PROTECTED_FIELD, ProtectedConsumers
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.permissions import MANAGE_PERMISSION_SETS, VIEW_SETUP
from apibrake.platforms.salesforce.soql import soql_strings

LINK = "SetupEntityAccess"
APP_TYPE = "ConnectedApplication"
SELF_AUTHORIZE = (
    "its OAuth policy is 'All users may self-authorize': any user may use it without a "
    "permission set, so removing one would stop nothing. Set it to 'Admin approved users "
    "are pre-authorized' in calm time (and grant it to the users who need it), or freeze "
    "the user it runs as"
)
TOKENS_NOTE = (
    "removing the permission set's access stops new authorizations through it; whether "
    "tokens issued before keep working is not confirmed, so release watches the app's calls "
    "and alerts 'still spending' (docs/runbook.md)"
)


def permission_set(row: JournalRow) -> str:
    return str(row.options.get("permission_set") or "")


def _link(summary: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The app's link to the permission set `name`, as the state shows it."""
    for link in (summary or {}).get("links") or []:
        if str(link.get("permission_set", "")).lower() == name.lower():
            return dict(link)
    return None


class AppAdapter(Adapter[SalesforceClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.APP
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[Permission, ...]] = (VIEW_SETUP, MANAGE_PERMISSION_SETS)
    by_hand: ClassVar[str] = (
        "Salesforce Setup > Permission Sets > the set > Assigned Connected Apps > Edit: "
        "remove the app (add it back after the incident)"
    )
    probe_description: ClassVar[str] = "query of SetupEntityAccess (LIMIT 1)"
    off_note: ClassVar[str | None] = TOKENS_NOTE
    # Manage Profiles and Permission Sets edits every set: granted only with app entries.
    opt_in: ClassVar[bool] = True

    async def probe(self, client: SalesforceClient) -> None:
        await client.query("SELECT Id FROM SetupEntityAccess LIMIT 1")

    async def discover(self, client: SalesforceClient) -> list[Discovered]:
        """Every admin-approved connected app and the permission sets granting it (2 calls)."""
        apps = await client.query(
            "SELECT Id, Name, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication"
        )
        found = await self._with_links(client, apps)
        rows = []
        for name, observed in found.items():
            app = observed.summary
            for link in app["links"] or [{"permission_set": None}]:
                rows.append(
                    Discovered(
                        automation=f"{self.kind.value}:{name}",
                        label=name,
                        type="Connected app",
                        trigger=None,
                        active="admin approved" if app["admin_approved"] else "self-authorize",
                        detail=f"permission set {link['permission_set'] or '(none)'}",
                        extra={"permission_set": link["permission_set"]},
                    )
                )
        return rows

    async def inventory(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        apps = await client.query(
            f"SELECT Id, Name, OptionsAllowAdminApprovedUsersOnly FROM {APP_TYPE} "  # noqa: S608 - values escaped
            f"WHERE Name IN ({soql_strings(names)})"
        )
        found = await self._with_links(client, apps)
        return {name: found[name] for name in names if name in found}

    async def _with_links(
        self, client: SalesforceClient, apps: list[dict[str, Any]]
    ) -> dict[str, Observed]:
        if not apps:
            return {}
        ids = soql_strings([str(app.get("Id")) for app in apps])
        links = await client.query(
            f"SELECT Id, ParentId, Parent.Name, SetupEntityId FROM {LINK} "  # noqa: S608 - values escaped
            f"WHERE SetupEntityType = '{APP_TYPE}' AND SetupEntityId IN ({ids})"
        )
        found: dict[str, Observed] = {}
        for app in apps:
            key = str(app.get("Id"))[:15]
            found[str(app.get("Name"))] = Observed(
                {
                    "app_id": app.get("Id"),
                    "app_name": app.get("Name"),
                    "admin_approved": app.get("OptionsAllowAdminApprovedUsersOnly") is True,
                    "links": [
                        {
                            "link_id": link.get("Id"),
                            "parent_id": link.get("ParentId"),
                            "permission_set": (link.get("Parent") or {}).get("Name"),
                            "setup_entity_id": link.get("SetupEntityId"),
                        }
                        for link in links
                        if str(link.get("SetupEntityId"))[:15] == key
                    ],
                }
            )
        return found

    # Deciding -----------------------------------------------------------------------------

    def is_off(self, observed: Observed | None) -> bool:
        return observed is not None and not (observed.summary.get("links") or [])

    def is_braked(self, row: JournalRow, observed: Observed | None) -> bool:
        return observed is not None and _link(observed.summary, permission_set(row)) is None

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        return observed is not None and _link(observed.summary, permission_set(row)) is not None

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        before = row.before or {}
        links = [
            link
            for link in before.get("links") or []
            if str(link.get("permission_set", "")).lower() != permission_set(row).lower()
        ]
        return {**before, "links": links}

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(
                BrakeState.SKIPPED,
                "no connected app of this name visible to the integration user (check the "
                "name and View Setup and Configuration)",
            )
        if not observed.summary.get("admin_approved"):
            return BrakeDecision(BrakeState.SKIPPED, f"not braked: {SELF_AUTHORIZE}")
        if _link(observed.summary, str(entry.permission_set)) is None:
            return BrakeDecision(
                BrakeState.ALREADY_OFF,
                f"permission set {entry.permission_set} grants no access to the app (removed "
                "already, or the entry names another set than the one its users hold)",
            )
        return ACT

    def protected_reason(
        self, observed: Observed | None, protected: ProtectedConsumers
    ) -> str | None:
        if observed is None:
            return None
        reason = protected.reason(str(observed.summary.get("app_name") or ""))
        if reason is None:
            return None
        return f"protected consumer ({PROTECTED_FIELD}), {reason}; never blocked"

    def nothing_to_restore(self, row: JournalRow) -> bool:
        """The brake recorded no grant of the entry's permission set to the app."""
        return _link(row.before, permission_set(row)) is None

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        if shown is Shown.GONE or observed is None:
            return (
                "the connected app is no longer readable (deleted?); give permission set "
                f"{permission_set(row)} access to it by hand if it should have it"
            )
        return "access given back by hand since the brake; left as is"

    # Acting -------------------------------------------------------------------------------

    def brake_calls(self, count: int) -> int:
        return count + 2 if count else 0  # a DELETE each; the re-read is two queries

    async def brake(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        for batch in chunks(rows, run.concurrency):
            if not await run.start_batch(batch):
                return
            for row in batch:
                await self._remove(run, row)

    async def _remove(self, run: AdapterRun[SalesforceClient], row: JournalRow) -> None:
        seen = run.observed.get(row.name)
        link = _link(seen.summary if seen else row.before, permission_set(row)) or {}
        try:
            await run.client.delete_record(LINK, str(link.get("link_id")))
        except NotFound:
            pass  # gone already: what the brake wants
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            run.failed(row, str(error))  # a lost answer: the verification re-read settles it
            return
        run.changed(row, self.planned_after(row))

    async def release(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        for batch in chunks(rows, run.concurrency):
            if not await run.start_batch(batch):
                return
            for row in batch:
                await self._recreate(run, row)

    async def _recreate(self, run: AdapterRun[SalesforceClient], row: JournalRow) -> None:
        link = _link(row.before, permission_set(row)) or {}
        fields = {"ParentId": link.get("parent_id"), "SetupEntityId": link.get("setup_entity_id")}
        try:
            new_id = await run.client.create_record(LINK, fields)
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            run.failed(row, str(error))  # never sent twice: the re-read settles it
            return
        run.changed(row, {**(row.before or {}), "recreated_link_id": new_id})

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return (
                f"permission set {permission_set(row)} still grants access (verification re-read)"
            )
        return f"permission set {permission_set(row)} has no access again (verification re-read)"

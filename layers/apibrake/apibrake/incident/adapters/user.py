"""Freezing a Salesforce user (`user:etl@acme.com` or `user:005...`): the last resort
against an external integration or a connected app apibrake has no other handle on.

`UserLogin.IsFrozen` (Manage Users): "If a user's account is frozen, they can't log in, but
their account isn't deactivated" (object reference, UserLogin). Whether sessions and OAuth
tokens issued before the freeze stop working at once is not documented: see
docs/runbook.md ("After a user freeze") for what is known and what the integration's owner
does after release.

Brake: one query of User (per form of name: usernames, Ids) and one of UserLogin, then one
PATCH `{"IsFrozen": true}` per user, then the same re-read. Release unfreezes only users the
journal shows apibrake froze (not frozen before), and leaves a user someone froze again or
unfroze since.
"""

from __future__ import annotations

import asyncio
import re
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
from apibrake.models.protected import PROTECTED_FIELD, ProtectedConsumers
from apibrake.models.words import counted
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.permissions import MANAGE_USERS
from apibrake.platforms.salesforce.soql import soql_strings

USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")
# LoginHistory.LoginType of an interactive browser login; every other type is an API or
# single-sign-on login.
_UI_LOGIN = "Application"
FREEZE_NOTE = (
    "a freeze stops new logins; whether sessions and OAuth tokens issued before it stop at "
    "once is undocumented (docs/runbook.md); after release the integration must log in again"
)


def _same_user(name: str, user: dict[str, Any]) -> bool:
    if USER_ID.match(name):
        return str(user.get("Id", ""))[:15] == name[:15]
    return str(user.get("Username", "")).lower() == name.lower()  # usernames ignore case


def _frozen(observed: Observed | None) -> Any:
    return observed.summary.get("frozen") if observed is not None else None


class UserAdapter(Adapter[SalesforceClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.USER
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[Permission, ...]] = (MANAGE_USERS,)
    by_hand: ClassVar[str] = "Salesforce Setup > Users > Users > the user: Freeze"
    probe_description: ClassVar[str] = "query of UserLogin (LIMIT 1)"
    off_note: ClassVar[str | None] = FREEZE_NOTE
    opt_in: ClassVar[bool] = True  # Manage Users is granted only for allowlisted users

    async def probe(self, client: SalesforceClient) -> None:
        await client.query("SELECT Id FROM UserLogin LIMIT 1")

    async def discover(self, client: SalesforceClient) -> list[Discovered]:
        """Active users with their API logins of the last 7 days (LoginHistory; when it is
        not readable, every active user with its last login): 2 or 3 calls."""
        users = await client.query(
            "SELECT Id, Username, Name, LastLoginDate FROM User "
            "WHERE IsActive = true AND UserType = 'Standard'"
        )
        frozen = {
            str(login.get("UserId"))[:15]
            for login in await client.query("SELECT UserId FROM UserLogin WHERE IsFrozen = true")
        }
        logins = await self._api_logins(client)
        found = []
        for user in users:
            key = str(user.get("Id"))[:15]
            seen = logins.get(key) if logins is not None else None
            if logins is not None and not seen:
                continue  # no API login in 7 days: not an integration user
            found.append(
                Discovered(
                    automation=f"{self.kind.value}:{user.get('Username')}",
                    label=user.get("Name"),
                    type="User (freeze)",
                    trigger=None,
                    active="frozen" if key in frozen else "active",
                    detail=_login_detail(user, seen, readable=logins is not None),
                    extra={
                        "user_id": user.get("Id"),
                        "api_logins_7d": len(seen or []),
                        # `apibrake discover` finds the HubSpot connector's user by these.
                        "applications": sorted(
                            {str(login.get("Application") or "?") for login in seen or []}
                        ),
                    },
                )
            )
        return found

    async def _api_logins(self, client: SalesforceClient) -> dict[str, list[dict[str, Any]]] | None:
        """API logins of the last 7 days by user (15-character Id); None when LoginHistory
        cannot be read."""
        try:
            records = await client.query(
                "SELECT UserId, LoginTime, LoginType, Application FROM LoginHistory "
                "WHERE LoginTime = LAST_N_DAYS:7 ORDER BY LoginTime DESC LIMIT 2000"
            )
        except DailyLimitExhausted:
            raise
        except PlatformError:
            return None
        found: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            if record.get("LoginType") != _UI_LOGIN:
                found.setdefault(str(record.get("UserId"))[:15], []).append(record)
        return found

    async def inventory(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        ids = [name for name in names if USER_ID.match(name)]
        usernames = [name for name in names if not USER_ID.match(name)]
        queries = []
        if usernames:
            queries.append(f"Username IN ({soql_strings(usernames)})")
        if ids:
            queries.append(f"Id IN ({soql_strings(ids)})")
        pages = await asyncio.gather(
            *(
                client.query(f"SELECT Id, Username, Name, IsActive FROM User WHERE {where}")  # noqa: S608 - values escaped
                for where in queries
            )
        )
        users = [user for page in pages for user in page]
        if not users:
            return {}
        logins = await client.query(
            "SELECT Id, UserId, IsFrozen, LastModifiedDate FROM UserLogin "  # noqa: S608 - values escaped
            f"WHERE UserId IN ({soql_strings(sorted({str(u.get('Id')) for u in users}))})"
        )
        by_user = {str(login.get("UserId"))[:15]: login for login in logins}
        own = await client.running_user_id()
        found: dict[str, Observed] = {}
        for user in users:
            login = by_user.get(str(user.get("Id"))[:15]) or {}
            summary = {
                "user_id": user.get("Id"),
                "username": user.get("Username"),
                "name": user.get("Name"),
                "is_active": user.get("IsActive"),
                "login_id": login.get("Id"),
                "frozen": login.get("IsFrozen") if login else None,
                "last_modified": login.get("LastModifiedDate"),
                "is_apibrake": bool(own) and str(user.get("Id"))[:15] == str(own)[:15],
            }
            for name in names:
                if _same_user(name, user):
                    found[name] = Observed(dict(summary))
        return found

    # Deciding -----------------------------------------------------------------------------

    def is_off(self, observed: Observed | None) -> bool:
        if observed is None:
            return False
        return _frozen(observed) is True or observed.summary.get("is_active") is False

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        return observed is not None and _frozen(observed) is False

    def label(self, state: dict[str, Any] | None) -> str | None:
        name = (state or {}).get("name")
        return str(name) if name else None

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        return {**(row.before or {}), "frozen": True}

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(BrakeState.SKIPPED, "no user with this username or Id")
        user = observed.summary
        if user.get("is_active") is False:
            return BrakeDecision(BrakeState.ALREADY_OFF, "inactive: cannot log in")
        if _frozen(observed) is True:
            return BrakeDecision(BrakeState.ALREADY_OFF, "frozen already (not by this brake)")
        if user.get("is_apibrake"):
            return BrakeDecision(
                BrakeState.NEEDS_HUMAN,
                "this is apibrake's own integration user: freezing it would lock apibrake "
                "out of the release; never frozen",
            )
        if not user.get("login_id"):
            return BrakeDecision(
                BrakeState.NEEDS_HUMAN, "no UserLogin readable for this user; freeze it in Setup"
            )
        return ACT

    def protected_reason(
        self, observed: Observed | None, protected: ProtectedConsumers
    ) -> str | None:
        """The user as the org names it (its username and Id, whichever form the entry
        used): a protected consumer is never frozen, even if its entry got past the
        allowlist's own check."""
        if observed is None:
            return None
        user = observed.summary
        reason = protected.reason(str(user.get("username") or ""), str(user.get("user_id") or ""))
        if reason is None:
            return None
        return f"protected consumer ({PROTECTED_FIELD}), {reason}; never frozen"

    def nothing_to_restore(self, row: JournalRow) -> bool:
        return (row.before or {}).get("frozen") is not False  # apibrake did not freeze it

    def compare(self, row: JournalRow, observed: Observed | None) -> Shown:
        """Not unfrozen (frozen, or its login unreadable): the freeze stands, unless its
        login was modified since the brake's own change (someone froze it again)."""
        shown = super().compare(row, observed)
        if observed is None or shown not in (Shown.AS_BRAKED, Shown.OTHER):
            return shown
        ours = (row.after or {}).get("last_modified") if row.brake is BrakeState.BRAKED else None
        if ours and observed.summary.get("last_modified") != ours:
            return Shown.EDITED_OFF
        return Shown.AS_BRAKED

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        if shown is Shown.GONE or observed is None:
            return "the user is no longer readable; unfreeze it in Setup"
        if shown is Shown.EDITED_OFF:
            ours = (row.after or {}).get("last_modified")
            return (
                f"its login was changed since the freeze (UserLogin modified {ours} -> "
                f"{observed.summary.get('last_modified')}): someone froze it again; left frozen, "
                "unfreeze it in Setup if that freeze was not meant to stay"
            )
        return "unfrozen by hand since the brake; left as is"

    # Acting -------------------------------------------------------------------------------

    def brake_calls(self, count: int) -> int:
        return count + 3 if count else 0  # a PATCH each; the re-read is up to 3 queries

    async def brake(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._set_all(run, rows, frozen=True)

    async def release(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._set_all(run, rows, frozen=False)

    async def _set_all(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow], *, frozen: bool
    ) -> None:
        for batch in chunks(rows, run.concurrency):
            if not await run.start_batch(batch):
                return
            outcomes = await asyncio.gather(
                *(self._set(run, row, frozen=frozen) for row in batch), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome

    async def _set(
        self, run: AdapterRun[SalesforceClient], row: JournalRow, *, frozen: bool
    ) -> None:
        seen = run.observed.get(row.name)
        login_id = (seen.summary if seen is not None else row.before or {}).get("login_id")
        try:
            await run.client.update_record("UserLogin", str(login_id), {"IsFrozen": frozen})
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            run.failed(row, str(error))  # a lost answer: the verification re-read settles it
            return
        run.changed(row, {**(row.before or {}), "frozen": frozen})

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return "not frozen after the change (verification re-read)"
        return "still frozen after the unfreeze (verification re-read)"


def _login_detail(
    user: dict[str, Any], seen: list[dict[str, Any]] | None, *, readable: bool
) -> str:
    if not readable:
        return (
            f"last login {user.get('LastLoginDate') or 'never'}; API logins unknown "
            "(LoginHistory not readable)"
        )
    logins = seen or []
    apps = sorted({str(login.get("Application") or "?") for login in logins})
    return (
        f"{counted(len(logins), 'API login')} in 7 days, last {logins[0].get('LoginTime')}"
        f" via {', '.join(apps)}"
    )

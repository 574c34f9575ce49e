"""Finding the HubSpot connector's integration user: the user whose API logins come through
an application named HubSpot (LoginHistory.Application; Manage Users or Monitor Login
History, docs/platform-notes.md A5). Two queries: the logins of 7 days, then the users' names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from apibrake.models.protected import is_hubspot_connector
from apibrake.platforms.salesforce.soql import soql_strings

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

CONNECTOR_LOOKUP_CALLS = 2
# Application filters nowhere (it only groups and sorts): the logins are read and sorted here.
_LOGINS = (
    "SELECT UserId, Application FROM LoginHistory "
    "WHERE LoginTime = LAST_N_DAYS:7 ORDER BY LoginTime DESC LIMIT 2000"
)


def connector_user_ids(logins: Iterable[Mapping[str, Any]]) -> list[str]:
    """The users (15-character Ids) that logged in through a HubSpot application."""
    found = {
        str(login.get("UserId"))[:15]
        for login in logins
        if login.get("UserId") and is_hubspot_connector(str(login.get("Application") or ""))
    }
    return sorted(found)


async def hubspot_connector_users(client: SalesforceClient) -> list[str]:
    """Usernames of the HubSpot connector's integration users (usually one); [] when none
    logged in over the last 7 days."""
    ids = connector_user_ids(await client.query(_LOGINS))
    if not ids:
        return []
    users = await client.query(
        f"SELECT Id, Username FROM User WHERE Id IN ({soql_strings(ids)})"  # noqa: S608 - values escaped
    )
    return sorted(str(user["Username"]) for user in users if user.get("Username"))

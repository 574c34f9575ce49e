"""Setup-time warnings for scheduled Apex jobs apibrake could not put back exactly.

At setup a person can fix the cause calmly (have the integration user own the job, in its
time zone; give the class a public constructor) or accept an inexact restore on the entry;
during an incident such an entry is left running and handed to a person instead.
"""

from __future__ import annotations

from typing import Any

from apibrake.http.transport import platform_client
from apibrake.incident.adapters import adapter_for
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Connection
from apibrake.platforms.connect import connect

CHECK_CALLS = 3  # the job, its class, the class's constructors


async def inexact_jobs(
    connection: Connection, secret: dict[str, Any], names: list[str]
) -> dict[str, list[str]]:
    """Job name -> what a job re-created by apibrake would not keep, for the jobs among
    `names` that would not come back exactly."""
    if not names:
        return {}
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        found = await adapter_for(AutomationKind.SCHEDULED_APEX).inventory(client, names)
    return {name: o.summary["inexact"] for name, o in found.items() if o.summary.get("inexact")}


def advice(name: str, differs: list[str]) -> str:
    return (
        f"scheduled_apex:{name} would not come back exactly ({'; '.join(differs)}): the brake "
        "will leave it running and ask a person, unless you fix that now or re-add the entry "
        "with --allow-inexact-restore"
    )

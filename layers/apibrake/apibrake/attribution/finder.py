"""Attribution for the brake and the release (`IncidentDeps.suspects`): who is spending a
connection's calls since a moment, within the calls the caller allows (0: collected data
only)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from apibrake.attribution.budget import CallBudget
from apibrake.attribution.gather import (
    AttributionMemory,
    Gathering,
    collected_suspects,
    salesforce_suspects,
)
from apibrake.attribution.hubspot import hubspot_suspects
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection, Platform
from apibrake.models.usage import UsageReading

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient
    from apibrake.platforms.salesforce.client import SalesforceClient

_RECENT_READING = timedelta(hours=1)


class Readings(Protocol):
    def latest_reading(self, connection_id: str, since: datetime) -> UsageReading | None: ...


class Allowlists(Protocol):
    def for_connection(self, connection_id: str) -> tuple[list[AllowlistEntry], list[Any]]: ...


class AttributionFinder:
    def __init__(
        self,
        memory: AttributionMemory,
        readings: Readings,
        allowlist: Allowlists,
        now: Any,
    ) -> None:
        self._memory = memory
        self._readings = readings
        self._allowlist = allowlist
        self._now = now

    async def __call__(
        self, connection: Connection, client: PlatformClient, *, since: datetime, calls_allowed: int
    ) -> Suspects | None:
        cid, now = connection.connection_id, self._now()
        reading = await asyncio.to_thread(self._readings.latest_reading, cid, now - _RECENT_READING)
        if connection.platform is Platform.HUBSPOT:
            return _told(hubspot_suspects(cid, reading, now)) if reading is not None else None
        entries = (await asyncio.to_thread(self._allowlist.for_connection, cid))[0]
        if calls_allowed <= 0 or reading is None:
            note = "collected data only: no call spent on attribution here"
            return _told(
                await asyncio.to_thread(
                    collected_suspects,
                    cid,
                    self._memory,
                    entries,
                    now,
                    note,
                    connection.protected,
                )
            )
        budget = CallBudget(
            reading.limit, reading.used, connection.reserve_pct, max_calls=calls_allowed
        )
        window = max(now - since, timedelta(minutes=5))
        job = Gathering(
            cid, cast("SalesforceClient", client), entries, self._memory, budget, now,
            live_window=window, changes_window=window, protected=connection.protected,
        )  # fmt: skip
        return _told(await salesforce_suspects(job))


def _told(suspects: Suspects) -> Suspects | None:
    """None when the sources could not tell (no consumer, no change): a report then says
    nothing rather than an empty story."""
    return suspects if suspects.consumers or suspects.changes else None

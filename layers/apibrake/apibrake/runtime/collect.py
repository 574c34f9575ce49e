"""The daily collection's work (usage_monitor with {"collect": "usage_files"}): each
Salesforce connection's yesterday ApiTotalUsage summary into the state table, and any
earlier day's whose file came late.

One connection failing never stops the others. The deadline bounds each connection's
collection: one not started, or not finished, before it is FAILED (the fleet's worker then
has SQS deliver it again; a direct run leaves it to the late-file catch-up of the next day).
A connection whose last reading already sits in its reserve (or past its limit) spends
nothing on usage files.

The org's entitlement (its kind: may it run past 100 %) is read first, whether or not the
files are collected: the reserve keeps the last calls for the brake, and this one composite
call a day is what tells the brake and its alerts, at 100 %, whether calls are still served
(a paid org in overage) or refused (a sandbox, Developer Edition or trial org). The orgs in
their reserve are the ones about to need it; skipping it there left them unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import httpx

from apibrake.attribution import AttributionStore, Collected, CollectStatus, collect_daily
from apibrake.deadline import Deadline
from apibrake.http import transport
from apibrake.models.connection import Connection, Platform
from apibrake.platforms.connect import connect, load_connection_secret
from apibrake.platforms.salesforce.entitlement import read_entitlement
from apibrake.store.connections import ConnectionStore
from apibrake.store.state import StateStore

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)
_LAST_READING = timedelta(hours=2)


class UsageFileCollector:
    def __init__(
        self,
        *,
        connections: ConnectionStore,
        state: StateStore,
        memory: AttributionStore,
        secrets: Callable[[str], Mapping[str, Any]],
        secret_prefix: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        http_client: Callable[[], httpx.AsyncClient] | None = None,
        max_concurrency: int = 10,
    ) -> None:
        self._connections = connections
        self._state = state
        self._memory = memory
        self._secrets = secrets
        self._prefix = secret_prefix
        self._clock = clock
        self._http_client = http_client or transport.platform_client
        self._max_concurrency = max_concurrency

    def run(
        self, connection_ids: list[str] | None = None, deadline: Deadline | None = None
    ) -> list[Collected]:
        return asyncio.run(self.collect(connection_ids, deadline))

    async def collect(
        self, connection_ids: list[str] | None = None, deadline: Deadline | None = None
    ) -> list[Collected]:
        deadline = deadline or Deadline()
        connections, _ = await asyncio.to_thread(self._connections.load, connection_ids)
        salesforce = [c for c in connections if c.platform is Platform.SALESFORCE]
        gate = asyncio.Semaphore(self._max_concurrency)
        async with self._http_client() as client:

            async def bounded(connection: Connection) -> list[Collected]:
                async with gate:
                    return await self._within(deadline, connection, client)

            per_connection = await asyncio.gather(*(bounded(c) for c in salesforce))
            return [result for results in per_connection for result in results]

    async def _within(
        self, deadline: Deadline, connection: Connection, client: httpx.AsyncClient
    ) -> list[Collected]:
        """The connection's collection, cut off at the deadline (a download can be long)."""
        if not deadline.has_time():
            return [_failed(connection, self._clock(), "not started: the deadline came first")]
        try:
            return await asyncio.wait_for(self._one(connection, client), deadline.seconds_left())
        except TimeoutError:
            logger.warning(
                "usage file collection cut off at the deadline",
                extra={"connection_id": connection.connection_id},
            )
            return [_failed(connection, self._clock(), "cut off: the deadline came first")]

    async def _one(self, connection: Connection, client: httpx.AsyncClient) -> list[Collected]:
        now = self._clock()
        cid = connection.connection_id
        day = (now - timedelta(days=1)).date()
        try:
            in_reserve = await asyncio.to_thread(self._in_reserve, connection, now)
            secret = await asyncio.to_thread(
                load_connection_secret, connection, self._secrets, self._prefix
            )
            # Only Salesforce connections are collected (`salesforce` above).
            platform_client = cast(
                "SalesforceClient", connect(connection, secret, client, now=self._clock)
            )
            # First, and in the reserve too: see the module's docstring.
            await self._read_entitlement(platform_client, cid, now)
            if in_reserve:
                return [
                    Collected(
                        connection_id=cid,
                        day=day,
                        status=CollectStatus.NOT_SPENT,
                        note="the last reading is inside the reserve the brake keeps",
                    )
                ]
            return await collect_daily(
                cid, platform_client, self._memory, now=now, reserve_pct=connection.reserve_pct
            )
        except Exception as error:  # one connection never stops the others
            logger.exception("usage file collection failed", extra={"connection_id": cid})
            return [_failed(connection, now, type(error).__name__)]

    async def _read_entitlement(self, client: SalesforceClient, cid: str, now: datetime) -> None:
        """Once a day: may this org run past 100 % (a paid org), and its 30-day figures
        (one call). Never fails the collection."""
        try:
            entitlement = await read_entitlement(client, cid, now=now)
            await asyncio.to_thread(self._state.entitlements().put, entitlement)
        except Exception:
            logger.exception("entitlement not read", extra={"connection_id": cid})

    def _in_reserve(self, connection: Connection, now: datetime) -> bool:
        readings = self._state.readings_since(connection.connection_id, now - _LAST_READING)
        if not readings:
            return False
        last = max(readings, key=lambda reading: reading.taken_at)
        return last.limit > 0 and last.used >= last.limit * (1 - connection.reserve_pct / 100)


def _failed(connection: Connection, now: datetime, note: str) -> Collected:
    day = (now - timedelta(days=1)).date()
    return Collected(
        connection_id=connection.connection_id, day=day, status=CollectStatus.FAILED, note=note
    )

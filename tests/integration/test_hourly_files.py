"""An hour's ApiTotalUsage events processed late come in further files for that hour
(Sequence 2, 3, ..., later CreatedDate) listing only the new events: attribution reads every
file of the newest hour, within its call budget (the sandbox org over HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from apibrake.attribution.budget import CallBudget
from apibrake.attribution.gather import Gathering, salesforce_suspects
from apibrake.attribution.summary import DailySummary
from apibrake.models.attribution import AttributionSource, Suspects
from apibrake.models.connection import Connection
from apibrake.platforms.connect import connect
from sandbox.salesforce import SalesforceSettings
from sandbox.server import Sandbox

CALLS_PER_HOUR = 1_200


class NoMemory:
    """Nothing collected, nothing remembered between checks."""

    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]:
        return {}

    def daily_summaries(
        self, connection_id: str, *, since: Any, now: datetime
    ) -> list[DailySummary]:
        return []

    def remember_unavailable(
        self, connection_id: str, source: AttributionSource, reason: str, *, now: datetime
    ) -> None:
        return None


def _org_with_late_files(make: Callable[..., Sandbox]) -> Sandbox:
    """A licensed org whose hours come in two files each, the event log object not granted
    (so the hourly files are the live source), the clock where the newest hour has both."""
    settings = SalesforceSettings(event_monitoring_licensed=True, hourly_files_per_hour=2)
    sandbox = make(salesforce=settings)
    sandbox.salesforce.revoke_permissions("ViewEventLogObjectData")
    start = sandbox.clock.now()
    sandbox.advance(start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1) - start)
    # An integration calling directly: its calls land in the hour they are made (a flow's
    # would come through the connector's cycles, docs/platform-notes.md S6)
    sandbox.salesforce.add_external_consumer("Runaway Loader", CALLS_PER_HOUR)
    # 4 h: the first hour's first file (3 h late) and, 20 min on, its second
    sandbox.advance(timedelta(hours=4, minutes=30))
    return sandbox


def _suspects(sandbox: Sandbox, max_calls: int) -> Suspects:
    settings = sandbox.salesforce.settings
    connection = Connection(connection_id="sf-prod", platform="salesforce", secret_id="s")
    secret = {
        "auth": "client_credentials",
        "instance_url": sandbox.salesforce_url,
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
    }

    async def gather() -> Suspects:
        async with httpx.AsyncClient() as http:
            client = connect(connection, secret, http)
            budget = CallBudget(settings.daily_limit, 0, 5, max_calls=max_calls)
            job = Gathering("sf-prod", client, [], NoMemory(), budget, sandbox.clock.now())
            return await salesforce_suspects(job)

    return asyncio.run(gather())


def _rollup_calls(suspects: Suspects) -> int:
    return sum(c.calls for c in suspects.consumers if "Runaway Loader" in c.name)


def test_every_file_of_the_newest_hour_is_read(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = _org_with_late_files(sandbox_factory)

    # SetupAuditTrail, the refused event log object, the files' query, both downloads
    suspects = _suspects(sandbox, max_calls=6)

    assert suspects.source is AttributionSource.HOURLY_FILE
    assert CALLS_PER_HOUR - 2 <= _rollup_calls(suspects) <= CALLS_PER_HOUR
    assert not any("files read" in note for note in suspects.notes)


def test_a_budget_short_of_the_late_file_says_so(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = _org_with_late_files(sandbox_factory)

    suspects = _suspects(sandbox, max_calls=4)

    assert suspects.source is AttributionSource.HOURLY_FILE
    assert _rollup_calls(suspects) < CALLS_PER_HOUR * 0.6
    assert any("1 of the hour's 2 files read" in note for note in suspects.notes)

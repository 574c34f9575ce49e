"""Which of two readings of one moment the monitor acts on: the figure that covers the
connection's own calls (HubSpot 2027-03-beta counts every app type) is never lowered by a
newer daily header of unknown scope."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apibrake.models.connection import Connection
from apibrake.models.usage import ReadingSource, UsageReading, UsageScope
from apibrake.watch.usage import read_usage

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
RESETS = NOW + timedelta(hours=10)
HUBSPOT = Connection(connection_id="hs-main", platform="hubspot", secret_id="apibrake/hs")


class Portal:
    """A client whose usage endpoint and last response headers say what the test says."""

    def __init__(self, endpoint: UsageReading, header: UsageReading) -> None:
        self._endpoint = endpoint
        self.http = SimpleNamespace(last_header_reading=header)
        self.api_versions = {"usage": "2027-03-beta"}

    async def usage(self) -> UsageReading:
        return self._endpoint


def _endpoint(used: int, *, scope: UsageScope, stale: bool = False) -> UsageReading:
    return UsageReading(
        used=used, limit=1_000_000, taken_at=NOW - timedelta(minutes=3),
        source=ReadingSource.USAGE_ENDPOINT, resets_at=RESETS, scope=scope, stale=stale,
    )  # fmt: skip


HEADER = UsageReading(
    used=200_000, limit=1_000_000, taken_at=NOW, source=ReadingSource.RESPONSE_HEADERS
)


def _acted_on(endpoint: UsageReading) -> float:
    read = asyncio.run(read_usage(HUBSPOT, Portal(endpoint, HEADER), now=NOW))
    return read.reading.percent


def test_a_narrower_newer_header_never_lowers_the_all_app_types_figure() -> None:
    assert _acted_on(_endpoint(850_000, scope=UsageScope.ALL_APP_TYPES)) == 85.0


def test_a_higher_header_still_counts_and_a_stale_figure_still_loses() -> None:
    assert _acted_on(_endpoint(100_000, scope=UsageScope.ALL_APP_TYPES)) == 20.0
    assert _acted_on(_endpoint(850_000, scope=UsageScope.ALL_APP_TYPES, stale=True)) == 20.0
    # A legacy figure is no wider than the header: the newest wins, as before
    assert _acted_on(_endpoint(850_000, scope=UsageScope.LEGACY_PRIVATE_APPS)) == 20.0

"""The collector's deadline, with fakes: a connection's collection still running when the
deadline comes is cut off as FAILED (the fleet's worker has SQS deliver it again), and one
not started by then is FAILED without a call; the others keep their results."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any, cast

import httpx
import pytest

from apibrake.attribution import Collected, CollectStatus
from apibrake.deadline import DEFAULT_MARGIN_MS, Deadline
from apibrake.models.connection import Connection
from apibrake.runtime.collect import UsageFileCollector

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


class FakeConnections:
    def __init__(self, ids: list[str]) -> None:
        self.connections = [
            Connection.model_validate(
                {"connection_id": cid, "platform": "salesforce", "secret_id": f"apibrake/{cid}"}
            )
            for cid in ids
        ]

    def load(self, connection_ids: list[str] | None = None) -> tuple[list[Connection], list[Any]]:
        return list(self.connections), []


def collector(ids: list[str], monkeypatch: pytest.MonkeyPatch) -> UsageFileCollector:
    """A collector whose `sf-slow` never finishes and whose others collect at once."""
    collecting = UsageFileCollector(
        connections=cast(Any, FakeConnections(ids)),
        state=cast(Any, None),
        memory=cast(Any, None),
        secrets=lambda secret_id: {},
        secret_prefix="apibrake/",
        clock=lambda: NOW,
        http_client=lambda: httpx.AsyncClient(),
    )

    async def one(connection: Connection, client: httpx.AsyncClient) -> list[Collected]:
        if connection.connection_id == "sf-slow":
            await asyncio.Event().wait()  # a download that outlasts any deadline
        day = date(2026, 12, 6)
        return [
            Collected(
                connection_id=connection.connection_id, day=day, status=CollectStatus.COLLECTED
            )
        ]

    monkeypatch.setattr(collecting, "_one", one)
    return collecting


def test_a_collection_still_running_at_the_deadline_is_cut_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a tenth of a second before the deadline's margin, every time it is asked
    deadline = Deadline(lambda: DEFAULT_MARGIN_MS + 100)

    results = collector(["sf-a", "sf-slow", "sf-b"], monkeypatch).run(None, deadline)

    statuses = {r.connection_id: (r.status, r.note) for r in results}
    assert statuses == {
        "sf-a": (CollectStatus.COLLECTED, ""),
        "sf-slow": (CollectStatus.FAILED, "cut off: the deadline came first"),
        "sf-b": (CollectStatus.COLLECTED, ""),
    }


def test_a_collection_not_started_by_the_deadline_is_failed_without_a_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deadline = Deadline(lambda: DEFAULT_MARGIN_MS)  # already at the margin

    results = collector(["sf-a"], monkeypatch).run(None, deadline)

    assert [(r.status, r.note) for r in results] == [
        (CollectStatus.FAILED, "not started: the deadline came first")
    ]

"""The daily collection: yesterday's ApiTotalUsage file, summarised into the state table
before Salesforce deletes it (1 day after its CreatedDate without Event Monitoring).

Two calls at most per connection: the EventLogFile query and the streamed download; none
when the day is already collected or the org was found not to have the file.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel

from apibrake.attribution import salesforce_sources as sources
from apibrake.attribution.budget import CallBudget
from apibrake.attribution.spending import RefusalMemory, Spender
from apibrake.attribution.summary import DailySummary
from apibrake.models.attribution import AttributionSource


class CollectStatus(StrEnum):
    COLLECTED = "collected"
    ALREADY = "already collected"
    NO_FILE = "no file"  # generation off, no calls that day, or not generated yet
    UNAVAILABLE = "unavailable"  # the user may not read EventLogFile (remembered)
    NOT_SPENT = "not spent"  # the reserve or an exhausted limit forbade the calls
    FAILED = "failed"


class Collected(BaseModel):
    connection_id: str
    day: date
    status: CollectStatus
    total: int | None = None
    top: str | None = None
    api_calls: int = 0
    note: str = ""


class SummaryMemory(RefusalMemory, Protocol):
    def has_daily_summary(self, connection_id: str, day: date, *, now: datetime) -> bool: ...

    def put_daily_summary(self, summary: DailySummary) -> None: ...

    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]: ...


async def collect_daily(
    connection_id: str,
    client: Any,
    memory: SummaryMemory,
    *,
    now: datetime,
    reserve_pct: float,
) -> Collected:
    day = (now - timedelta(days=1)).date()
    result = Collected(connection_id=connection_id, day=day, status=CollectStatus.ALREADY)
    # DynamoDB calls go to threads: the event loop serves every connection's HTTP.
    if await asyncio.to_thread(memory.has_daily_summary, connection_id, day, now=now):
        return result
    unavailable = await asyncio.to_thread(memory.unavailable, connection_id, now=now)
    if AttributionSource.DAILY_FILE in unavailable:
        return _with(result, CollectStatus.UNAVAILABLE, unavailable[AttributionSource.DAILY_FILE])
    # The limit is unknown until the first answer's Sforce-Limit-Info: the query goes out
    # on the reserve's word of the last check, the download only if the header allows it.
    budget = CallBudget(limit=1, used=0, reserve_pct=0)
    spender = Spender(connection_id, client, budget, memory, now, unavailable=unavailable)
    record = await spender.spend(
        AttributionSource.DAILY_FILE, lambda: sources.daily_file_record(client, day)
    )
    result.api_calls = budget.spent
    if record is None:
        return _unfound(result, spender)
    header = client.http.last_header_reading
    budget.max_calls, budget.reserve_pct = 2, reserve_pct
    if header is not None:
        budget.limit, budget.used, budget.spent = header.limit, header.used, 1
    if not budget.allows():
        return _with(result, CollectStatus.NOT_SPENT, "the download would eat into the reserve")
    tally = await spender.spend(
        AttributionSource.DAILY_FILE, lambda: sources.tally_file(client, str(record["LogFile"]))
    )
    result.api_calls = budget.spent
    if tally is None:
        return _with(result, CollectStatus.FAILED, "; ".join(spender.notes))
    summary = DailySummary.from_tally(
        connection_id, day, tally, collected_at=now, file_id=str(record.get("Id") or "")
    )
    await asyncio.to_thread(memory.put_daily_summary, summary)
    result.status, result.total = CollectStatus.COLLECTED, summary.total
    result.top = summary.consumers[0].key.label() if summary.consumers else None
    if tally.bad_rows:
        result.note = f"{tally.bad_rows} unreadable rows skipped"
    return result


def _unfound(result: Collected, spender: Spender) -> Collected:
    if AttributionSource.DAILY_FILE in spender.unavailable:
        return _with(
            result, CollectStatus.UNAVAILABLE, spender.unavailable[AttributionSource.DAILY_FILE]
        )
    if spender.notes:
        return _with(result, CollectStatus.FAILED, "; ".join(spender.notes))
    return _with(
        result,
        CollectStatus.NO_FILE,
        "no ApiTotalUsage daily file: turn on Setup > Event Monitoring Settings > Generate "
        "event log files, or the day had no calls",
    )


def _with(result: Collected, status: CollectStatus, note: str) -> Collected:
    result.status, result.note = status, note
    return result

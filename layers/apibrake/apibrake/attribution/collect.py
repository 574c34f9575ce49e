"""The daily collection: yesterday's ApiTotalUsage file, and any earlier day's that was not
published yet at its own collection (up to three days late, `late_files.py`), summarised into
the state table before Salesforce deletes it (1 day after its CreatedDate without Event
Monitoring).

One EventLogFile query for every day looked for, then one streamed download per file found;
no call when every such day is already collected or the org was found not to have the files.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from apibrake.attribution import late_files, sources
from apibrake.attribution.budget import CallBudget
from apibrake.attribution.spending import RefusalMemory, Spender
from apibrake.attribution.summary import DailySummary
from apibrake.models.attribution import AttributionSource

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient


class CollectStatus(StrEnum):
    COLLECTED = "collected"
    ALREADY = "already collected"
    NOT_YET = "not yet published"  # generation is on; the file may come up to 3 days late
    NO_FILE = "no file"  # none seen lately: late, generation off, or no calls that day
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
    def daily_summaries(
        self, connection_id: str, *, since: date, now: datetime
    ) -> list[DailySummary]: ...

    def put_daily_summary(self, summary: DailySummary) -> None: ...

    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]: ...

    def missed_days(self, connection_id: str, *, now: datetime) -> list[date]: ...

    def remember_missed_day(self, connection_id: str, day: date, *, until: datetime) -> None: ...


async def collect_daily(
    connection_id: str,
    client: SalesforceClient,
    memory: SummaryMemory,
    *,
    now: datetime,
    reserve_pct: float,
) -> list[Collected]:
    """One result per day looked for, newest (yesterday) first."""
    yesterday = (now - timedelta(days=1)).date()
    # DynamoDB calls go to threads: the event loop serves every connection's HTTP.
    missed = await asyncio.to_thread(memory.missed_days, connection_id, now=now)
    looked_for = late_files.days_to_look_for(yesterday, missed, now)
    since = yesterday - late_files.RECENT_COLLECTION
    collected = await asyncio.to_thread(memory.daily_summaries, connection_id, since=since, now=now)
    done = {summary.day for summary in collected}
    results = [
        Collected(connection_id=connection_id, day=day, status=CollectStatus.ALREADY)
        for day in looked_for
        if day not in done
    ]
    if not results:
        return [Collected(connection_id=connection_id, day=yesterday, status=CollectStatus.ALREADY)]
    unavailable = await asyncio.to_thread(memory.unavailable, connection_id, now=now)
    if AttributionSource.DAILY_FILE in unavailable:
        reason = unavailable[AttributionSource.DAILY_FILE]
        return [_with(result, CollectStatus.UNAVAILABLE, reason) for result in results]
    # The limit is unknown until the first answer's Sforce-Limit-Info: the query goes out
    # on the reserve's word of the last check, the downloads only if the header allows them.
    budget = CallBudget(limit=1, used=0, reserve_pct=0)
    spender = Spender(connection_id, client, budget, memory, now, unavailable=unavailable)
    days = [result.day for result in results]
    files = await spender.spend(
        AttributionSource.DAILY_FILE,
        lambda: sources.daily_file_records(client, min(days), max(days)),
    )
    results[0].api_calls = budget.spent
    if files is None:
        return [_unfound(result, spender) for result in results]
    header = client.http.last_header_reading
    downloads = sum(1 for day in days if day in files)
    budget.max_calls, budget.reserve_pct = budget.spent + downloads, reserve_pct
    if header is not None:
        budget.limit, budget.used = header.limit, header.used
    generating = bool(files or done)
    for result in results:
        record = files.get(result.day)
        if record is None:
            await _missed(result, memory, generating=generating)
        else:
            await _download(result, record, client, memory, spender)
    return results


async def _missed(result: Collected, memory: SummaryMemory, *, generating: bool) -> None:
    until = late_files.last_chance(result.day)
    await asyncio.to_thread(
        memory.remember_missed_day, result.connection_id, result.day, until=until
    )
    if generating:
        _with(result, CollectStatus.NOT_YET, late_files.not_yet_published(result.day))
    else:
        _with(result, CollectStatus.NO_FILE, late_files.no_file_seen(result.day))


async def _download(
    result: Collected,
    record: dict[str, Any],
    client: SalesforceClient,
    memory: SummaryMemory,
    spender: Spender,
) -> None:
    if not spender.budget.allows():
        _with(result, CollectStatus.NOT_SPENT, "the download would eat into the reserve")
        return
    before = spender.budget.spent
    tally = await spender.spend(
        AttributionSource.DAILY_FILE, lambda: sources.tally_file(client, str(record["LogFile"]))
    )
    result.api_calls += spender.budget.spent - before
    if tally is None:
        _with(result, CollectStatus.FAILED, "; ".join(spender.notes))
        return
    summary = DailySummary.from_tally(
        result.connection_id, result.day, tally, collected_at=spender.now,
        file_id=str(record.get("Id") or ""),
    )  # fmt: skip
    await asyncio.to_thread(memory.put_daily_summary, summary)
    result.status, result.total = CollectStatus.COLLECTED, summary.total
    result.top = summary.consumers[0].key.label() if summary.consumers else None
    if tally.bad_rows:
        result.note = f"{tally.bad_rows} unreadable rows skipped"


def _unfound(result: Collected, spender: Spender) -> Collected:
    if AttributionSource.DAILY_FILE in spender.unavailable:
        return _with(
            result, CollectStatus.UNAVAILABLE, spender.unavailable[AttributionSource.DAILY_FILE]
        )
    return _with(result, CollectStatus.FAILED, "; ".join(spender.notes))


def _with(result: Collected, status: CollectStatus, note: str) -> Collected:
    result.status, result.note = status, note
    return result

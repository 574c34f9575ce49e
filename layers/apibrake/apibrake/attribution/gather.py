"""The suspects for one alert, as a chain: the consumers that spend the calls and the
drivers behind them. Free data first, then at most the budget's calls.

Salesforce, in order: the collected daily summary (free: consumers); SetupAuditTrail (one
query: setup changes, flow activations as drivers); ApiTotalUsageEventLog (one query, Event
Monitoring licence: live consumers; the newest events counted here where it refuses
aggregates) or the newest hour's hourly files (a query, then a download each); then, as
calls remain, the drivers' work: records changed per object and user (one composite call;
first when the top consumer syncs what others change, the HubSpot connector) and scheduled
Apex runs (one query); with a call left (`apibrake consumers`; an alert's 2 are normally
spent by then), LoginHistory as a hint in the notes. A source the org refused is remembered
and skipped until the memory expires. HubSpot: the reading's usageByAppType (free).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from apibrake.attribution import drivers, sources
from apibrake.attribution.budget import CallBudget
from apibrake.attribution.caller import keep_running
from apibrake.attribution.soql import EVENTS_SAMPLED
from apibrake.attribution.sources import SYNCED_OBJECTS
from apibrake.attribution.spending import RefusalMemory, Spender
from apibrake.attribution.summary import DailySummary
from apibrake.attribution.tally import UsageTally
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import AttributionSource, Consumer, Suspects
from apibrake.models.protected import NOTHING_PROTECTED, ProtectedConsumers

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

LIVE_WINDOW = timedelta(hours=2)  # how far back the near-real-time sources look
CHANGES_WINDOW = timedelta(hours=24)  # setup changes that may have started the burn
SUMMARY_MAX_AGE = timedelta(days=2)
MAX_CONSUMERS = 10


class AttributionMemory(RefusalMemory, Protocol):
    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]: ...

    def daily_summaries(
        self, connection_id: str, *, since: Any, now: datetime
    ) -> list[DailySummary]: ...


@dataclass(frozen=True)
class Gathering:
    connection_id: str
    client: SalesforceClient
    entries: Sequence[AllowlistEntry]
    memory: AttributionMemory
    budget: CallBudget
    now: datetime
    live_window: timedelta = LIVE_WINDOW
    changes_window: timedelta = CHANGES_WINDOW
    protected: ProtectedConsumers = NOTHING_PROTECTED


async def salesforce_suspects(job: Gathering) -> Suspects:
    now = job.now
    # DynamoDB reads: off the event loop, which other connections' checks share.
    unavailable = await asyncio.to_thread(job.memory.unavailable, job.connection_id, now=now)
    recent = await asyncio.to_thread(
        job.memory.daily_summaries,
        job.connection_id,
        since=(now - SUMMARY_MAX_AGE).date(),
        now=now,
    )
    spender = Spender(
        job.connection_id, job.client, job.budget, job.memory, now, unavailable=unavailable
    )
    suspects = Suspects(connection_id=job.connection_id)
    if recent:
        _from_daily_summary(suspects, recent[0], job.entries)
    reach = drivers.Reach(job.client, job.entries, now - job.changes_window, job.protected)
    await drivers.setup_changes(suspects, spender, reach)
    await _live_consumers(suspects, spender, job)
    await _drivers_work(suspects, spender, job)
    drivers.infer_sync_consumer(suspects, job.protected)
    await _login_hint(suspects, spender, job)
    finish(suspects, job.protected)
    suspects.notes += spender.notes
    suspects.api_calls = job.budget.spent
    return suspects


def finish(suspects: Suspects, protected: ProtectedConsumers) -> None:
    """What every gathering ends with: activations after the newest data said so, and each
    protected consumer marked (it keeps running; what feeds it is what to stop)."""
    drivers.promote_new_activations(suspects)
    suspects.consumers = [
        consumer.model_copy(update={"protected": keep_running(consumer, protected)})
        for consumer in suspects.consumers
    ]


def collected_suspects(
    connection_id: str,
    memory: AttributionMemory,
    entries: Sequence[AllowlistEntry],
    now: datetime,
    note: str,
    protected: ProtectedConsumers = NOTHING_PROTECTED,
) -> Suspects:
    """What costs no call at all: the collected daily summary (for an org that refuses
    calls, its limit exhausted)."""
    suspects = Suspects(connection_id=connection_id, notes=[note])
    recent = memory.daily_summaries(connection_id, since=(now - SUMMARY_MAX_AGE).date(), now=now)
    if recent:
        _from_daily_summary(suspects, recent[0], entries)
    finish(suspects, protected)
    return suspects


def _from_daily_summary(
    suspects: Suspects, summary: DailySummary, entries: Sequence[AllowlistEntry]
) -> None:
    counted = [(caller.key, caller.calls) for caller in summary.consumers]
    suspects.consumers = sources.rank(counted, summary.total, entries)[:MAX_CONSUMERS]
    suspects.source = AttributionSource.DAILY_FILE
    suspects.data_as_of = summary.ends_at
    suspects.window_start = summary.ends_at - timedelta(days=1)
    suspects.window_end = summary.ends_at


async def _live_consumers(suspects: Suspects, spender: Spender, job: Gathering) -> None:
    since = job.now - job.live_window
    if spender.may_try(AttributionSource.EVENT_LOG_OBJECT) and await _event_log_object(
        suspects, spender, job, since
    ):
        return
    hourly = spender.may_try(AttributionSource.HOURLY_FILE) and job.budget.allows_two()
    if hourly:
        await _hourly_file(suspects, spender, job)


async def _drivers_work(suspects: Suspects, spender: Spender, job: Gathering) -> None:
    """What the automations did, as calls remain: the records changed first when the top
    consumer syncs what others change (its drivers are whoever changed them), else the
    scheduled runs first."""
    reach = drivers.Reach(job.client, job.entries, job.now - job.live_window, job.protected)
    if drivers.feeds_a_sync(suspects, job.protected):
        await drivers.record_changes(suspects, spender, reach, SYNCED_OBJECTS)
        await drivers.scheduled_runs(suspects, spender, reach)
    else:
        await drivers.scheduled_runs(suspects, spender, reach)
        await drivers.record_changes(suspects, spender, reach, SYNCED_OBJECTS)


async def _event_log_object(
    suspects: Suspects, spender: Spender, job: Gathering, since: datetime
) -> bool:
    """Top callers by aggregate query; where the object refuses aggregates (remembered, so
    no later alert spends a call on it), the newest events counted here."""
    if AttributionSource.EVENT_LOG_AGGREGATES not in spender.unavailable:
        try:
            live = await spender.spend(
                AttributionSource.EVENT_LOG_OBJECT,
                lambda: sources.event_log_consumers(job.client, since, job.entries),
            )
        except sources.AggregatesRefused as refused:
            await spender.remember(AttributionSource.EVENT_LOG_AGGREGATES, str(refused))
        else:
            if live:
                _take(suspects, live, AttributionSource.EVENT_LOG_OBJECT, since, job.now)
            return bool(live)
    if not spender.may_try(AttributionSource.EVENT_LOG_OBJECT):
        return False
    sample = await spender.spend(
        AttributionSource.EVENT_LOG_OBJECT,
        lambda: sources.event_log_sample(job.client, since, job.entries),
    )
    if not sample or not sample[0]:
        return False
    consumers, oldest = sample
    _take(suspects, consumers, AttributionSource.EVENT_LOG_OBJECT, oldest or since, job.now)
    if oldest is not None:
        suspects.notes.append(
            f"{AttributionSource.EVENT_LOG_OBJECT.value}: the newest "
            f"{EVENTS_SAMPLED:,} events only (no aggregate queries on this object), "
            f"since {oldest:%H:%M} UTC"
        )
    return True


async def _login_hint(suspects: Suspects, spender: Spender, job: Gathering) -> None:
    """Which applications logged in over the window (Manage Users or Monitor Login History,
    docs/platform-notes.md A5): a note, never a ranking, and only with a call to spare."""
    if not spender.may_try(AttributionSource.LOGIN_HISTORY):
        return
    hints = await spender.spend(
        AttributionSource.LOGIN_HISTORY,
        lambda: sources.login_hints(job.client, job.now - job.live_window, job.entries),
    )
    if hints:
        suspects.notes.append(sources.login_note(hints, job.live_window))


async def _hourly_file(suspects: Suspects, spender: Spender, job: Gathering) -> bool:
    """The newest hour's ApiTotalUsage files (Event Monitoring licence; 3-6 h behind): their
    query and each download the budget allows (events processed late come in further files
    for the hour). An org without hourly files is remembered as such."""
    records = await spender.spend(
        AttributionSource.HOURLY_FILE, lambda: sources.newest_hourly_files(job.client)
    )
    if records is None:  # failed or refused: noted (and remembered) by the spender
        return False
    if not records:
        await spender.remember(AttributionSource.HOURLY_FILE, "no hourly files (no licence)")
        return False
    tally = await _tally_files(spender, job, records)
    if tally is None or not tally.total:
        return False
    counted = list(tally.calls.items())
    start = sources.parse_time(str(records[0]["LogDate"]))
    _take(suspects, sources.rank(counted, tally.total, job.entries), AttributionSource.HOURLY_FILE,
          start, start + timedelta(hours=1))  # fmt: skip
    suspects.data_as_of = tally.newest or suspects.window_end
    return True


async def _tally_files(
    spender: Spender, job: Gathering, records: list[dict[str, Any]]
) -> UsageTally | None:
    """The files' counts added up; a note when the budget left some unread."""
    total, read = UsageTally(), 0
    for record in records:
        if read and not job.budget.allows():
            break
        path = str(record["LogFile"])
        tally = await spender.spend(
            AttributionSource.HOURLY_FILE, partial(sources.tally_file, job.client, path)
        )
        if tally is None:
            break
        total.absorb(tally)
        read += 1
    if not read:
        return None
    if read < len(records):
        spender.notes.append(
            f"{AttributionSource.HOURLY_FILE.value}: {read} of the hour's {len(records)} files "
            "read (the call budget)"
        )
    return total


def _take(
    suspects: Suspects,
    consumers: list[Consumer],
    source: AttributionSource,
    since: datetime,
    now: datetime,
) -> None:
    suspects.consumers = consumers[:MAX_CONSUMERS]
    suspects.source = source
    suspects.window_start, suspects.window_end, suspects.data_as_of = since, now, now

"""`apibrake consumers CONNECTION`: who is spending the connection's calls, and what changed.

The best source the connection has (docs/platform-notes.md A1-A6, C9): the daily ApiTotalUsage
summaries the daily schedule collected (free), SetupAuditTrail, then ApiTotalUsageEventLog,
the newest hourly file (query and download) or AsyncApexJob runs, then a LoginHistory
hint (logins per application) with a call left: at most three calls
(plus /limits when the monitor has no fresh reading), never out of the brake's reserve.
HubSpot: the last reading's usageByAppType (free).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from apibrake.attribution import (
    AttributionStore,
    CallBudget,
    DailySummary,
    Gathering,
    hubspot_suspects,
    salesforce_suspects,
)
from apibrake.http.transport import platform_client
from apibrake.models.attribution import Driver, DriverKind, Suspects
from apibrake.models.connection import Connection, Platform
from apibrake.models.usage import UsageReading
from apibrake.models.words import counted, in_units
from apibrake.platforms.connect import connect
from apibrake.platforms.salesforce.activity import action_words
from apibrake_cli.connections import require_connection
from apibrake_cli.context import common_options, output, target
from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.output import Output, age
from apibrake_cli.target import Target

_DURATION = re.compile(r"^(\d+)\s*(m|min|h|d)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
_RECENT = timedelta(hours=1)  # a reading this fresh protects the reserve without a call


def parse_since(text: str) -> timedelta:
    found = _DURATION.match(text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise CliError(
            f"--since: {text!r} is not a duration",
            code=ExitCode.BAD_INPUT,
            hint="use minutes, hours or days, e.g. 30m, 2h, 1d",
        )
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _last_reading(stack: Target, cid: str, now: datetime) -> UsageReading | None:
    return stack.state.latest_reading(cid, now - _RECENT)


async def _salesforce(
    connection: Connection,
    secret: dict[str, Any],
    stack: Target,
    memory: AttributionStore,
    now: datetime,
    since: timedelta,
) -> Suspects:
    cid = connection.connection_id
    entries, _ = stack.allowlist.for_connection(cid)
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        reading = _last_reading(stack, cid, now) or await client.usage()
        # A person asking may spend one call more than an alert: an hourly file's query and
        # download after SetupAuditTrail, when the org has them.
        budget = CallBudget(reading.limit, reading.used, connection.reserve_pct, max_calls=3)
        job = Gathering(
            cid, client, entries, memory, budget, now,
            live_window=since, changes_window=since, protected=connection.protected,
        )  # fmt: skip
        suspects = await salesforce_suspects(job)
        suspects.api_calls = client.http.billable_calls
        return suspects


def _gather(
    stack: Target, connection: Connection, now: datetime, since: timedelta
) -> tuple[Suspects, list[DailySummary]]:
    memory = AttributionStore(stack.client("dynamodb"), stack.names.state_table)
    cid = connection.connection_id
    days = memory.daily_summaries(cid, since=(now - max(since, timedelta(days=2))).date(), now=now)
    if connection.platform is Platform.HUBSPOT:
        reading = _last_reading(stack, cid, now)
        if reading is None:
            return Suspects(connection_id=cid, notes=["no usage reading in the last hour"]), days
        return hubspot_suspects(cid, reading, now), days
    secret = stack.secret(connection.secret_id)
    return asyncio.run(_salesforce(connection, secret, stack, memory, now, since)), days


@click.command()
@click.argument("connection_id")
@click.option(
    "--since",
    "since_text",
    default="2h",
    show_default=True,
    help="How far back the live sources and setup changes look (30m, 2h, 1d).",
)
@common_options
def consumers(connection_id: str, since_text: str) -> None:
    """Rank who is spending the connection's calls, and list recent setup changes."""
    out = output()
    since = parse_since(since_text)
    now = datetime.now(UTC)
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        suspects, days = _gather(stack, connection, now, since)
    if out.json_mode:
        out.json(
            {
                **suspects.model_dump(mode="json"),
                "daily_summaries": [d.model_dump(mode="json") for d in days],
            }
        )
        return
    _print(out, suspects, days, now)


def _did(driver: Driver, now: datetime) -> str:
    if driver.kind is DriverKind.ACTIVATION and driver.at is not None:
        said = f"activated {age(driver.at, now)}"
    elif driver.unit == "runs":
        said = f"{counted(driver.count or 0, 'run')} (runs, not calls)"
    else:
        said = in_units(driver.count or 0, driver.unit)
    return f"{said}, {driver.evidence}" if driver.evidence else said


def _driver_verdict(driver: Driver) -> str:
    if driver.allowlisted:
        return driver.automation or ""
    return "not allowlisted: needs a person" if driver.automation else ""


def _print(out: Output, suspects: Suspects, days: list[DailySummary], now: datetime) -> None:
    source = suspects.source.value
    caption = f"source: {source}, data as of {age(suspects.data_as_of, now)}"
    out.table(
        f"Consumers of {suspects.connection_id}",
        ["#", "consumer", "kind", "count", "share", "allowlist"],
        [
            [
                rank,
                c.name,
                c.kind.value,
                in_units(c.calls, c.unit),
                f"{c.share:.0%}" if c.share is not None else None,
                c.protected
                or (c.automation if c.allowlisted else "not allowlisted: needs a person"),
            ]
            for rank, c in enumerate(suspects.consumers, start=1)
        ],
        caption=caption,
    )
    if suspects.drivers:
        out.table(
            "Drivers (what changed the records the consumers read)",
            ["#", "driver", "what it did", "by", "allowlist"],
            [
                [rank, d.name, _did(d, now), d.who, _driver_verdict(d)]
                for rank, d in enumerate(suspects.drivers, start=1)
            ],
        )
    if suspects.changes:
        out.table(
            "Recent setup changes",
            ["when", "who", "action", "what", "allowlist"],
            [
                [
                    age(change.at, now),
                    change.who,
                    action_words(change.action),
                    change.display,
                    change.automation or ("not allowlisted" if change.allowlisted is False else ""),
                ]
                for change in suspects.changes
            ],
        )
    for day in days:
        collected = age(day.collected_at, now)
        out.say(
            f"{day.day}: {counted(day.total, 'counted call')} (daily file, collected {collected})"
        )
    for note in suspects.notes:
        out.say(f"note: {note}")
    out.note(f"{counted(suspects.api_calls, 'API call')} spent on this answer.")

"""`apibrake status`: one row per connection from the state table the monitor keeps."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from apibrake.models.words import hourly_rate
from apibrake.watch.forecast import forecast
from apibrake_cli.context import common_options, output, target
from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.output import Output, age, duration
from apibrake_cli.steps import command_line
from apibrake_cli.target import Target

HISTORY = timedelta(hours=25)  # a rolling day and a little: enough for the burn rate


def _minutes(value: float | None) -> str:
    return "-" if value is None else duration(timedelta(minutes=value))


# A page's report stays far below the 6 MB response cap (~1 KB a row) and its checks well
# inside the monitor's 50 s timeout (25 at once).
CHECK_PAGE = 200


def connection_rows(stack: Target, now: datetime) -> list[dict[str, Any]]:
    connections, failures = stack.connections.load(include_disabled=True)
    open_incidents = stack.journal.open_incident_ids([c.connection_id for c in connections])
    rows: list[dict[str, Any]] = []
    for connection in connections:
        cid = connection.connection_id
        readings = stack.state.readings_since(cid, now - HISTORY)
        claims = sorted(stack.state.alert_claims(cid), key=lambda c: str(c.get("claimed_at")))
        row: dict[str, Any] = {
            "connection_id": cid,
            "platform": connection.platform.value,
            "enabled": connection.enabled,
            "brake_at": connection.brake_at,
            "used": None,
            "limit": None,
            "percent": None,
            "burn_rate_per_hour": None,
            "minutes_to_brake": None,
            "minutes_to_exhaustion": None,
            "last_check": None,
            "checked_seconds_ago": None,
            "open_incident": open_incidents.get(cid),
            "last_alert": claims[-1]["sk"] if claims else None,
            "last_alert_at": claims[-1].get("claimed_at") if claims else None,
        }
        if readings:
            latest = max(readings, key=lambda r: r.taken_at)
            outlook = forecast(
                latest, readings, now=now, brake_at=connection.brake_at, resets_at=latest.resets_at
            )
            row.update(
                used=latest.used,
                limit=latest.limit,
                percent=round(latest.percent, 1),
                burn_rate_per_hour=outlook.burn_rate_per_hour,
                minutes_to_brake=outlook.minutes_to_brake,
                minutes_to_exhaustion=outlook.minutes_to_exhaustion,
                last_check=latest.taken_at.isoformat(),
                checked_seconds_ago=max(int((now - latest.taken_at).total_seconds()), 0),
            )
        rows.append(row)
    rows += [
        {"connection_id": f.connection_id, "error": f"field '{f.field}': {f.error}"}
        for f in failures
    ]
    return rows


def _checked(row: dict[str, Any], now: datetime) -> str:
    """How old the row's data is: without --check, status shows the monitor's last reading."""
    if not row["last_check"]:
        return "never checked"
    return f"checked {age(datetime.fromisoformat(row['last_check']), now)}"


def _table_row(row: dict[str, Any], now: datetime) -> list[Any]:
    if "error" in row:
        return [row["connection_id"], "-", "-", "-", "-", "-", "-", row["error"]]
    usage = f"{row['used']:,}/{row['limit']:,}" if row["used"] is not None else "-"
    percent = (
        f"{row['percent']:.1f}% (brake {row['brake_at']:g}%)" if row["percent"] is not None else "-"
    )
    rate = row["burn_rate_per_hour"]
    burn = hourly_rate(rate)
    if rate is None:
        outlook = "-"
    elif rate <= 0:
        outlook = "not rising"
    else:
        outlook = (
            f"brake in {_minutes(row['minutes_to_brake'])}, "
            f"100% in {_minutes(row['minutes_to_exhaustion'])}"
        )
    checked = _checked(row, now)
    alert = (
        f"{row['last_alert']} ({age(datetime.fromisoformat(row['last_alert_at']), now)})"
        if row["last_alert"]
        else "-"
    )
    return [
        row["connection_id"],
        usage,
        percent,
        burn,
        outlook,
        checked,
        row["open_incident"] or "-",
        alert,
    ]


@click.command()
@click.option(
    "--check",
    is_flag=True,
    help="Run the usage monitor first (one call per connection); with --watch, before every "
    "refresh. Without it status shows the last check's data, and says how old it is.",
)
@click.option(
    "--watch",
    "watch_seconds",
    type=click.IntRange(min=1),
    help="Refresh every N seconds until Ctrl-C (add --check for fresh data each time).",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    help="With --watch: stop after N refreshes [default: until Ctrl-C].",
)
@common_options
def status(check: bool, watch_seconds: int | None, count: int | None) -> None:
    """Usage, burn rate, forecast, last check, open incident and last alert per connection."""
    if count is not None and watch_seconds is None:
        raise CliError("--count needs --watch SECONDS", code=ExitCode.BAD_INPUT)
    out = output()
    with target(out) as stack:
        if not watch_seconds:
            _show(out, stack, check=check, clear=False)
            return
        refreshes = itertools.count(1) if count is None else range(1, count + 1)
        try:
            for refresh in refreshes:
                if refresh > 1:
                    time.sleep(watch_seconds)
                _show(out, stack, check=check, clear=True)
        except KeyboardInterrupt:
            return  # Ctrl-C is how a watch ends


def check_in_pages(stack: Target) -> None:
    """`--check`: the monitor checks every enabled connection (and reports every invalid
    item) now, a page of connection ids per invoke, so no answer nears Lambda's 6 MB
    response cap and no invoke its timeout, whatever the fleet's size."""
    connections, failures = stack.connections.load()
    ids = [c.connection_id for c in connections] + [f.connection_id for f in failures]
    pages = [ids[start : start + CHECK_PAGE] for start in range(0, len(ids), CHECK_PAGE)]
    for page in pages or [[]]:
        stack.invoke("monitor", {"connection_ids": page} if page else {})


def _show(out: Output, stack: Target, *, check: bool, clear: bool) -> None:
    if check:
        check_in_pages(stack)
    now = datetime.now(UTC)
    rows = connection_rows(stack, now)
    if out.json_mode:
        out.json({"at": now.isoformat(), "connections": rows})
        return
    if clear:
        out.console.clear()
    if not rows:
        out.say(
            "No connections yet: "
            + command_line("connections", "add", "ID", "--platform", "P", "--secret-file", "FILE")
        )
        return
    out.table(
        f"Status at {now:%Y-%m-%d %H:%M:%S} UTC ({stack.describe()})",
        [
            "connection",
            "used/limit",
            "percent",
            "burn rate",
            "forecast",
            "last check",
            "open incident",
            "last alert",
        ],
        [_table_row(row, now) for row in rows],
        caption=_freshness(checked=check),
    )


def _freshness(*, checked: bool) -> str:
    """Where the figures come from: a check just run, or the monitor's last one per
    connection (as old as its "last check" says: locally nothing checks unless asked)."""
    if checked:
        return "the monitor ran just now (--check)"
    return (
        'from each connection\'s last check (see "last check"); --check checks now, one call each'
    )

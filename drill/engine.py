"""Runs a drill: real handlers on the schedule template.yaml gives them, against simulated time."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from apibrake.models.words import counted
from drill.scenarios import DrillScenario
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.clock import VirtualClock
from sandbox.server import Sandbox

DRILL_START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # 07:00 in the portal's New York day


@dataclass(frozen=True)
class DrillOptions:
    # The template's CheckSchedule: the monitor ticks this often and each connection's
    # cadence decides whether it is checked.
    check_every: timedelta = timedelta(minutes=1)
    release_every: timedelta = timedelta(minutes=15)  # the template's ReleaseSchedule
    collect_at_hour: int = 6  # the template's UsageFilesSchedule, cron(0 6 * * ? *) UTC
    hours: float | None = None  # None: the scenario's own length


@dataclass
class Sample:
    at: datetime
    connection_id: str
    percent: float
    used: int
    limit: int
    burn_per_hour: float | None


@dataclass
class Event:
    at: datetime
    kind: str  # alert | brake | release
    connection_id: str
    text: str
    severity: str = ""
    suspects: str = ""  # an alert's Suspects section, as its email says it
    email: str = ""  # an alert's whole email body
    sms: str = ""  # an alert's SMS text, as SNS would send it to a phone
    # The monitor's Suspects (as JSON) on the check row that sent the alert, if any: the
    # chain the summary tells (consumer, drivers).
    chain: dict[str, Any] | None = None


@dataclass
class DrillResult:
    scenario: str
    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    brake_reports: list[dict[str, Any]] = field(default_factory=list)
    release_reports: list[dict[str, Any]] = field(default_factory=list)


Listener = Callable[[Sample | Event], None]
TickHook = Callable[[LocalStack], None]
StackFactory = Callable[[LocalAws, Sandbox, Mapping[str, str] | None], LocalStack]


def _ignore(_: Sample | Event) -> None:
    pass


def run_drill(
    scenario: DrillScenario,
    options: DrillOptions | None = None,
    on_step: Listener = _ignore,
    environment: Mapping[str, str] | None = None,
    *,
    start: datetime = DRILL_START,
    on_tick: TickHook | None = None,
    tick: timedelta | None = None,
    stack_factory: StackFactory = LocalStack,
) -> DrillResult:
    """`on_tick` runs every `tick` of simulated time (default: each check) before the check,
    so a caller can sample usage, start a spike or inject faults; `stack_factory` lets it
    observe every report. Both default to the plain drill."""
    options = options or DrillOptions()
    hours = options.hours if options.hours is not None else scenario.hours
    result = DrillResult(scenario.name)

    def emit(item: Sample | Event) -> None:
        if isinstance(item, Sample):
            result.samples.append(item)
        else:
            result.events.append(item)
        on_step(item)

    saved_environment = dict(os.environ)
    sms = SmsTexts()
    sms.listen()
    try:
        with LocalAws() as aws, Sandbox(clock=VirtualClock(start)) as sandbox:
            stack = stack_factory(aws, sandbox, environment)
            scenario.set_up(stack)
            end = start + timedelta(hours=hours)
            next_release = start + options.release_every
            last_release: dict[str, list[str]] = {}  # connections -> the rows' statuses
            # As if this morning's collection had run: later alerts have yesterday's summary.
            stack.collect_usage_files()
            next_collect = _next_collection(start, options.collect_at_hour)
            while sandbox.clock.now() < end:
                _advance(stack, options.check_every, tick, on_tick)
                now = sandbox.clock.now()
                if now >= next_collect:
                    next_collect += timedelta(days=1)
                    stack.collect_usage_files()
                rows = stack.tick().get("connections", [])
                chains = {r["connection_id"]: r["suspects"] for r in rows if r.get("suspects")}
                # Most ticks check nothing and publish nothing: read the inbox only after
                # a tick, brake or release that may have published.
                published = any(row.get("alerts_sent") for row in rows)
                for row in rows:
                    if row.get("used") is not None and row.get("percent") is not None:
                        emit(
                            Sample(
                                now,
                                row["connection_id"],
                                row["percent"],
                                row["used"],
                                row["limit"],
                                row.get("burn_rate_per_hour"),
                            )
                        )
                for report in stack.run_auto_brakes():
                    published = True
                    result.brake_reports.append(report)
                    emit(Event(now, "brake", _connections(report), _summary(report)))
                if now >= next_release:
                    published = True
                    next_release += options.release_every
                    report = stack.release_recovered()
                    # A run that only finds the same held rows again (re-read hourly at
                    # most, nothing changed) is no news: the line is not printed again.
                    statuses = sorted(row["status"] for row in report.get("rows", []))
                    cids = _connections(report)
                    news = set(statuses) - {"skipped"} and statuses != last_release.get(cids)
                    if news:
                        last_release[cids] = statuses
                        result.release_reports.append(report)
                        emit(Event(now, "release", _connections(report), _summary(report)))
                for alert in stack.alerts() if published else []:
                    connection_id = alert.attributes.get("connection_id", "")
                    emit(
                        Event(
                            now,
                            "alert",
                            connection_id,
                            alert.subject or "",
                            alert.attributes.get("severity", ""),
                            suspects_section(alert.body),
                            email=alert.body,
                            sms=sms.take(alert.subject or ""),
                            chain=chains.get(connection_id),
                        )
                    )
    finally:
        # The drill's moto is gone and its function environment was its own: leave neither.
        sms.stop()
        LocalStack.forget_caches()
        os.environ.clear()
        os.environ.update(saved_environment)
    return result


class SmsTexts:
    """The SMS variant of each alert published. The alert topic's SQS subscription receives
    the email text only, and moto delivers nothing to phones, so the drill reads the `sms`
    key of each SNS Publish request as boto3 sends it (clients made after `listen`)."""

    def __init__(self) -> None:
        self._by_subject: dict[str, list[str]] = {}

    def listen(self) -> None:
        boto3._get_default_session().events.register(
            "provide-client-params.sns.Publish", self._record, unique_id="drill-sms"
        )

    def stop(self) -> None:
        boto3._get_default_session().events.unregister(
            "provide-client-params.sns.Publish", unique_id="drill-sms"
        )

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("MessageStructure") != "json":
            return
        try:
            message = json.loads(params.get("Message", ""))
        except ValueError:
            return
        if isinstance(message, dict) and "sms" in message:
            self._by_subject.setdefault(params.get("Subject", ""), []).append(message["sms"])

    def take(self, subject: str) -> str:
        """The SMS of the alert with this SNS subject, oldest first; "" when none was seen."""
        for key, texts in self._by_subject.items():
            if texts and key == subject:
                return texts.pop(0)
        return ""


def _next_collection(after: datetime, hour: int) -> datetime:
    at = after.astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at > after else at + timedelta(days=1)


def _advance(
    stack: LocalStack, span: timedelta, tick: timedelta | None, on_tick: TickHook | None
) -> None:
    if on_tick is None:
        stack.sandbox.advance(span)
        return
    step = min(tick or span, span)
    target = stack.sandbox.clock.now() + span
    while (now := stack.sandbox.clock.now()) < target:
        stack.sandbox.advance(min(step, target - now))
        on_tick(stack)


def suspects_section(body: str) -> str:
    """The Suspects paragraph of an alert's email body ("" when it has none)."""
    for paragraph in body.split("\n\n"):
        if paragraph.startswith("Suspects"):
            return paragraph.strip()
    return ""


def _connections(report: dict[str, Any]) -> str:
    """The connections a report acted on (a scheduled release skips the unrecovered ones)."""
    rows = report.get("rows", [])
    acted = {row["connection_id"] for row in rows if row["status"] != "skipped"}
    return ", ".join(sorted(acted or {row["connection_id"] for row in rows}))


def _summary(report: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for row in report.get("rows", []):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    calls = sum(report.get("api_calls", {}).values())
    states = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return f"{states} ({counted(calls, 'API call')})"

"""Alerts, brakes, releases and rows a person must handle, as EventBridge events on the
account's default bus, so users route them with ordinary rules (PagerDuty, Opsgenie, a
webhook through an API destination, their own automation).

An event that cannot be put (throttled, denied, endpoint down) is logged and counted,
never raised: it must not stop the alert it mirrors, nor a brake. The shapes are the
contract in docs/events.md; samples are in events/eventbridge_*.json.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from apibrake.incident.adapters import adapter_for
from apibrake.models.alert import Alert, Severity
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    Driver,
    SetupChange,
    Suspects,
)
from apibrake.models.reports import AutomationRow, RowStatus

SOURCE = "apibrake"
DEFAULT_BUS = "default"
PUT_EVENTS_MAX_ENTRIES = 10  # PutEvents takes at most 10 entries per call
MAX_SUSPECTS = 5  # consumers and changes an event carries: a ranking, not a log
logger = logging.getLogger(__name__)


class DetailType(StrEnum):
    ALERT = "apibrake alert"
    BRAKE = "apibrake brake"
    RELEASE = "apibrake release"
    NEEDS_HUMAN = "apibrake needs human"


_BY_KIND = {"brake": DetailType.BRAKE, "release": DetailType.RELEASE}


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    percent: float | None = None
    used: int | None = None
    limit: int | None = None


class EventSuspects(BaseModel):
    """Who spends the calls and what changed before the burn, as the alert named them:
    best consumer first, newest change first, each with `allowlisted` (the brake stops it)
    where it names an automation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: AttributionSource
    data_as_of: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    consumers: list[Consumer] = []
    changes: list[SetupChange] = []
    drivers: list[Driver] = []  # what changed the records the consumers read
    notes: list[str] = []

    @classmethod
    def of(cls, suspects: Suspects) -> EventSuspects:
        return cls(
            source=suspects.source,
            data_as_of=suspects.data_as_of,
            window_start=suspects.window_start,
            window_end=suspects.window_end,
            consumers=suspects.consumers[:MAX_SUSPECTS],
            changes=suspects.changes[:MAX_SUSPECTS],
            drivers=suspects.drivers[:MAX_SUSPECTS],
            notes=suspects.notes,
        )


class EventDetail(BaseModel):
    """The `detail` of every apibrake event: what a rule matches on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # threshold, forecast, ..., brake, release, needs_human
    connection_id: str
    platform: str
    severity: Severity
    usage: Usage | None = None  # when known
    incident_id: str | None = None  # when there is one
    dry_run: bool = False
    subject: str = ""
    next_steps: list[str] = []
    automation: str | None = None  # needs human: KIND:NAME
    reason: str | None = None  # needs human: why a person must act
    suspects: EventSuspects | None = None  # when attribution knew something (or why not)


def alert_event(alert: Alert) -> tuple[DetailType, EventDetail]:
    usage = None
    if alert.percent is not None or alert.used is not None:
        usage = Usage(percent=alert.percent, used=alert.used, limit=alert.limit)
    detail = EventDetail(
        kind=alert.kind,
        connection_id=alert.connection_id,
        platform=alert.platform,
        severity=alert.severity,
        usage=usage,
        incident_id=alert.incident_id or None,
        dry_run=alert.dry_run,
        subject=alert.subject,
        next_steps=list(alert.next_steps),
        suspects=EventSuspects.of(alert.attribution) if alert.attribution else None,
    )
    return _BY_KIND.get(alert.kind, DetailType.ALERT), detail


def needs_human_events(
    rows: Sequence[AutomationRow], *, action: str, incident_id: str | None
) -> list[tuple[DetailType, EventDetail]]:
    return [
        (
            DetailType.NEEDS_HUMAN,
            EventDetail(
                kind="needs_human",
                connection_id=row.connection_id,
                platform=row.platform.value,
                severity=Severity.CRITICAL,
                incident_id=incident_id,
                subject=f"[apibrake] CRITICAL {row.connection_id}: {action} needs a human: "
                f"{row.named_automation}",
                automation=_automation(row),
                reason=row.error,
                next_steps=[_by_hand(row, action, incident_id)],
            ),
        )
        for row in rows
        if row.status is RowStatus.NEEDS_HUMAN
    ]


def _automation(row: AutomationRow) -> str:
    return f"{row.kind.value}:{row.name}" if row.kind else row.name


def _by_hand(row: AutomationRow, action: str, incident_id: str | None) -> str:
    if action == "brake" and row.kind is not None:
        return f"Switch {row.named_automation} off by hand: {adapter_for(row.kind).by_hand}"
    record = f": `apibrake incidents {incident_id}`" if incident_id else ""
    return (
        f"Handle {row.named_automation} by hand as the reason says, then check the record{record}"
    )


class EventPublisher:
    """Puts apibrake events on one bus (the default one: the functions may put on no
    other). `on_failure` is told the detail type of every event that did not go out."""

    def __init__(
        self,
        events: Any,
        *,
        bus: str = DEFAULT_BUS,
        on_failure: Callable[[DetailType], None] | None = None,
    ) -> None:
        self._events = events
        self._bus = bus
        self._on_failure = on_failure

    def alert(self, alert: Alert) -> bool:
        """Puts the alert's event; False (logged, counted) when it did not go out."""
        try:
            return self._put([alert_event(alert)])
        except Exception:  # never the alert's problem
            logger.exception("event not built", extra={"connection_id": alert.connection_id})
            self._count(DetailType.ALERT)
            return False

    def needs_human(
        self, rows: Sequence[AutomationRow], *, action: str, incident_id: str | None
    ) -> bool:
        """One event per row a person must handle; False when any did not go out."""
        try:
            return self._put(needs_human_events(rows, action=action, incident_id=incident_id))
        except Exception:  # never the brake's problem
            logger.exception("needs-human events not built", extra={"incident_id": incident_id})
            self._count(DetailType.NEEDS_HUMAN)
            return False

    def _put(self, events: list[tuple[DetailType, EventDetail]]) -> bool:
        delivered = True
        for start in range(0, len(events), PUT_EVENTS_MAX_ENTRIES):
            batch = events[start : start + PUT_EVENTS_MAX_ENTRIES]
            failed = self._put_batch(batch)
            for detail_type, detail in failed:
                delivered = False
                logger.warning(
                    "event not published",
                    extra={"detail_type": detail_type.value, "connection_id": detail.connection_id},
                )
                self._count(detail_type)
        return delivered

    def _put_batch(
        self, batch: list[tuple[DetailType, EventDetail]]
    ) -> list[tuple[DetailType, EventDetail]]:
        """The events of the batch that did not go out."""
        entries = [
            {
                "EventBusName": self._bus,
                "Source": SOURCE,
                "DetailType": detail_type.value,
                "Detail": json.dumps(detail.model_dump(mode="json"), ensure_ascii=False),
            }
            for detail_type, detail in batch
        ]
        try:
            answer = self._events.put_events(Entries=entries)
        except Exception as error:  # throttled, denied, unreachable: the alert goes on
            # The AWS error names the bus and the problem, never a credential.
            logger.warning("PutEvents failed: %s: %s", type(error).__name__, str(error)[:200])
            return batch
        results = answer.get("Entries", [])
        return [
            event for event, result in zip(batch, results, strict=False) if result.get("ErrorCode")
        ] + batch[len(results) :]

    def _count(self, detail_type: DetailType) -> None:
        if self._on_failure is None:
            return
        try:
            self._on_failure(detail_type)
        except Exception:  # a metric must not break what it counts
            logger.exception("event failure not counted")

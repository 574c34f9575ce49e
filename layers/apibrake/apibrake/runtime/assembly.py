"""Builds each function's domain objects from settings and clients (no AWS lookups here).

The one place that knows which store reads which table: handlers, the drill and the CLI
all come through here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from apibrake.attribution import AttributionFinder, AttributionStore
from apibrake.http.retry import RetryBudget
from apibrake.incident.deps import IncidentDeps
from apibrake.incident.journal import JournalStore
from apibrake.incident.records import utcnow
from apibrake.models.alert import Alert
from apibrake.models.connection import Connection
from apibrake.platforms.connect import connect, load_connection_secret
from apibrake.runtime.collect import UsageFileCollector
from apibrake.runtime.settings import MonitorSettings, Settings
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.state import StateStore
from apibrake.warn.events import DetailType, EventPublisher
from apibrake.warn.publisher import AlertPublisher
from apibrake.warn.trigger import Invoker
from apibrake.watch.monitor import (
    ConnectionSource,
    MetricsSink,
    MonitorOptions,
    ReadingStore,
    UsageMonitor,
)

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient


@dataclass(frozen=True)
class Stores:
    """Every table's store, built once from the settings that name the tables."""

    connections: ConnectionStore
    allowlist: AllowlistStore
    state: StateStore
    journal: JournalStore


def stores(settings: Settings, dynamodb: Any) -> Stores:
    return Stores(
        connections=ConnectionStore(dynamodb, settings.connections_table),
        allowlist=AllowlistStore(dynamodb, settings.allowlist_table),
        state=StateStore(
            dynamodb,
            settings.state_table,
            reading_ttl=timedelta(hours=settings.reading_ttl_hours),
        ),
        journal=JournalStore(dynamodb, settings.state_table),
    )


def event_publisher(settings: Settings, events: Any) -> EventPublisher | None:
    """The events channel, unless switched off (PUBLISH_EVENTS=false) or given no client."""
    if events is None or not settings.publish_events:
        return None
    return EventPublisher(events, on_failure=_count_unpublished_event)


def _count_unpublished_event(detail_type: DetailType) -> None:
    # The function's namespace and service come from the Powertools environment.
    metrics = EphemeralMetrics()
    metrics.add_dimension(name="detail_type", value=detail_type.value)
    metrics.add_metric(name="EventsNotPublished", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def incident_deps(
    settings: Settings,
    *,
    dynamodb: Any,
    sns: Any,
    load_secret: Callable[[str], dict[str, Any]],
    http_client: httpx.AsyncClient,
    now: Callable[[], datetime] = utcnow,
    events: Any = None,
) -> IncidentDeps:
    budget = RetryBudget()  # one retry allowance for the whole invocation
    channel = event_publisher(settings, events)
    publisher = (
        AlertPublisher(sns, settings.alert_topic_arn, events=channel)
        if settings.alert_topic_arn
        else None
    )

    def open_client(connection: Connection) -> PlatformClient:
        secret = load_connection_secret(connection, load_secret, settings.secret_prefix)
        return connect(connection, secret, http_client, budget=budget, now=now)

    def publish(alert: Alert) -> object:
        if publisher is not None:
            return publisher.publish(alert)
        if channel is not None:
            channel.alert(alert)
        return None

    tables = stores(settings, dynamodb)
    memory = attribution_store(settings, dynamodb)
    return IncidentDeps(
        connections=tables.connections,
        allowlist=tables.allowlist,
        journal=tables.journal,
        state=tables.state,
        publish=publish,
        open_client=open_client,
        concurrency=settings.max_concurrency,
        now=now,
        events=channel,
        suspects=AttributionFinder(memory, tables.state, tables.allowlist, now),
        refusals=memory,
    )


def attribution_store(settings: Settings, dynamodb: Any) -> AttributionStore:
    """Only the monitor writes summaries; the others read them with the default TTL."""
    ttl_days = settings.usage_summary_ttl_days if isinstance(settings, MonitorSettings) else 30
    return AttributionStore(dynamodb, settings.state_table, summary_ttl=timedelta(days=ttl_days))


def usage_file_collector(
    settings: MonitorSettings,
    *,
    dynamodb: Any,
    load_secret: Callable[[str], dict[str, Any]],
    clock: Callable[[], datetime] | None = None,
) -> UsageFileCollector:
    tables = stores(settings, dynamodb)
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    return UsageFileCollector(
        connections=tables.connections,
        state=tables.state,
        memory=attribution_store(settings, dynamodb),
        secrets=load_secret,
        secret_prefix=settings.secret_prefix,
        max_concurrency=settings.max_concurrency,
        **extra,
    )


def usage_monitor(
    settings: MonitorSettings,
    *,
    dynamodb: Any,
    sns: Any,
    load_secret: Callable[[str], dict[str, Any]],
    invoker: Invoker | None,
    metrics: MetricsSink,
    clock: Callable[[], datetime] | None = None,
    events: Any = None,
    connections: ConnectionSource | None = None,
    state: ReadingStore | None = None,
) -> UsageMonitor:
    """The monitor over the tables; `connections` and `state` narrow it (the fleet worker's
    batch)."""
    options = MonitorOptions(
        forecast_horizon_minutes=settings.forecast_horizon_minutes,
        max_concurrency=settings.max_concurrency,
        secret_prefix=settings.secret_prefix,
        incident_function_name=settings.incident_function_name or "<IncidentResponderFunction>",
        stack_name=settings.stack_name,
        region=settings.aws_region,
    )
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    tables = stores(settings, dynamodb)
    return UsageMonitor(
        connections=connections or tables.connections,
        state=state or tables.state,
        allowlist=tables.allowlist,
        publisher=AlertPublisher(
            sns, settings.alert_topic_arn, events=event_publisher(settings, events)
        ),
        secrets=load_secret,
        invoker=invoker,
        metrics=metrics,
        options=options,
        attribution=attribution_store(settings, dynamodb),
        **extra,
    )

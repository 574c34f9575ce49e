"""Assembles IncidentDeps from settings and clients the handler created (no AWS lookups here)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from apibrake.brake.deps import IncidentDeps
from apibrake.http.retry import RetryBudget
from apibrake.models.connection import Connection
from apibrake.platforms.connect import connect, load_connection_secret
from apibrake.settings import Settings
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.journal import JournalStore, utcnow
from apibrake.store.state import StateStore
from apibrake.warn.publisher import Alert, AlertPublisher


def incident_deps(
    settings: Settings,
    *,
    dynamodb: Any,
    sns: Any,
    load_secret: Callable[[str], dict[str, Any]],
    http_client: httpx.AsyncClient,
    now: Callable[[], datetime] = utcnow,
) -> IncidentDeps:
    budget = RetryBudget()  # one retry allowance for the whole invocation
    publisher = AlertPublisher(sns, settings.alert_topic_arn) if settings.alert_topic_arn else None

    def open_client(connection: Connection) -> Any:
        secret = load_connection_secret(connection, load_secret, settings.secret_prefix)
        return connect(connection, secret, http_client, budget=budget, now=now)

    def publish(alert: Alert) -> object:
        return publisher.publish(alert) if publisher else None

    return IncidentDeps(
        connections=ConnectionStore(dynamodb, settings.connections_table),
        allowlist=AllowlistStore(dynamodb, settings.allowlist_table),
        journal=JournalStore(dynamodb, settings.state_table),
        state=StateStore(
            dynamodb, settings.state_table, reading_ttl=timedelta(hours=settings.reading_ttl_hours)
        ),
        publish=publish,
        open_client=open_client,
        concurrency=settings.max_concurrency,
        now=now,
    )

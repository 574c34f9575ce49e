"""What the monitor needs of the world: the stores, the allowlist and the metrics sink, as
protocols (runtime/assembly.py passes the DynamoDB-backed ones; tests may pass fakes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.cadence import CadenceState
from apibrake.models.connection import Connection
from apibrake.models.reports import ConnectionFailure
from apibrake.models.usage import UsageReading
from apibrake.store.entitlements import Entitlements
from apibrake.warn.claims import ClaimStore
from apibrake.watch.report import ConnectionCheck


class ConnectionSource(Protocol):
    def load(
        self, connection_ids: list[str] | None = None, *, include_disabled: bool = False
    ) -> tuple[list[Connection], list[ConnectionFailure]]: ...


class ReadingStore(ClaimStore, Protocol):
    def put_readings(self, connection_id: str, readings: list[UsageReading]) -> None: ...

    def readings_since(self, connection_id: str, since: datetime) -> list[UsageReading]: ...

    def cadence_states(self) -> dict[str, CadenceState]: ...

    def claimed_at(self, connection_id: str, alert_key: str) -> datetime | None: ...

    def put_cadence_states(self, states: list[CadenceState], *, now: datetime) -> None: ...

    def released_unchanged(self, connection_id: str, *, now: datetime) -> dict[str, datetime]: ...

    def entitlements(self) -> Entitlements: ...


class AllowlistSource(Protocol):
    def for_connection(self, connection_id: str) -> tuple[list[AllowlistEntry], list[Any]]: ...


class MetricsSink(Protocol):
    def record(self, check: ConnectionCheck) -> None: ...

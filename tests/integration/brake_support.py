"""The local stack wired for incident_responder and restore (moto server + sandbox)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from apibrake import wiring
from apibrake.http.token_cache import TOKEN_CACHE
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.journal import JournalStore
from localaws import LocalAws, ReceivedAlert
from sandbox.server import Sandbox

responder_app = importlib.import_module("functions.incident_responder.app")
restore_app = importlib.import_module("functions.restore.app")


class FakeContext:
    """A Lambda context whose remaining time the test controls."""

    function_name = "apibrake-test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:apibrake-test"
    aws_request_id = "test-request"

    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class BrakeStack:
    def __init__(self, aws: LocalAws, sandbox: Sandbox) -> None:
        self.aws = aws
        self.sandbox = sandbox
        self.inbox = aws.alert_inbox()
        dynamodb = aws.client("dynamodb")
        self.connections = ConnectionStore(dynamodb, aws.table_name("ConnectionsTable"))
        self.allowlist = AllowlistStore(dynamodb, aws.table_name("AllowlistTable"))
        self.journal = JournalStore(dynamodb, aws.table_name("StateTable"))

    @property
    def sf(self) -> Any:
        return self.sandbox.salesforce

    @property
    def hs(self) -> Any:
        return self.sandbox.hubspot

    def add_salesforce(self, connection_id: str = "sf-prod", **item: Any) -> Connection:
        secret_id = f"apibrake/{connection_id}"
        self.aws.create_secret(
            secret_id,
            {
                "auth": "client_credentials",
                "instance_url": self.sandbox.salesforce_url,
                "client_id": self.sf.settings.client_id,
                "client_secret": self.sf.settings.client_secret,
            },
        )
        return self._put(connection_id, "salesforce", secret_id, item)

    def add_hubspot(self, connection_id: str = "hs-main", **item: Any) -> Connection:
        secret_id = f"apibrake/{connection_id}"
        self.aws.create_secret(
            secret_id,
            {
                "auth": "token",
                "base_url": self.sandbox.hubspot_url,
                "access_token": self.hs.settings.token,
            },
        )
        return self._put(connection_id, "hubspot", secret_id, item)

    def _put(self, cid: str, platform: str, secret_id: str, item: dict[str, Any]) -> Connection:
        connection = Connection.model_validate(
            {"connection_id": cid, "platform": platform, "secret_id": secret_id, **item}
        )
        self.connections.put(connection)
        return connection

    def allow(self, connection_id: str, *automations: str, **extra: Any) -> None:
        for automation in automations:
            self.allowlist.put(
                AllowlistEntry(connection_id=connection_id, automation=automation, **extra)
            )

    def brake(self, context: Any = None, **event: Any) -> dict[str, Any]:
        return responder_app.handle(
            {"action": "brake", **event}, context or FakeContext(), clock=self.sandbox.clock.now
        )

    def release(self, incident_id: str, context: Any = None, **event: Any) -> dict[str, Any]:
        return restore_app.handle(
            {"action": "release", "incident_id": incident_id, **event},
            context or FakeContext(),
            clock=self.sandbox.clock.now,
        )

    def release_recovered(self, **event: Any) -> dict[str, Any]:
        return restore_app.handle(
            {"action": "release_recovered", **event}, FakeContext(), clock=self.sandbox.clock.now
        )

    def alerts(self) -> list[ReceivedAlert]:
        return self.inbox.receive()


def rows_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["rows"]}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["status"] for row in report["rows"]}


def api_mutations(sandbox: Sandbox, platform: str | None = None) -> list[Any]:
    return [m for m in sandbox.audit.entries(platform=platform) if m.actor == "api"]


@pytest.fixture
def brake_env(aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in aws.function_environment("IncidentResponderFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ApiBrake")
    wiring.settings.cache_clear()
    responder_app._once.cache_clear()
    restore_app._once.cache_clear()
    TOKEN_CACHE.clear()
    yield
    wiring.settings.cache_clear()
    responder_app._once.cache_clear()
    restore_app._once.cache_clear()
    TOKEN_CACHE.clear()


@pytest.fixture
def brake_stack(aws: LocalAws, sandbox: Sandbox, brake_env: None) -> BrakeStack:
    return BrakeStack(aws, sandbox)

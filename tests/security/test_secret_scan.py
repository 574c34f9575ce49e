"""Known credential values never leave Secrets Manager: not in logs, metrics, alerts,
reports, the state table or exception texts, through a whole brake and release."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

from drill import engine
from drill.engine import DrillOptions, run_drill
from drill.scenarios import RUNAWAY_ROLLUPS
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.hubspot import HubSpotSettings
from sandbox.salesforce import SalesforceSettings
from sandbox.server import Sandbox

CANARIES = {
    "salesforce client id": "sf-client-CANARY-7f3a9c",
    "salesforce client secret": "sf-secret-CANARY-2b8e41",
    "hubspot token": "pat-na1-CANARY-hs-5d0c77",
}
# The drill's scenario, started so close to the brake threshold that an hour reaches it.
NEAR_THE_BRAKE = dataclasses.replace(
    RUNAWAY_ROLLUPS, starting_usage={"salesforce": 88_000, "hubspot": 222_000}
)
CANARY_SETTINGS: dict[str, Any] = {
    "salesforce": SalesforceSettings(
        client_id=CANARIES["salesforce client id"],
        client_secret=CANARIES["salesforce client secret"],
    ),
    "hubspot": HubSpotSettings(token=CANARIES["hubspot token"]),
}


# Wire logs of the AWS SDK and the local AWS server: they echo Secrets Manager payloads by
# design at DEBUG, and nothing in apibrake switches them on (Powertools' level is its own).
NOT_APIBRAKE_LOGS = ("botocore", "boto3", "urllib3", "moto", "werkzeug", "s3transfer")


def _python_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Every record (message, extras, exception text) of every logger but the AWS wire logs."""
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.__dict__!r}"
        for record in caplog.records
        if not record.name.startswith(NOT_APIBRAKE_LOGS)
    )


def _capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in NOT_APIBRAKE_LOGS:  # also keeps the test fast
        caplog.set_level(logging.WARNING, logger=name)


class Emitted:
    """Everything apibrake let out during a test, as named texts."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def add(self, name: str, value: Any) -> None:
        self.texts[name] = value if isinstance(value, str) else json.dumps(value, default=str)

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        return [
            f"{what} in {where}"
            for what, secret in secrets.items()
            for where, text in self.texts.items()
            if secret in text
        ]


def _issued_tokens(sandbox: Sandbox) -> dict[str, str]:
    """The access tokens the sandbox org handed out (its session book is private)."""
    issued = sandbox.salesforce.sessions._issued
    return {f"salesforce access token {n}": token for n, token in enumerate(issued)}


def _table_contents(aws: LocalAws) -> dict[str, Any]:
    dynamodb = aws.client("dynamodb")
    return {
        table_id: dynamodb.scan(TableName=aws.table_name(table_id))["Items"]
        for table_id in ("StateTable", "IdempotencyTable", "ConnectionsTable", "AllowlistTable")
    }


@pytest.fixture
def canary_stack(aws: LocalAws, sandbox_factory: Callable[..., Sandbox]) -> Iterator[LocalStack]:
    with mock.patch.dict(os.environ):
        stack = LocalStack(
            aws,
            sandbox_factory(**CANARY_SETTINGS),
            environment={
                "POWERTOOLS_METRICS_NAMESPACE": "ApiBrake",
                "POWERTOOLS_LOG_LEVEL": "DEBUG",
            },
        )
        # Print the EMF metrics as Lambda would, instead of dropping them.
        apps = (stack.monitor_app, stack.responder_app, stack.restore_app)

        def flush_metrics() -> None:
            for app in apps:
                app.metrics.flush_metrics()

        stack._flush_metrics = flush_metrics  # type: ignore[method-assign]
        yield stack
    LocalStack.forget_caches()


def test_brake_and_release_emit_no_credential(
    canary_stack: LocalStack, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given both platforms burning calls, close to the brake threshold, with canary credentials
    stack = canary_stack
    _capture_logs(caplog)
    RUNAWAY_ROLLUPS.set_up(stack)
    stack.sandbox.salesforce.add_usage(42_000)
    stack.sandbox.hubspot.add_usage(120_000)
    emitted = Emitted()

    # When the monitor checks, brakes, and an operator releases
    emitted.add("monitor report", stack.check())
    brakes = stack.run_auto_brakes()
    emitted.add("brake reports", brakes)
    emitted.add("manual brake report", stack.brake(connection_id="sf-prod", dry_run=True))
    releases = [stack.release_incident(report["incident_id"], force=True) for report in brakes]
    emitted.add("release reports", releases)
    emitted.add(
        "invalid event answer", stack.brake({"connection_id": CANARIES["hubspot token"][:3]})
    )

    # Then the brake really happened, and no credential shows anywhere it went
    assert any(row["status"] == "braked" for report in brakes for row in report["rows"])
    assert any(row["status"] == "released" for report in releases for row in report["rows"])
    alerts = stack.alerts()
    assert alerts
    emitted.add("alerts", [(a.subject, a.body, a.attributes) for a in alerts])
    emitted.add("tables", _table_contents(stack.aws))
    captured = capfd.readouterr()
    emitted.add("stdout (logs, EMF metrics)", captured.out)
    emitted.add("stderr", captured.err)
    emitted.add("python logging", _python_logs(caplog))
    assert '"_aws"' in captured.out  # the EMF metrics were printed and scanned
    secrets = {**CANARIES, **_issued_tokens(stack.sandbox)}
    assert len(secrets) > len(CANARIES)
    assert emitted.leaks(secrets) == []


def test_failed_connection_errors_name_no_credential(
    canary_stack: LocalStack, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a secret whose instance URL is wrong and one whose token the portal refuses
    stack = canary_stack
    _capture_logs(caplog)
    stack.aws.create_secret(
        "apibrake/sf-broken",
        {"auth": "client_credentials", "instance_url": CANARIES["salesforce client secret"],
         "client_id": CANARIES["salesforce client id"], "client_secret": "x"},
    )  # fmt: skip
    stack.put_connection_item(
        {"connection_id": "sf-broken", "platform": "salesforce", "secret_id": "apibrake/sf-broken"}
    )
    stack.aws.create_secret(
        "apibrake/hs-refused",
        {"auth": "token", "base_url": stack.sandbox.hubspot_url,
         "access_token": CANARIES["hubspot token"] + "-revoked"},
    )  # fmt: skip
    stack.put_connection_item(
        {"connection_id": "hs-refused", "platform": "hubspot", "secret_id": "apibrake/hs-refused"}
    )
    emitted = Emitted()

    # When the monitor checks them and someone asks for a brake
    report = stack.check()
    emitted.add("monitor report", report)
    emitted.add("brake report", stack.brake(connection_id="hs-refused"))

    # Then both fail with a reason, and the reasons quote no credential
    assert {row["connection_id"] for row in report["connections"] if row.get("error")} >= {
        "sf-broken",
        "hs-refused",
    }
    emitted.add("alerts", [(a.subject, a.body) for a in stack.alerts()])
    captured = capfd.readouterr()
    emitted.add("stdout", captured.out)
    emitted.add("stderr", captured.err)
    emitted.add("python logging", _python_logs(caplog))
    assert emitted.leaks(CANARIES) == []


def test_drill_emits_no_credential(
    aws: LocalAws,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the drill's sandbox built with canary credentials, its day nearly used up
    _capture_logs(caplog)
    started: list[Sandbox] = []

    def sandbox_with_canaries(**options: Any) -> Sandbox:
        started.append(Sandbox(**CANARY_SETTINGS, **options))
        return started[-1]

    monkeypatch.setattr(engine, "Sandbox", sandbox_with_canaries)
    # moto keeps its state per process: a second server would share the session's tables.
    monkeypatch.setattr(engine, "LocalAws", lambda: contextlib.nullcontext(aws))
    steps: list[Any] = []

    # When the whole drill runs
    with mock.patch.dict(os.environ):
        result = run_drill(NEAR_THE_BRAKE, DrillOptions(hours=1), on_step=steps.append)
    LocalStack.forget_caches()

    # Then it braked (release is the other tests' part: the drill's comes after the reset),
    # and nothing it showed or logged holds a credential
    assert result.brake_reports
    emitted = Emitted()
    emitted.add("drill steps", [vars(step) for step in steps])
    emitted.add("brake reports", result.brake_reports)
    emitted.add("release reports", result.release_reports)
    captured = capfd.readouterr()
    emitted.add("stdout", captured.out)
    emitted.add("stderr", captured.err)
    emitted.add("python logging", _python_logs(caplog))
    assert emitted.leaks({**CANARIES, **_issued_tokens(started[0])}) == []

"""The local stack for the CLI: `apibrake local up`, its state file, and in-process handlers.

`local up` serves moto (with the template's tables and topic) and the sandbox until Ctrl-C
and writes `.apibrake/local.json` in the current directory. Commands run with `--local`
attach to it while its endpoint answers, else start a throwaway pair for one command.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config

from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.output import Output
from apibrake_cli.target import FUNCTION_OUTPUTS, StackNames, Target
from localaws import TEMPLATE_PATH, LocalAws
from localaws.lambda_context import LocalLambdaContext
from sandbox.clock import VirtualClock
from sandbox.scenarios import SCENARIO_HISTORY, SCENARIOS
from sandbox.server import Sandbox

STATE_FILE = Path(".apibrake") / "local.json"
FUNCTIONS = {
    "monitor": ("UsageMonitorFunction", "usage_monitor"),
    "brake": ("IncidentResponderFunction", "incident_responder"),
    "restore": ("RestoreFunction", "restore"),
}
# What the handlers log for CloudWatch would drown the CLI's own output.
QUIET = {
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
_CLEARED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def real_time_sandbox() -> Sandbox:
    """A sandbox whose clock follows the wall clock, as the handlers' own clock does."""
    return Sandbox(clock=VirtualClock(datetime.now(UTC), speed=1.0))


def scenario_sandbox(scenario: str) -> Sandbox:
    """A sandbox in `scenario`'s starting state on the wall clock. It is built on a stopped
    clock as far in the past as the scenario's history reaches (a runaway already under
    way), so the calls that history spends are dated before now, then served live."""
    clock = VirtualClock(datetime.now(UTC) - SCENARIO_HISTORY.get(scenario, timedelta(0)))
    sandbox = Sandbox(clock=clock)
    SCENARIOS[scenario](sandbox)
    clock.follow_wall_clock()
    return sandbox


def local_state(aws: LocalAws, sandbox: Sandbox) -> dict[str, Any]:
    """What the state file records: endpoints, names, each function's environment."""
    return {
        "endpoint_url": aws.endpoint_url,
        "region": aws.region,
        "stack_name": aws.stack_name,
        "outputs": aws.outputs(),
        "function_environment": {
            logical_id: aws.function_environment(logical_id) for logical_id, _ in FUNCTIONS.values()
        },
        "sandbox": {
            "salesforce_url": sandbox.salesforce_url,
            "hubspot_url": sandbox.hubspot_url,
            "salesforce_client_id": sandbox.salesforce.settings.client_id,
            "salesforce_client_secret": sandbox.salesforce.settings.client_secret,
            "hubspot_token": sandbox.hubspot.settings.token,
        },
        "pid": os.getpid(),
    }


def write_state(state: dict[str, Any], path: Path = STATE_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return path


def read_state(path: Path = STATE_FILE) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and "endpoint_url" in state else None


def _aws_environment(state: dict[str, Any]) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": state["endpoint_url"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": state["region"],
        "AWS_REGION": state["region"],
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@contextmanager
def preserved_environment() -> Iterator[None]:
    """Whatever a block puts into os.environ is gone after it."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def is_live(state: dict[str, Any]) -> bool:
    """The endpoint answers and still has the stack's connections table."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=state["endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
        config=Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 1}),
    )
    try:
        dynamodb.describe_table(TableName=state["outputs"]["ConnectionsTableName"])
    except Exception:
        return False
    return True


@functools.cache
def _local_session(region: str) -> boto3.Session:
    """One session per process for the local stack (fixed dummy credentials): the service
    models a session reads and parses for its first clients (~0.1 s a command) are read
    once, not once per command, where many commands run in one process (`local up`, tests)."""
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
        region_name=region,
    )


class LocalTarget(Target):
    kind = "local"

    def __init__(self, state: dict[str, Any]) -> None:
        session = _local_session(state["region"])
        super().__init__(StackNames.from_outputs(state["outputs"], "the local stack"), session)
        self.local = state

    def client(self, service: str, config: Config | None = None) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.local["endpoint_url"],
                config=config,
            )
        return self._clients[service]

    def describe(self) -> str:
        return f"local stack at {self.local['endpoint_url']}"

    def sandbox_secret(self, platform: str) -> dict[str, Any] | None:
        sandbox = self.local.get("sandbox") or {}
        if platform == "salesforce":
            return {
                "auth": "client_credentials",
                "instance_url": sandbox["salesforce_url"],
                "client_id": sandbox["salesforce_client_id"],
                "client_secret": sandbox["salesforce_client_secret"],
            }
        return {
            "auth": "token",
            "base_url": sandbox["hubspot_url"],
            "access_token": sandbox["hubspot_token"],
        }

    def invoke(self, role: str, event: dict[str, Any]) -> dict[str, Any]:
        logical_id, folder = FUNCTIONS[role]
        with preserved_environment():
            os.environ.update(_aws_environment(self.local))
            os.environ.update(self.local["function_environment"][logical_id])
            os.environ.update(QUIET)
            app = _handler(folder)
            _forget_caches()
            previous = logging.root.manager.disable
            logging.disable(logging.ERROR)
            try:
                if role == "monitor":
                    report, queued = self._check(app, event)
                else:
                    context = LocalLambdaContext(self.names.functions[role])
                    report, queued = app.handle(event, context), []
            finally:
                logging.disable(previous)
                app.metrics.clear_metrics()
        # The monitor's asynchronous brake invokes, delivered as Lambda would: afterwards.
        for brake_event in queued:
            self.invoke("brake", brake_event)
        return dict(report)

    @staticmethod
    def _check(app: ModuleType, event: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        from drill.stack import QueuedInvoker

        invoker = QueuedInvoker()
        report = app.handle(event, invoker=invoker)
        return report, [e.model_dump(mode="json") for e in invoker.drain()]


def _handler(folder: str) -> ModuleType:
    ensure_source_tree()
    return importlib.import_module(f"functions.{folder}.app")


def ensure_source_tree() -> None:
    """The handlers live beside the template, outside the installed packages: import them."""
    root = str(TEMPLATE_PATH.parent)
    if not (TEMPLATE_PATH.parent / "functions").is_dir():
        raise CliError(
            "--local needs the apibrake source tree (functions/ beside template.yaml)",
            code=ExitCode.NOT_FOUND,
            hint="run apibrake from a clone of the repository (cd into it)",
        )
    if root not in sys.path:
        sys.path.insert(0, root)


def _forget_caches() -> None:
    """What a cold start forgets: settings, clients, secrets, tokens, idempotency."""
    from apibrake.runtime import container

    container.forget()


@contextmanager
def local_target(out: Output, path: Path = STATE_FILE) -> Iterator[Target]:
    ensure_source_tree()
    state = read_state(path)
    if state is not None and is_live(state):
        yield LocalTarget(state)
        return
    out.note(
        f"no running local stack ({path} missing or its endpoint is gone): started a throwaway "
        "one for this command; its data is lost when it ends. Keep one with: apibrake local up"
    )
    with preserved_environment(), LocalAws() as aws, real_time_sandbox() as sandbox:
        yield LocalTarget(local_state(aws, sandbox))


def function_names(state: dict[str, Any]) -> dict[str, str]:
    return {role: state["outputs"][output] for role, output in FUNCTION_OUTPUTS.items()}

"""The whole product on one machine: moto server, the sandbox, and the three real handlers.

Handlers run in-process with the environment template.yaml gives them; the monitor's
asynchronous invoke of incident_responder is queued and run right after the check, as
Lambda's event invoke would. Used by the drill and by end-to-end tests.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent
from apibrake.runtime import container
from apibrake.runtime.assembly import stores
from apibrake.runtime.settings import Settings
from apibrake.store.items import to_item
from localaws import LocalAws, ReceivedAlert, load_template, sqs_source
from localaws.lambda_context import LocalLambdaContext
from localaws.template import function_properties
from sandbox.server import Sandbox

FUNCTIONS = (
    "UsageMonitorFunction",
    "IncidentResponderFunction",
    "RestoreFunction",
    "CheckPlannerFunction",
    "CheckWorkerFunction",
)
# The queues the worker drains, urgent first (template.yaml's CheckWorkerFunction events).
CHECK_QUEUES = ("UrgentCheckQueue", "NormalCheckQueue")


class QueuedInvoker:
    """Stands in for Lambda's `InvocationType=Event`: events wait until the caller drains them."""

    def __init__(self) -> None:
        self.pending: list[BrakeEvent] = []
        self.events: list[BrakeEvent] = []  # every event ever invoked, drained or not

    def invoke(self, event: BrakeEvent) -> None:
        self.pending.append(event)
        self.events.append(event)

    def drain(self) -> list[BrakeEvent]:
        events, self.pending = self.pending, []
        return events


@functools.cache
def schedule_input() -> dict[str, Any]:
    """What the check schedule sends on each tick, as template.yaml declares it (to the
    fleet's planner; the in-process tick takes the same event)."""
    events = function_properties(load_template(), "CheckPlannerFunction")["Events"]
    answer: dict[str, Any] = json.loads(events["Check"]["Properties"]["Input"])
    return answer


def _handler(folder: str) -> ModuleType:
    return importlib.import_module(f"functions.{folder}.app")


class LocalStack:
    def __init__(
        self, aws: LocalAws, sandbox: Sandbox, environment: Mapping[str, str] | None = None
    ) -> None:
        self.aws = aws
        self.sandbox = sandbox
        self.invoker = QueuedInvoker()
        self.inbox = aws.alert_inbox()
        self._apply_function_environment(environment or {})
        # The tables and reading TTL the functions themselves use, from their environment.
        tables = stores(Settings.from_env(), aws.client("dynamodb"))
        self.connections = tables.connections
        self.allowlist = tables.allowlist
        self.state = tables.state
        self.journal = tables.journal
        self.monitor_app = _handler("usage_monitor")
        self.responder_app = _handler("incident_responder")
        self.restore_app = _handler("restore")
        self.planner_app = _handler("check_planner")
        self.worker_app = _handler("check_worker")
        self.forget_caches()

    def _apply_function_environment(self, overrides: Mapping[str, str]) -> None:
        # One process plays all three functions: the union of their environments.
        for logical_id in FUNCTIONS:
            os.environ.update(self.aws.function_environment(logical_id))
        os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
        os.environ.update(overrides)

    def _flush_metrics(self) -> None:
        # lambda_handler's log_metrics would flush per invocation; handle() leaves them queued.
        for app in (
            self.monitor_app,
            self.responder_app,
            self.restore_app,
            self.planner_app,
            self.worker_app,
        ):
            app.metrics.clear_metrics()

    @staticmethod
    def forget_caches() -> None:
        """What a cold start forgets: settings, clients, secrets, tokens, idempotency stores."""
        container.forget()

    # Setup ---------------------------------------------------------------------------------

    def add_salesforce(self, connection_id: str = "sf-prod", **item: Any) -> Connection:
        settings = self.sandbox.salesforce.settings
        secret = {
            "auth": "client_credentials",
            "instance_url": self.sandbox.salesforce_url,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        }
        return self._add(connection_id, "salesforce", secret, item)

    def add_hubspot(
        self,
        connection_id: str = "hs-main",
        *,
        service_key: bool = False,
        api_versions: dict[str, str] | None = None,
        **item: Any,
    ) -> Connection:
        """A private-app connection, or a service-key one; `api_versions` as in the secret."""
        settings = self.sandbox.hubspot.settings
        secret: dict[str, Any] = {
            "auth": "token",
            "base_url": self.sandbox.hubspot_url,
            "access_token": settings.service_key if service_key else settings.token,
        }
        if service_key:
            secret["token_type"] = "service_key"  # noqa: S105 - a credential kind
        if api_versions:
            secret["api_versions"] = api_versions
        return self._add(connection_id, "hubspot", secret, item)

    def _add(
        self, connection_id: str, platform: str, secret: dict[str, Any], item: dict[str, Any]
    ) -> Connection:
        secret_id = f"apibrake/{connection_id}"
        self.aws.create_secret(secret_id, secret)
        connection = Connection.model_validate(
            {"connection_id": connection_id, "platform": platform, "secret_id": secret_id, **item}
        )
        self.connections.put(connection)
        return connection

    def put_connection_item(self, item: dict[str, Any]) -> None:
        """A raw connections-table item, as a user might write one (malformed ones too)."""
        self.aws.client("dynamodb").put_item(
            TableName=self.aws.table_name("ConnectionsTable"), Item=to_item(item)
        )

    def allow(self, connection_id: str, *automations: str, **extra: Any) -> None:
        for automation in automations:
            self.allowlist.put(
                AllowlistEntry(connection_id=connection_id, automation=automation, **extra)
            )

    # The three functions --------------------------------------------------------------------

    def tick(self) -> dict[str, Any]:
        """One schedule tick of usage_monitor: only the connections their cadence says are
        due are checked."""
        return self.check(self.schedule_event())

    @staticmethod
    def schedule_event() -> dict[str, Any]:
        """What the monitor's schedule sends (template.yaml)."""
        return dict(schedule_input())

    def check(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """One usage_monitor run; `{}` (the default) checks every connection now, as an
        operator's invoke does; returns its report."""
        report: dict[str, Any] = self.monitor_app.handle(
            event or {}, clock=self.sandbox.clock.now, invoker=self.invoker
        )
        self._flush_metrics()
        return report

    def plan(self) -> dict[str, Any]:
        """One tick of the fleet's planner (check_planner): the due connections leased and
        queued, nothing checked yet."""
        report: dict[str, Any] = self.planner_app.handle(
            self.schedule_event(), clock=self.sandbox.clock.now
        )
        self._flush_metrics()
        return report

    def plan_collection(self) -> dict[str, Any]:
        """The daily collection schedule's planner run: one collect request per enabled
        Salesforce connection on the normal queue, nothing collected yet."""
        report: dict[str, Any] = self.planner_app.handle(
            {"collect": "usage_files"}, clock=self.sandbox.clock.now
        )
        self._flush_metrics()
        return report

    def work(self) -> list[dict[str, Any]]:
        """The worker drains the check queues, urgent first, as the event source mappings
        would; the answers (`batchItemFailures`) of its batches."""
        sqs = self.aws.client("sqs")
        answers = []

        def handle(event: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = self.worker_app.handle(
                event, clock=self.sandbox.clock.now, invoker=self.invoker
            )
            return answer

        for logical_id in CHECK_QUEUES:
            url = self.aws.queue_url(logical_id)
            arn = self.aws.resolve({"Fn::GetAtt": [logical_id, "Arn"]})
            answers += sqs_source.drain(sqs, url, arn, handle).answers
        self._flush_metrics()
        return answers

    def collect_usage_files(self) -> dict[str, Any]:
        """An operator's usage_monitor run with {"collect": "usage_files"}: every Salesforce
        connection's yesterday ApiTotalUsage summary in one run (the schedule fans out:
        `plan_collection`, then `work`)."""
        return self.check({"collect": "usage_files"})

    def run_auto_brakes(self) -> list[dict[str, Any]]:
        """Delivers the monitor's queued asynchronous invokes to incident_responder."""
        return [self.brake(event.model_dump(mode="json")) for event in self.invoker.drain()]

    def brake(
        self, event: Mapping[str, Any] | None = None, context: Any = None, **fields: Any
    ) -> dict[str, Any]:
        """One incident_responder run; `context` stands in for Lambda's (remaining time)."""
        context = context or LocalLambdaContext(
            self.aws.function_names["IncidentResponderFunction"]
        )
        report: dict[str, Any] = self.responder_app.handle(
            {"action": "brake", **(event or {}), **fields}, context, clock=self.sandbox.clock.now
        )
        self._flush_metrics()
        return report

    def release(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        context = context or LocalLambdaContext(self.aws.function_names["RestoreFunction"])
        report: dict[str, Any] = self.restore_app.handle(
            dict(event), context, clock=self.sandbox.clock.now
        )
        self._flush_metrics()
        return report

    def release_incident(
        self, incident_id: str, context: Any = None, **fields: Any
    ) -> dict[str, Any]:
        """The manual release of one incident."""
        return self.release({"action": "release", "incident_id": incident_id, **fields}, context)

    def release_recovered(self, **fields: Any) -> dict[str, Any]:
        """The scheduled release: every incident whose window has recovered."""
        return self.release({"action": "release_recovered", **fields})

    def alerts(self) -> list[ReceivedAlert]:
        """The alerts published since the last call, read back from the SNS topic."""
        return self.inbox.receive()

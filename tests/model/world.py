"""The world the model-based test drives: the real handlers on the local stack (moto server
and the sandbox over HTTP), two connections with a few automations each, and the observers
the invariants read (the sandbox's audit, the journal at each platform change, every
alert, every log line, every report).

One moto server serves the whole session; each example resets it and starts its own
sandbox (milliseconds), so examples never see each other's state.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apibrake.incident.records import IncidentMeta, JournalRow
from apibrake.models.connection import Connection
from apibrake.runtime import aws as runtime_aws
from apibrake.store import table_keys
from apibrake.store.items import from_item
from drill.stack import LocalStack
from localaws import LocalAws
from localaws.lambda_context import LocalLambdaContext
from sandbox.audit import Mutation
from sandbox.clock import VirtualClock
from sandbox.faults import Fault, FaultKind
from sandbox.hubspot import HubSpotSettings
from sandbox.server import Sandbox
from tests.model.hang import wall_clock_limit

SF, HS = "sf-1", "hs-1"
PLATFORM = {SF: "salesforce", HS: "hubspot"}
START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
FLOWS = ("Rollup_A", "Rollup_B")  # allowlisted, tier 1 and tier 2
JOB = "Nightly Sync"  # scheduled Apex, allowlisted, tier 1
OUTSIDE_FLOW = "Outside_Flow"  # never allowlisted unless a rule adds it
JOB_CRON = "0 0 2 * * ?"


class Killed(SystemExit):
    """The Lambda process dies here (SystemExit: nothing in the layer may catch it)."""


@dataclass
class AlertSeen:
    at: datetime
    connection_id: str
    kind: str
    severity: str
    text: str


@dataclass
class Observations:
    """What the invariants read, gathered while the rules run."""

    journal_misses: list[str] = field(default_factory=list)  # changes seen before their row
    alerts: list[AlertSeen] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    critical_due: list[tuple[datetime, str]] = field(default_factory=list)  # (at, cid)
    ever_allowlisted: dict[str, set[str]] = field(default_factory=dict)  # cid -> names
    # Connections whose process died after an alert's publish, before its confirmation: the
    # one case where the alert may go out twice (at least once, never none: issue 27).
    died_before_confirming: list[tuple[datetime, str]] = field(default_factory=list)


class _LogTap(logging.Handler):
    """Every record the functions log, with its extra keys, as one line of text."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines = lines
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = json.dumps(record.__dict__, default=str)
        with self._lock_lines:
            self.lines.append(text)


def turns_off(mutation: Mutation) -> bool:
    if mutation.kind == "flow_activation":
        return mutation.after.get("active_version") is None
    if mutation.kind == "workflow_put":
        return mutation.after.get("isEnabled") is False
    return mutation.kind == "job_abort"


def is_change(mutation: Mutation) -> bool:
    """The platform's state changed (a re-sent identical write is no change)."""
    if mutation.kind == "workflow_put":
        return mutation.before.get("isEnabled") != mutation.after.get("isEnabled")
    return mutation.before != mutation.after


class World:
    def __init__(self, local_aws: LocalAws) -> None:
        local_aws.reset()
        self.aws = local_aws
        # The burst window is real time: a generated history fires requests faster than any
        # real fleet; BURST_LIMIT faults still bring 429s when a rule arms them.
        settings = HubSpotSettings(burst_limit=1_000_000)
        self.sandbox = Sandbox(clock=VirtualClock(START), hubspot=settings).start()
        self.stack = LocalStack(
            local_aws, self.sandbox, environment={"POWERTOOLS_METRICS_NAMESPACE": "ApiBrake"}
        )
        self.seen = Observations()
        self._dynamodb = local_aws.client("dynamodb")
        self._state_table = local_aws.table_name("StateTable")
        self._tap = _LogTap(self.seen.logs)
        logging.getLogger("apibrake").addHandler(self._tap)
        self._build_platforms()
        self._watch_platform_changes()
        self.disabled: set[str] = set()
        self._armed_crash: tuple[Any, str, Any] | None = None

    def close(self) -> None:
        logging.getLogger("apibrake").removeHandler(self._tap)
        self.sandbox.stop()
        LocalStack.forget_caches()

    # Setup ---------------------------------------------------------------------------------

    def _build_platforms(self) -> None:
        org, portal = self.sandbox.salesforce, self.sandbox.hubspot
        for name in (*FLOWS, OUTSIDE_FLOW):
            org.add_flow(name, versions=2)
        org.add_scheduled_job(JOB, cron=JOB_CRON, apex_class="RollupJob")
        self.workflows = [portal.add_workflow(f"Workflow {n}")["id"] for n in range(3)]
        self.stack.add_salesforce(SF)
        self.stack.add_hubspot(HS)
        self.allow(SF, f"flow:{FLOWS[0]}", tier=1)
        self.allow(SF, f"flow:{FLOWS[1]}", tier=2)
        self.allow(SF, f"scheduled_apex:{JOB}", tier=1)
        self.allow(HS, f"workflow:{self.workflows[0]}", tier=1)
        self.allow(HS, f"workflow:{self.workflows[1]}", tier=2)
        # self.workflows[2] and OUTSIDE_FLOW start outside the allowlist

    def allow(self, cid: str, automation: str, tier: int = 1) -> None:
        self.stack.allow(cid, automation, tier=tier)
        self.seen.ever_allowlisted.setdefault(cid, set()).add(automation.split(":", 1)[1])

    def disallow(self, cid: str, automation: str) -> None:
        self.stack.allowlist.delete(cid, automation)

    def outside_names(self) -> dict[str, str]:
        """cid -> the automation that starts outside the allowlist."""
        return {SF: OUTSIDE_FLOW, HS: self.workflows[2]}

    def connection(self, cid: str) -> Connection:
        found = self.stack.connections.get(cid)
        assert found is not None, cid
        return found

    def set_enabled(self, cid: str, enabled: bool) -> None:
        connection = self.connection(cid).model_copy(update={"enabled": enabled})
        self.stack.connections.put(connection)
        (self.disabled.discard if enabled else self.disabled.add)(cid)

    # Platform changes and the journal ---------------------------------------------------------

    def _watch_platform_changes(self) -> None:
        """At each change apibrake makes, the journal must already hold the automation's row
        (its prior state before a brake, a pending or settled release before a release)."""
        audit = self.sandbox.audit
        record = audit.record

        def checked(mutation: Mutation) -> None:
            if mutation.actor == "api" and is_change(mutation):
                self._check_journalled(mutation)
            record(mutation)

        audit.record = checked  # type: ignore[method-assign]

    def _check_journalled(self, mutation: Mutation) -> None:
        cid = SF if mutation.platform == "salesforce" else HS
        rows = [row for row in self.journal_rows(cid) if row.name == mutation.target]
        if turns_off(mutation):
            ok = any(row.release is None and _prior_state_kept(row) for row in rows)
        else:
            ok = any(row.release is not None for row in rows)
        if not ok:
            self.seen.journal_misses.append(
                f"{mutation.kind} of {mutation.target} at {mutation.at:%H:%M} "
                f"without its journal row first (rows: {[r.model_dump() for r in rows]})"
            )

    def _state_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self._dynamodb.get_paginator("scan")
        for page in paginator.paginate(TableName=self._state_table, ConsistentRead=True):
            items.extend(from_item(item) for item in page["Items"])
        return items

    def journal_rows(self, cid: str | None = None) -> list[JournalRow]:
        rows = []
        for item in self._state_items():
            if table_keys.is_journal_row(str(item.get("pk", "")), str(item.get("sk", ""))):
                row = JournalRow.model_validate(item)
                if cid is None or row.connection_id == cid:
                    rows.append(row)
        return rows

    def incidents(self) -> list[IncidentMeta]:
        return self.snapshot()[0]

    def snapshot(self) -> tuple[list[IncidentMeta], dict[str, list[JournalRow]]]:
        """Every incident header and its rows, from one consistent scan of the state table."""
        metas: list[IncidentMeta] = []
        rows: dict[str, list[JournalRow]] = {}
        for item in self._state_items():
            pk, sk = str(item.get("pk", "")), str(item.get("sk", ""))
            if table_keys.is_incident_meta(pk, sk):
                metas.append(IncidentMeta.model_validate(item))
            elif table_keys.is_journal_row(pk, sk):
                incident_id = table_keys.incident_id_of(pk)
                rows.setdefault(incident_id, []).append(JournalRow.model_validate(item))
        return metas, {meta.incident_id: rows.get(meta.incident_id, []) for meta in metas}

    def rows_by_incident(self) -> dict[str, list[JournalRow]]:
        return self.snapshot()[1]

    # Time, usage, faults ----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.sandbox.clock.now()

    def advance(self, minutes: int) -> None:
        self.collect_alerts()  # an alert is dated when it was read: before time moves on
        self.sandbox.advance(timedelta(minutes=minutes))

    def platform_of(self, cid: str) -> Any:
        return self.sandbox.salesforce if PLATFORM[cid] == "salesforce" else self.sandbox.hubspot

    def server_of(self, cid: str) -> Any:
        if PLATFORM[cid] == "salesforce":
            return self.sandbox.salesforce_server
        return self.sandbox.hubspot_server

    def percent(self, cid: str) -> float:
        used, limit = self.platform_of(cid).usage()
        return 100.0 * float(used) / float(limit)

    def use_up_to(self, cid: str, percent: int) -> None:
        used, limit = self.platform_of(cid).usage()
        wanted = limit * percent // 100
        if wanted > used:
            self.platform_of(cid).add_usage(wanted - used)

    def arm(self, cid: str, kind: FaultKind, times: int) -> None:
        # A lost answer or timeout holds the request past the client's read timeout (the
        # model's conftest shrinks it to 0.6 s).
        delay = 800 if kind in (FaultKind.APPLIED_LOST, FaultKind.TIMEOUT) else 0
        status = 503 if kind is not FaultKind.HTML_ERROR else 502
        self.server_of(cid).faults.add(Fault(kind=kind, times=times, delay_ms=delay, status=status))

    def clear_faults(self) -> None:
        self.sandbox.salesforce_server.faults.clear()
        self.sandbox.hubspot_server.faults.clear()

    # The functions, as Lambda would run them ---------------------------------------------------

    def _keep(self, report: dict[str, Any]) -> dict[str, Any]:
        self.seen.reports.append(json.dumps(report, default=str))
        return report

    def tick(self) -> dict[str, Any]:
        """One scheduled monitor run, then the auto-brakes it asked for."""
        with wall_clock_limit():
            report = self._keep(self.stack.check())
        for row in report.get("connections", []):
            percent = row.get("percent")
            cid = row.get("connection_id")
            watched = percent is not None and cid in PLATFORM and cid not in self.disabled
            if watched and percent >= self.connection(cid).effective_brake_at:
                self.seen.critical_due.append((self.now(), cid))
        with wall_clock_limit():
            for brake in self.stack.run_auto_brakes():
                self._keep(brake)
        self.collect_alerts()
        return report

    def brake(self, context: Any = None, **fields: Any) -> dict[str, Any]:
        with wall_clock_limit():
            return self._keep(self.stack.brake(context=context, **fields))

    def release(self, incident_id: str, context: Any = None, **fields: Any) -> dict[str, Any]:
        with wall_clock_limit():
            return self._keep(self.stack.release_incident(incident_id, context, **fields))

    def release_recovered(self, context: Any = None) -> dict[str, Any]:
        event = {"action": "release_recovered"}
        with wall_clock_limit():
            return self._keep(self.stack.release(event, context))

    def collect_alerts(self) -> None:
        for alert in self.stack.alerts():
            self.seen.alerts.append(
                AlertSeen(
                    self.now(),
                    alert.attributes.get("connection_id", ""),
                    alert.attributes.get("kind", ""),
                    alert.attributes.get("severity", ""),
                    f"{alert.subject}\n{alert.body}",
                )
            )

    # Cut-off invocations ------------------------------------------------------------------------

    def crash_at(self, aws_call: int, after: bool) -> None:
        """Arms a crash at the `aws_call`-th DynamoDB call of the next invocation (before it is
        sent, or after its answer came): the warm container's client is the one it uses."""
        client = runtime_aws.aws_client("dynamodb")
        calls = 0

        def count(**call: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == aws_call:
                if not after:
                    self._note_unconfirmed_publish(call)
                raise Killed(f"crash {'after' if after else 'before'} AWS call #{aws_call}")

        event = "after-call.dynamodb" if after else "before-call.dynamodb"
        client.meta.events.register(event, count)
        self._armed_crash = (client, event, count)

    def _note_unconfirmed_publish(self, call: dict[str, Any]) -> None:
        body = str(call.get("params", {}).get("body", b""))
        if "REMOVE pending_until" in body:
            cid = next((c for c in PLATFORM if table_keys.alert_pk(c) in body), "")
            self.seen.died_before_confirming.append((self.now(), cid))

    def clear_crash(self) -> None:
        """Disarms a crash the invocation never reached."""
        if self._armed_crash is not None:
            client, event, handler = self._armed_crash
            client.meta.events.unregister(event, handler)
            self._armed_crash = None

    def after_crash(self) -> None:
        """What follows a crash in Lambda: a cold start, and the retry after the dead run's
        time is up (Powertools dates its in-progress record by the wall clock, which the
        virtual clock cannot move: the record is aged here instead)."""
        for app in (self.stack.monitor_app, self.stack.responder_app, self.stack.restore_app):
            app.metrics.clear_metrics()
        self._armed_crash = None  # the dead container's client is gone with it
        LocalStack.forget_caches()
        table = self.aws.table_name("IdempotencyTable")
        for item in self._dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]:
            if item.get("status", {}).get("S") == "INPROGRESS":
                self._dynamodb.update_item(
                    TableName=table,
                    Key={"id": item["id"]},
                    UpdateExpression="SET in_progress_expiration = :past",
                    ExpressionAttributeValues={":past": {"N": "1"}},
                )
        self.advance(1)  # Lambda's async retry comes a minute later at the earliest

    def deadline_after(self, looks: int) -> Any:
        return RunsOutAfter(looks)

    def lambda_context(self, function: str) -> LocalLambdaContext:
        return LocalLambdaContext(self.aws.function_names[function])

    # Secrets -------------------------------------------------------------------------------------

    def secrets(self) -> list[str]:
        sf, hs = self.sandbox.salesforce, self.sandbox.hubspot
        values = [
            sf.settings.client_secret,
            hs.settings.token,
            hs.settings.service_key,
            hs.settings.oauth_client_secret,
            hs.settings.refresh_token,
        ]
        values += list(getattr(sf.sessions, "_issued", {}))
        values += list(getattr(hs.tokens, "_expiry", {}))
        return [value for value in values if value and len(value) >= 8]

    def table_text(self) -> str:
        parts = []
        for logical_id in self.aws.table_names:
            table = self.aws.table_name(logical_id)
            for page in self._dynamodb.get_paginator("scan").paginate(TableName=table):
                parts.append(json.dumps(page["Items"], default=str))
        return "\n".join(parts)


class RunsOutAfter:
    """A Lambda context with time for `looks` looks at the clock, then 5 s left (below the
    layer's margin): the deadline cuts the run at a point of the generator's choosing."""

    def __init__(self, looks: int) -> None:
        self.looks = 0
        self.allowed = looks
        self.function_name = "model"
        self.aws_request_id = "model"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:model"
        self.memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        self.looks += 1
        return 60_000 if self.looks <= self.allowed else 5_000


def _prior_state_kept(row: JournalRow) -> bool:
    """A REST brake reads the prior state into the row before its change. A break-glass
    block (issue 23) prints the prior state and changes it in one Apex transaction, so its
    row is journalled pending with `glass_pending` before the block and gets `before` from
    the block's debug log; an answer lost with that log sends the row to a person."""
    return row.before is not None or row.glass_unanswered

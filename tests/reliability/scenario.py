"""One connection with two allowlisted automations on the local stack, and what the
reliability tests ask of it: run a phase, aim a fault, count requests, check the journal."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from apibrake.incident.records import BrakeState, JournalRow
from apibrake.models.connection import Connection
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from sandbox.http import PlatformServer

SALESFORCE, HUBSPOT = "salesforce", "hubspot"
AUTOMATIONS = 2


@dataclass(frozen=True)
class Target:
    """The request a phase's fault is aimed at, and how often a clean run sends it."""

    path: str  # regex searched in the request path
    method: str
    clean_hits: int


TARGETS = {
    ("watch", SALESFORCE): Target(r"/limits/?$", "GET", 1),
    ("watch", HUBSPOT): Target(r"/api-usage/", "GET", 1),
    ("brake", SALESFORCE): Target(r"/tooling/composite$", "POST", 1),
    ("brake", HUBSPOT): Target(r"/automation/[^/]+/flows/\d+$", "PUT", AUTOMATIONS),
    ("release", SALESFORCE): Target(r"/tooling/composite$", "POST", 1),
    ("release", HUBSPOT): Target(r"/automation/[^/]+/flows/\d+$", "PUT", AUTOMATIONS),
}
# The Salesforce kinds a scenario can allowlist instead of flows, and their change request
# (one PATCH per automation: a setting object per switch, a UserLogin per user).
KIND_TARGETS = {
    "setting": Target(r"/sobjects/[A-Za-z0-9_]+__c/[^/]+$", "PATCH", AUTOMATIONS),
    "user": Target(r"/sobjects/UserLogin/[^/]+$", "PATCH", AUTOMATIONS),
}
API_PATHS = {SALESFORCE: r"/services/data/", HUBSPOT: r"/automation/|/account-info/"}
# Usage that crosses the first warning threshold (70 %) and stays below brake_at (90 %).
WARNING_USAGE = {SALESFORCE: 75_000, HUBSPOT: 190_000}


class RequestLog:
    """Every request one sandbox server saw (method, path), in arrival order."""

    def __init__(self, server: PlatformServer) -> None:
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        take = server.faults.take

        def counting_take(method: str, path: str) -> Fault | None:
            with self._lock:
                self.seen.append((method, path))
            return take(method, path)

        server.faults.take = counting_take  # type: ignore[method-assign]

    def count(self, path: str, method: str | None = None, since: int = 0) -> int:
        return sum(
            1
            for m, p in self.seen[since:]
            if (method is None or m == method) and re.search(path, p)
        )

    def mark(self) -> int:
        return len(self.seen)


class Scenario:
    def __init__(
        self,
        stack: LocalStack,
        platform: str,
        *,
        oauth: bool = False,
        connection_id: str | None = None,
        automations: int = AUTOMATIONS,
        kind: str = "flow",
    ) -> None:
        self.stack = stack
        self.platform = platform
        self.kind = kind if platform == SALESFORCE else "workflow"
        sandbox = stack.sandbox
        if self.kind in KIND_TARGETS:
            self._add_salesforce_kind(connection_id or "sf-prod", automations)
        elif platform == SALESFORCE:
            self.cid = connection_id or "sf-prod"
            prefix = self.cid.replace("-", "_")
            self.names = [f"{prefix}_Flow_{n}" for n in range(automations)]
            for name in self.names:
                sandbox.salesforce.add_flow(name, versions=2)
            stack.add_salesforce(self.cid)
            stack.allow(self.cid, *(f"flow:{name}" for name in self.names))
            self.server = sandbox.salesforce_server
        else:
            self.names = [
                sandbox.hubspot.add_workflow(f"Workflow {n}")["id"] for n in range(automations)
            ]
            self.cid = connection_id or "hs-main"
            if oauth:
                self._add_hubspot_oauth()
            else:
                stack.add_hubspot(self.cid)
            stack.allow(self.cid, *(f"workflow:{name}" for name in self.names))
            self.server = sandbox.hubspot_server
        self.requests = RequestLog(self.server) if connection_id is None else None

    def _add_salesforce_kind(self, cid: str, automations: int) -> None:
        """Kill switches (one setting object each, org default false) or integration users."""
        org = self.stack.sandbox.salesforce
        self.cid = cid
        prefix = cid.replace("-", "_")
        if self.kind == "setting":
            self.names = [f"{prefix}_Switch{n}__c.Disable__c" for n in range(automations)]
            for name in self.names:
                org.switches.add_setting(name.partition(".")[0], {"Disable__c": False})
        else:
            self.names = [f"{prefix}-etl{n}@acme.com" for n in range(automations)]
            for name in self.names:
                org.switches.add_integration_user(name, calls_per_hour=100)
        self.stack.add_salesforce(self.cid)
        self.stack.allow(self.cid, *(f"{self.kind}:{name}" for name in self.names), tier=self.tier)
        self.server = self.stack.sandbox.salesforce_server

    @property
    def tier(self) -> int:
        """The brake tier that reaches the scenario's entries: a user entry is tier 2."""
        return 2 if self.kind == "user" else 1

    def target(self, phase: str) -> Target:
        """The request this scenario's `phase` is aimed at."""
        if phase != "watch" and self.kind in KIND_TARGETS:
            return KIND_TARGETS[self.kind]
        return TARGETS[(phase, self.platform)]

    def _add_hubspot_oauth(self) -> None:
        settings = self.stack.sandbox.hubspot.settings
        secret_id = f"apibrake/{self.cid}"
        self.stack.aws.create_secret(
            secret_id,
            {
                "auth": "oauth_refresh",
                "base_url": self.stack.sandbox.hubspot_url,
                "client_id": settings.oauth_client_id,
                "client_secret": settings.oauth_client_secret,
                "refresh_token": settings.refresh_token,
            },
        )
        self.stack.connections.put(
            Connection(connection_id=self.cid, platform="hubspot", secret_id=secret_id)
        )

    # The platform's state ------------------------------------------------------------------

    def is_on(self, name: str) -> bool:
        switches = self.stack.sandbox.salesforce.switches
        if self.kind == "setting":
            return switches.org_default(name) is not True
        if self.kind == "user":
            return not switches.user(name).frozen
        if self.platform == SALESFORCE:
            return self.stack.sandbox.salesforce.flow(name).active_version is not None
        return self.stack.sandbox.hubspot.workflow(name)["isEnabled"] is True

    def states(self) -> dict[str, bool]:
        return {name: self.is_on(name) for name in self.names}

    def use_calls(self, calls: int) -> None:
        getattr(self.stack.sandbox, self.platform).add_usage(calls)

    def mutations(self) -> list[Any]:
        """The changes our calls made to this scenario's automations."""
        objects = {name.partition(".")[0] for name in self.names}
        return [
            m
            for m in self.stack.sandbox.audit.entries(self.platform)
            if m.actor == "api"
            and (m.target in self.names or m.target.partition(":")[0] in objects)
        ]

    # Faults --------------------------------------------------------------------------------

    def aim(self, phase: str, kind: FaultKind, *, times: int | None = 1, **extra: Any) -> Fault:
        target = self.target(phase)
        fault = Fault(kind=kind, path=target.path, method=target.method, times=times, **extra)
        return self.server.faults.add(fault)

    def refuse_everything(self, kind: FaultKind = FaultKind.DAILY_LIMIT) -> Fault:
        return self.server.faults.add(Fault(kind=kind, path=API_PATHS[self.platform], times=None))

    def clear_faults(self) -> None:
        self.server.faults.clear()

    # Phases --------------------------------------------------------------------------------

    def watch(self) -> dict[str, Any]:
        report = self.stack.check({"connection_ids": [self.cid]})
        (row,) = report["connections"]
        return dict(row)

    def brake(self, **fields: Any) -> dict[str, Any]:
        return self.stack.brake(connection_id=self.cid, **{"tier": self.tier, **fields})

    def braked(self) -> str:
        """A clean brake of everything; returns the incident id."""
        report = self.brake()
        assert statuses(report) == dict.fromkeys(self.names, "braked"), report
        return str(report["incident_id"])

    def release(self, incident_id: str) -> dict[str, Any]:
        return self.stack.release_incident(incident_id, force=True)

    def later(self, minutes: float) -> None:
        """Time passes (past the release idempotency window, a lease, ...)."""
        self.stack.sandbox.advance(timedelta(minutes=minutes))

    # The journal ---------------------------------------------------------------------------

    def journal(self, incident_id: str) -> dict[str, JournalRow]:
        return {row.name: row for row in self.stack.journal.rows(incident_id)}

    def assert_journal_matches_platform(self, incident_id: str) -> None:
        """Every allowlisted automation has exactly one row, none left pending, and each
        row's state is what the platform shows."""
        rows = self.journal(incident_id)
        assert set(rows) == set(self.names)
        for name, row in rows.items():
            assert row.brake is not BrakeState.PENDING, (name, row)
            released = row.release is not None and row.release.value == "released"
            if released:
                assert self.is_on(name), (name, row)
            elif row.brake is BrakeState.BRAKED:
                assert not self.is_on(name), (name, row)
            else:
                assert self.is_on(name), (name, row)  # failed/needs_human: left as it was


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["status"] for row in report["rows"]}


def errors_text(report: dict[str, Any]) -> str:
    parts = [str(e.get("error")) for e in report.get("errors", [])]
    parts += [str(row.get("error")) for row in report.get("rows", []) if row.get("error")]
    return " | ".join(parts)

"""A LocalStack that keeps every report and alert, and what the automations looked like
just before the first brake (to tell whether the release put them back exactly).

What it keeps is a plain `Recording`, so the scorer's measures can be unit-tested on
recordings built by hand."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drill.stack import LocalStack
from localaws import LocalAws, ReceivedAlert
from sandbox.server import Sandbox


@dataclass(frozen=True)
class Recorded:
    at: datetime
    report: dict[str, Any]
    # A release's: the automations right after it (a later brake may change them again).
    state_after: dict[str, Any] | None = None


@dataclass
class Recording:
    """Every monitor, brake and release report, and every alert, with its simulated time."""

    checks: list[Recorded] = field(default_factory=list)
    brakes: list[Recorded] = field(default_factory=list)
    releases: list[Recorded] = field(default_factory=list)
    received: list[Recorded] = field(default_factory=list)  # alerts
    state_before_brake: dict[str, Any] | None = None


def automation_state(sandbox: Sandbox) -> dict[str, Any]:
    """What brake and release may change (kill switches and user freezes included), minus
    what the platform renumbers on its own (a rescheduled job's ids, a workflow's revision
    and update time)."""
    sf, hs = sandbox.salesforce, sandbox.hubspot
    with sf.lock:
        flows = {name: flow.active_version for name, flow in sf.records.flows.items()}
        jobs = {
            job.name: (job.cron_expression, job.apex_class.name, job.time_zone)
            for job in sf.records.jobs.values()
        }
        switches = {
            f"{setting.name}.{name}": sf.switches.org_default(f"{setting.name}.{name}")
            for setting in sf.records.settings.values()
            if setting.hierarchy
            for name in setting.fields
        }
        frozen = {user.username: user.frozen for user in sf.records.users.values()}
    ignored = ("revisionId", "updatedAt")
    workflows = {
        flow["id"]: {key: value for key, value in flow.items() if key not in ignored}
        for flow in hs.workflows()
    }
    return {
        "flows": flows,
        "jobs": jobs,
        "workflows": workflows,
        "switches": switches,
        "frozen": frozen,
    }


class RecordingStack(LocalStack):
    def __init__(
        self,
        aws: LocalAws,
        sandbox: Sandbox,
        environment: Mapping[str, str] | None = None,
        before_brake: Callable[[LocalStack], None] | None = None,
    ) -> None:
        super().__init__(aws, sandbox, environment=environment)
        self.recording = Recording()
        self._before_brake = before_brake

    def _now(self) -> datetime:
        return self.sandbox.clock.now()

    def check(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        report = super().check(event)
        self.recording.checks.append(Recorded(self._now(), report))
        return report

    def brake(
        self, event: Mapping[str, Any] | None = None, context: Any = None, **fields: Any
    ) -> dict[str, Any]:
        if self.recording.state_before_brake is None:
            self.recording.state_before_brake = automation_state(self.sandbox)
        if self._before_brake is not None:
            self._before_brake(self)
        report = super().brake(event, context, **fields)
        self.recording.brakes.append(Recorded(self._now(), report))
        return report

    def release(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        report = super().release(event, context)
        self.recording.releases.append(
            Recorded(self._now(), report, state_after=automation_state(self.sandbox))
        )
        return report

    def alerts(self) -> list[ReceivedAlert]:
        alerts = super().alerts()
        for alert in alerts:
            self.recording.received.append(
                Recorded(
                    self._now(),
                    {
                        "subject": alert.subject or "",
                        "body": alert.body,
                        "severity": alert.attributes.get("severity", ""),
                        "connection_id": alert.attributes.get("connection_id", ""),
                    },
                )
            )
        return alerts

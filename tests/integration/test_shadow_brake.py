"""Shadow mode over the wire (auto_brake: shadow): where the automatic brake would start, the
brake is planned from the real inventory, journalled as a shadow incident and told once per
window as "would have braked"; nothing on the platform changes, no incident is opened, and a
real brake afterwards is not held up by the shadow.

moto server (LocalAws) + the sandbox over HTTP; time is the sandbox's virtual clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from drill.stack import LocalStack
from sandbox import scenarios
from sandbox.faults import Fault
from sandbox.http import PlatformServer, Request, Response
from tests.integration.brake_support import api_mutations, statuses

TOKEN_PATHS = ("/services/oauth2/token", "/oauth/v1/token", "/oauth/2026-03/token")


def _is_write(request: Request) -> bool:
    """Whether a request could change something on the platform."""
    if "executeAnonymous" in request.path:
        return True  # anonymous Apex runs by GET
    if request.method == "GET" or request.path in TOKEN_PATHS:
        return False
    if request.method == "POST" and request.path.endswith("/batch/read"):
        return False  # HubSpot's batch reads are POSTs
    if request.path.endswith("/composite") and "/tooling/" not in request.path:
        # The REST composite of queries the reads use: a write only if a subrequest is one.
        return any(sub["method"] != "GET" for sub in request.json()["compositeRequest"])
    return True


@dataclass
class RequestLog:
    """Every request a platform server answered."""

    seen: list[Request] = field(default_factory=list)

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of the requests that could change something."""
        return [(r.method, r.path) for r in self.seen if _is_write(r)]


def _recording(server: PlatformServer) -> Iterator[RequestLog]:
    log = RequestLog()
    respond = server.respond

    def logged(request: Request) -> Response | Fault:
        log.seen.append(request)
        return respond(request)

    server.respond = logged  # type: ignore[method-assign]
    yield log
    server.respond = respond  # type: ignore[method-assign]


@pytest.fixture
def salesforce_requests(stack: LocalStack) -> Iterator[RequestLog]:
    yield from _recording(stack.sandbox.salesforce_server)


@pytest.fixture
def hubspot_requests(stack: LocalStack) -> Iterator[RequestLog]:
    yield from _recording(stack.sandbox.hubspot_server)


def row_of(report: dict[str, Any], connection_id: str) -> dict[str, Any]:
    return next(r for r in report["connections"] if r["connection_id"] == connection_id)


def shadow_org(stack: LocalStack) -> None:
    """An org in shadow mode: two running automations and one already off, allowlisted."""
    org = stack.sandbox.salesforce
    org.add_flow("Account_Rollup", versions=2)
    org.add_flow("Old_Import", versions=1, active_version=None)
    org.add_scheduled_job("Nightly Sync", cron="0 0 2 * * ?", apex_class="NightlySync")
    stack.add_salesforce(auto_brake="shadow")
    stack.allow("sf-prod", "flow:Account_Rollup", "flow:Old_Import", "scheduled_apex:Nightly Sync")


def test_crossing_brake_at_in_shadow_plans_journals_and_alerts_once(
    stack: LocalStack, salesforce_requests: RequestLog
) -> None:
    # Given an org in shadow mode that jumps over brake_at
    shadow_org(stack)
    stack.sandbox.salesforce.add_usage(91_000)
    # When the monitor checks and the plan it asked for runs
    row = row_of(stack.check(), "sf-prod")
    (planned,) = stack.run_auto_brakes()
    # Then the threshold alerts went out as always, no brake was started, the plan was asked
    assert row["alerts_sent"] == ["warn:70", "warn:80", "brake:90"]
    assert row["auto_brake_triggered"] is False
    assert row["shadow_brake_started"] is True
    (event,) = stack.invoker.events
    assert (event.shadow, event.dry_run, event.tier) == (True, True, 1)
    assert event.reason == "shadow mode: usage 91.0% reached brake_at 90%: would have braked"
    # and the plan read the real inventory: what it would have braked, with before-states
    assert planned["dry_run"] is True
    assert statuses(planned) == {
        "Account_Rollup": "would_brake",
        "Old_Import": "already_off",
        "Nightly Sync": "would_brake",
    }
    shadow_id = planned["incident_id"]
    assert shadow_id.startswith("sf-prod-shadow-")
    # and exactly one shadow incident holds it, apart from any real one
    (meta,) = stack.journal.incidents()
    assert (meta.incident_id, meta.status, meta.is_shadow) == (shadow_id, "shadow", True)
    journalled = {r.name: r for r in stack.journal.rows(shadow_id)}
    assert journalled["Account_Rollup"].brake.value == "would_brake"
    assert journalled["Account_Rollup"].before is not None
    assert journalled["Account_Rollup"].before["active_version"] == 2
    assert journalled["Nightly Sync"].brake.value == "would_brake"
    assert journalled["Old_Import"].brake.value == "already_off"
    assert stack.journal.open_incident_id("sf-prod") is None
    # and two messages: the threshold's (saying nothing was braked) and the shadow's warning
    alerts = {a.attributes["kind"]: a for a in stack.alerts()}
    assert set(alerts) == {"brake_threshold", "shadow_brake"}
    assert "shadow mode for this connection: nothing was braked" in alerts["brake_threshold"].body
    shadow = alerts["shadow_brake"]
    assert shadow.attributes["severity"] == "warning"
    assert shadow.subject == (
        "[apibrake] WARNING sf-prod: shadow: would have braked 2 automations, nothing changed"
    )
    assert "Nothing was changed on Salesforce" in shadow.body
    listed = {line.split(", before: ")[0]: line for line in shadow.body.splitlines()}
    assert "active_version=2" in listed["  - flow:Account_Rollup"]
    assert "cron=0 0 2 * * ?" in listed["  - scheduled_apex:Nightly Sync"]
    assert "already_off  flow:Old_Import" in shadow.body
    assert shadow_id in shadow.body
    # and nothing on the platform changed: no write request reached the sandbox
    assert salesforce_requests.writes() == []
    assert api_mutations(stack.sandbox) == []
    assert stack.sandbox.salesforce.flow("Account_Rollup").active_version == 2
    job = stack.sandbox.salesforce.job("Nightly Sync")
    assert job is not None
    assert job.state == "WAITING"

    # When the next check comes in the same window, usage still over brake_at
    stack.sandbox.advance(timedelta(minutes=5))
    again = row_of(stack.check(), "sf-prod")
    # Then no second plan, no second shadow incident, no second alert
    assert again["shadow_brake_started"] is False
    assert stack.run_auto_brakes() == []
    assert len(stack.invoker.events) == 1
    assert [m.incident_id for m in stack.journal.incidents()] == [shadow_id]
    assert stack.alerts() == []
    assert salesforce_requests.writes() == []


def test_a_shadow_incident_is_never_released_and_never_blocks_a_real_brake(
    stack: LocalStack,
) -> None:
    # Given a shadow incident
    shadow_org(stack)
    stack.sandbox.salesforce.add_usage(91_000)
    stack.check()
    (planned,) = stack.run_auto_brakes()
    shadow_id = planned["incident_id"]
    # When a person asks to release it, and the scheduled release runs
    refused = stack.release_incident(shadow_id, force=True)
    scheduled = stack.release_recovered()
    # Then neither touches it: there is nothing to put back
    assert [e["code"] for e in refused["errors"]] == ["invalid"]
    assert "shadow incident" in refused["errors"][0]["error"]
    assert scheduled["rows"] == []
    assert stack.journal.meta(shadow_id).status == "shadow"  # type: ignore[union-attr]
    # When a person brakes by hand in the same hour
    real = stack.brake(connection_id="sf-prod", reason="by hand")
    # Then the real brake runs in its own incident, as if the shadow were not there
    assert statuses(real)["Account_Rollup"] == "braked"
    assert real["incident_id"] != shadow_id
    assert stack.journal.open_incident_id("sf-prod") == real["incident_id"]
    assert stack.sandbox.salesforce.flow("Account_Rollup").active_version is None


def test_shadow_brake_ahead_plans_where_the_real_one_would_start(
    stack: LocalStack, hubspot_requests: RequestLog
) -> None:
    # Given a portal in shadow mode at 88 % whose workflow starts burning 60,000 calls/hour
    scenarios.hubspot_spike(stack.sandbox)
    portal = stack.sandbox.hubspot
    portal.set_background_rate(0)
    portal.set_workflow_rate("3001", 0)
    portal.add_usage(220_000)
    stack.add_hubspot(auto_brake="shadow")
    stack.allow("hs-main", "workflow:3001")
    stack.tick()
    portal.set_workflow_rate("3001", 60_000)
    rows: list[dict[str, Any]] = []
    # When the schedule ticks every minute until the plan is asked for
    while not stack.invoker.events and len(rows) < 10:
        stack.sandbox.advance(timedelta(minutes=1))
        rows.append(row_of(stack.tick(), "hs-main"))
    planned = stack.run_auto_brakes()
    # Then it was asked for below the threshold, where brake_ahead would have braked
    assert rows[-1]["shadow_brake_started"] is True
    assert rows[-1]["used"] < 225_000
    (event,) = stack.invoker.events
    assert event.shadow
    assert "would have braked ahead" in event.reason
    assert statuses(planned[0]) == {"3001": "would_brake"}
    # and no critical alert claims a brake that did not happen; the shadow warns
    kinds = {a.attributes["kind"]: a.attributes["severity"] for a in stack.alerts()}
    assert kinds.get("shadow_brake") == "warning"
    assert "brake_threshold" not in kinds
    # and the workflow still runs: nothing but reads reached the portal
    assert portal.workflow("3001")["isEnabled"] is True
    assert hubspot_requests.writes() == []

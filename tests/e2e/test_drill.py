"""The rehearsal end to end: the real handlers, on their schedule, against the sandbox.

A short runaway-rollups drill: it starts late in the HubSpot portal's day with both
platforms already near the brake threshold, and with the Salesforce org's earlier calls
about to age out of its rolling 24 hours, so warning, brake and release (both the
Salesforce hysteresis and the HubSpot reset) all happen within a few simulated hours.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drill.engine import DrillOptions, DrillResult, run_drill
from drill.report import scenario_thresholds, write_report
from drill.scenarios import RUNAWAY_ROLLUPS
from drill.stack import LocalStack
from sandbox import scenarios as sandbox_scenarios
from sandbox.salesforce.connector import HUBSPOT_USERNAME
from sandbox.server import Sandbox

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 20:00 in New York; the portal resets at 05:00
HOURS = 4.5
QUIET = {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}


def _near_the_brake(sandbox: Sandbox) -> None:
    sandbox_scenarios.runaway_rollups(sandbox)
    # 86 % used, made 22 hours ago by the connector syncing yesterday's rollups: it ages out
    # of the org's rolling day two hours in.
    connector = sandbox.salesforce.connector.caller("Account", write=False)
    sandbox.salesforce.add_usage(
        86_000, at=sandbox.clock.now() - timedelta(hours=22), caller=connector
    )
    sandbox.hubspot.add_usage(205_000)  # 82 % of the portal's day


SHORT_DRILL = replace(
    RUNAWAY_ROLLUPS,
    platform_state=_near_the_brake,
    starting_usage={},
    hours=HOURS,
)


def _automations(sandbox: Sandbox) -> dict[str, Any]:
    """Everything the brake may touch, minus what the platforms renew on every change."""
    org, portal = sandbox.salesforce.records, sandbox.hubspot
    return {
        "flows": {name: flow.active_version for name, flow in org.flows.items()},
        "jobs": {
            name: (job.cron_expression, job.apex_class.name, job.time_zone, job.state)
            for name, job in org.jobs.items()
        },
        "workflows": {
            flow_id: {k: v for k, v in flow.items() if k not in ("revisionId", "updatedAt")}
            for flow_id, flow in portal.flows.items()
        },
    }


class _Observer:
    """Keeps the stack the drill built and the automations as they were before any check."""

    def __init__(self) -> None:
        self.stack: LocalStack | None = None
        self.before: dict[str, Any] | None = None

    def __call__(self, stack: LocalStack) -> None:
        if self.stack is None:
            self.stack = stack
            self.before = copy.deepcopy(_automations(stack.sandbox))


@pytest.fixture(scope="module")
def drill() -> tuple[DrillResult, _Observer]:
    observer = _Observer()
    result = run_drill(
        SHORT_DRILL, DrillOptions(), environment=QUIET, start=START, on_tick=observer
    )
    return result, observer


def _first(result: DrillResult, kind: str, severity: str | None = None) -> datetime:
    return min(
        event.at
        for event in result.events
        if event.kind == kind and (severity is None or event.severity == severity)
    )


def test_warnings_come_before_the_critical_alert_and_the_brake(
    drill: tuple[DrillResult, _Observer],
) -> None:
    result, _ = drill
    assert _first(result, "alert", "warning") < _first(result, "alert", "critical")
    assert _first(result, "brake") <= _first(result, "alert", "critical")
    assert {e.connection_id for e in result.events if e.severity == "critical"} == {
        "sf-prod",
        "hs-portal",
    }


def test_the_brake_lands_before_any_call_is_refused(
    drill: tuple[DrillResult, _Observer],
) -> None:
    result, observer = drill
    assert observer.stack is not None
    sandbox = observer.stack.sandbox
    for server in (sandbox.salesforce_server, sandbox.hubspot_server):
        refused = {s: n for s, n in server.responses_by_status.items() if s in (403, 429)}
        assert refused == {}
    peak = max(sample.percent for sample in result.samples)
    assert peak < 100
    braked = [row for report in result.brake_reports for row in report["rows"]]
    assert {row["status"] for row in braked} == {"braked"}
    assert len(braked) == 6


def test_every_braked_automation_is_released_exactly_or_held_as_an_unchanged_driver(
    drill: tuple[DrillResult, _Observer],
) -> None:
    """The collateral comes back exactly; the four rollups attribution named as drivers are
    unchanged since the brake, so the release holds them (switched off) for a person to fix
    rather than restarting the fire (issue 25)."""
    result, observer = drill
    assert observer.stack is not None

    def rows(reports: list[dict[str, Any]], status: str) -> set[tuple[str, str, str]]:
        return {
            (row["connection_id"], row["kind"], row["name"])
            for report in reports
            for row in report["rows"]
            if row["status"] == status
        }

    braked = rows(result.brake_reports, "braked")
    released = rows(result.release_reports, "released")
    held = rows(result.release_reports, "held") - released
    rollups = {
        ("sf-prod", "flow", f"{name}_Rollup_Hourly")
        for name in ("Account", "Opportunity", "Contact", "Case")
    }
    assert held == rollups
    assert released == braked - rollups
    now, before = _automations(observer.stack.sandbox), observer.before
    assert before is not None
    assert {name: version for name, version in now["flows"].items() if version} == {
        name: version
        for name, version in before["flows"].items()
        if ("sf-prod", "flow", name) not in rollups
    }
    assert {k: v for k, v in now.items() if k != "flows"} == {
        k: v for k, v in before.items() if k != "flows"
    }


def test_the_report_holds_a_chart_and_a_summary_naming_every_braked_automation(
    drill: tuple[DrillResult, _Observer], tmp_path: Path
) -> None:
    result, _ = drill
    folder = write_report(result, tmp_path / "report", scenario_thresholds(SHORT_DRILL))
    chart = (folder / "usage.png").read_bytes()
    assert chart.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(chart) > 20_000
    summary = (folder / "summary.md").read_text()
    for report in result.brake_reports:
        for row in report["rows"]:
            assert f"{row['connection_id']} {row['kind']}:{row['name']}" in summary
    raw = json.loads((folder / "result.json").read_text())
    assert len(raw["samples"]) == len(result.samples)


def test_each_critical_alert_carries_its_whole_email_and_its_sms(
    drill: tuple[DrillResult, _Observer],
) -> None:
    result, _ = drill
    critical = [e for e in result.events if e.kind == "alert" and e.severity == "critical"]

    assert critical
    for event in critical:
        assert event.connection_id in event.email
        assert "Usage:" in event.email
        assert event.sms.startswith(f"apibrake CRITICAL {event.connection_id}")
        assert len(event.sms) <= 160  # one SMS segment


def test_the_seed_s_critical_alert_names_the_connector_as_consumer_and_the_flows_as_drivers(
    drill: tuple[DrillResult, _Observer],
) -> None:
    """The seed's case (docs/platform-notes.md S6): the HubSpot connector spends the calls
    (yesterday's daily file ranks it), the rollup flows feed it; it is kept running."""
    result, _ = drill
    alert = next(
        e for e in result.events if e.severity == "critical" and e.connection_id == "sf-prod"
    )

    consumer = next(line for line in alert.email.splitlines() if "Consumer:" in line)
    assert f"HubSpot connector ({HUBSPOT_USERNAME})" in consumer
    assert "keep it running; stop what feeds it" in consumer
    drivers = alert.email.split("Drivers (what changed the records it reads):", 1)[1]
    assert "flow Account_Rollup_Hourly" in drivers
    assert "on the allowlist: the brake stops it" in drivers


def test_alerts_name_the_hubspot_workflow_beside_its_id(
    drill: tuple[DrillResult, _Observer],
) -> None:
    """Names, not ids (issue 25 item 3): the drill allowlists the workflow as `allowlist
    add` stores it, with the name its check read."""
    result, _ = drill
    emails = [
        e.email for e in result.events if e.kind == "alert" and e.connection_id == "hs-portal"
    ]

    assert any("  - workflow:2001 (Chatty contact enrichment) (tier 1)" in e for e in emails)
    assert not any("  - workflow:2001 (tier 1)" in e for e in emails)

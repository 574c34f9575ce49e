"""Alert wording: subject, figures, brake scope, commands; short SMS; no secrets."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime, timedelta

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.publisher import Severity
from apibrake.warn.rules import connection_error_alert, exhausted_alert, usage_alerts
from tests.unit.warn.alert_kinds import outlook

SF = Connection(
    connection_id="sf-prod",
    platform="salesforce",
    secret_id="apibrake/sf",
    label="Salesforce production",
)
HS = Connection(connection_id="hs-main", platform="hubspot", secret_id="apibrake/hs")
ALLOWLIST = [
    AllowlistEntry(
        connection_id="sf-prod", automation="flow:Account_Rollup", note="hourly, safe to pause"
    ),
    AllowlistEntry(connection_id="sf-prod", automation="scheduled_apex:Nightly Sync", tier=2),
]
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_warning_alert_reads_well_and_carries_the_commands() -> None:
    due = usage_alerts(SF, outlook(80), horizon_minutes=60)[-1]
    alert = compose(
        SF,
        due,
        AlertContext(
            forecast=outlook(80),
            allowlist=ALLOWLIST,
            incident_function_name="apibrake-Responder",
            stack_name="apibrake",
            region="eu-west-1",
        ),
    )
    assert alert.severity is Severity.WARNING
    assert alert.subject.startswith("[apibrake] WARNING sf-prod: 80% of daily API limit used")
    body = alert.body
    assert "Usage: 12,000 of 15,000 calls (80.0%), 3,000 remaining." in body
    assert "Rate: 1,200 calls/hour" in body
    assert "brake threshold 90% in 45 min; limit exhausted in 2 h" in body
    assert "rolling 24 hours" in body
    assert "flow:Account_Rollup (tier 1) - hourly, safe to pause" in body
    assert "scheduled_apex:Nightly Sync (tier 2)" in body
    # The runbook's command first, aimed at the deployed stack and region, as copied
    first = next(line.strip() for line in body.splitlines() if line.strip().startswith("apibrake"))
    assert shlex.split(first) == [
        "apibrake", "brake", "--connection", "sf-prod", "--dry-run", "--reason",
        "apibrake alert", "--stack", "apibrake", "--region", "eu-west-1",
    ]  # fmt: skip
    # then the raw invoke, for a machine without apibrake, with its region
    command = next(line.strip() for line in body.splitlines() if '"dry_run":true' in line)
    assert body.index(first) < body.index(command)
    argv = shlex.split(command)
    assert argv[:4] == ["aws", "lambda", "invoke", "--function-name"]
    assert argv[4:7] == ["apibrake-Responder", "--region", "eu-west-1"]
    payload = json.loads(argv[argv.index("--payload") + 1])
    assert payload == {"action": "brake", "connection_id": "sf-prod", "dry_run": True}
    assert len(alert.sms) <= 160


def test_hubspot_reset_is_named() -> None:
    resets = NOW + timedelta(hours=5)
    due = usage_alerts(HS, outlook(72, resets_at=resets), horizon_minutes=60)[-1]
    alert = compose(HS, due, AlertContext(forecast=outlook(72, resets_at=resets)))
    assert "Reset: 2026-11-02 17:00 UTC (in 5 h)." in alert.body


def test_exhausted_says_api_braking_is_impossible_and_names_the_automations() -> None:
    alert = compose(
        SF,
        exhausted_alert(),
        AlertContext(error="TotalRequests Limit exceeded.", allowlist=ALLOWLIST),
    )
    assert alert.severity is Severity.CRITICAL
    assert alert.kind == "limit_exhausted"
    assert "API-based braking is no longer possible on Salesforce" in alert.body
    assert "A human must act in the Salesforce UI" in alert.body
    assert "flow:Account_Rollup" in alert.body
    assert "Nightly Sync" in alert.sms
    assert "aws lambda invoke" not in alert.body  # a command that cannot work is not offered


def test_connection_error_alert_has_the_error() -> None:
    due = connection_error_alert("AuthenticationFailed")
    alert = compose(HS, due, AlertContext(error="hubspot: token refused (HTTP 401)"))
    assert alert.kind == "connection_error"
    assert "token refused" in alert.body
    assert alert.subject == "[apibrake] WARNING hs-main: usage check failing"
    assert len(alert.sms) <= 160

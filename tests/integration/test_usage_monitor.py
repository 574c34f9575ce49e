"""usage_monitor over the wire: moto server (LocalAws) + the sandbox over HTTP.

Time is the sandbox's virtual clock, handed to the handler; alerts are read back from
the SNS topic through an SQS inbox.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from apibrake.watch import log_fields
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from sandbox.hubspot.settings import HubSpotSettings
from sandbox.server import Sandbox

app = importlib.import_module("functions.usage_monitor.app")


def row_of(report: dict[str, Any], connection_id: str) -> dict[str, Any]:
    return next(r for r in report["connections"] if r["connection_id"] == connection_id)


def tick(stack: LocalStack, minutes: float) -> None:
    stack.sandbox.advance(timedelta(minutes=minutes))


# Readings and forecasts -------------------------------------------------------------------


def test_salesforce_reading_and_forecast(stack: LocalStack) -> None:
    # Given an org at 50 % of 100,000 burning 6,000 calls an hour
    stack.add_salesforce()
    stack.sandbox.salesforce.add_usage(50_000)
    stack.sandbox.salesforce.set_background_rate(6_000)
    # When the monitor checks twice, 10 minutes apart
    first = row_of(stack.check(), "sf-prod")
    tick(stack, 10)
    second = row_of(stack.check(), "sf-prod")
    # Then it read usage with one /limits call each time and forecast from the rate
    assert first["api_calls"] == 1
    assert second["api_calls"] == 1
    assert first["burn_rate_per_hour"] is None
    used = second["used"]
    assert 51_000 <= used <= 51_010  # 1,000 burnt + our own calls
    assert second["limit"] == 100_000
    assert second["burn_rate_per_hour"] == pytest.approx(6_000, rel=0.01)
    # (90,000 - used) calls at ~100 a minute
    assert second["minutes_to_brake"] == pytest.approx((90_000 - used) / 100, rel=0.02)
    assert second["minutes_to_exhaustion"] == pytest.approx((100_000 - used) / 100, rel=0.02)
    assert second["resets_at"] is None
    assert second["header_reading"]["limit"] == 100_000  # Sforce-Limit-Info captured
    readings = stack.state.readings_since("sf-prod", stack.sandbox.clock.now() - timedelta(hours=1))
    assert {r.source.value for r in readings} == {"limits", "headers"}


def test_hubspot_reading_forecast_and_headers(stack: LocalStack) -> None:
    # Given a portal (limit 250,000) at 40 % burning 12,000 calls an hour
    stack.add_hubspot()
    stack.sandbox.hubspot.add_usage(100_000)
    stack.sandbox.hubspot.set_background_rate(12_000)
    stack.check()
    tick(stack, 15)
    row = row_of(stack.check(), "hs-main")
    # Then: one usage call, HubSpot's reset, a rate, and the daily headers captured
    assert row["api_calls"] == 1
    assert row["limit"] == 250_000
    assert row["burn_rate_per_hour"] == pytest.approx(12_000, rel=0.01)
    assert row["resets_at"] == "2026-11-03T05:00:00Z"  # midnight in New York (EST)
    # 06:15 UTC now; brake at 225,000 is ~10 h away, before the reset 22 h 45 min away
    assert row["minutes_to_brake"] == pytest.approx((225_000 - row["used"]) / 200, rel=0.02)
    assert row["header_reading"] == {"used": row["header_reading"]["used"], "limit": 250_000}
    assert row["header_reading"]["used"] >= row["used"]


def test_hubspot_forecast_ignores_a_breach_after_the_reset(stack: LocalStack) -> None:
    # Given 23:00 in New York (04:00 UTC), an hour before HubSpot's reset
    stack.sandbox.clock.set(stack.sandbox.clock.now() + timedelta(hours=22))
    stack.add_hubspot()
    stack.sandbox.hubspot.add_usage(100_000)
    stack.sandbox.hubspot.set_background_rate(6_000)  # 125,000 calls to brake: ~21 h
    stack.check()
    tick(stack, 10)
    row = row_of(stack.check(), "hs-main")
    # Then the brake threshold is not forecast: the day resets long before
    assert row["burn_rate_per_hour"] == pytest.approx(6_000, rel=0.01)
    assert row["minutes_to_brake"] is None
    assert row["minutes_to_exhaustion"] is None
    assert row["alerts_sent"] == []


# Thresholds, windows, concurrency ---------------------------------------------------------


def test_each_salesforce_threshold_alerts_once_per_rolling_day(stack: LocalStack) -> None:
    stack.add_salesforce(warn_at=[70, 80], brake_at=90, auto_brake=False)
    org = stack.sandbox.salesforce
    org.add_usage(70_000)
    assert row_of(stack.check(), "sf-prod")["alerts_sent"] == ["warn:70"]
    (first,) = stack.alerts()
    assert first.attributes == {
        "severity": "warning",
        "connection_id": "sf-prod",
        "platform": "salesforce",
        "kind": "threshold",
    }
    assert first.subject == "[apibrake] WARNING sf-prod: 70% of daily API limit used"
    assert "Usage: 70,001 of 100,000 calls" in first.body  # the email/default text
    tick(stack, 5)
    assert row_of(stack.check(), "sf-prod")["alerts_sent"] == []
    org.add_usage(10_000)
    tick(stack, 5)
    # A 10,000-call jump in 5 minutes also forecasts the brake: one message, the warning.
    assert row_of(stack.check(), "sf-prod")["alerts_sent"] == ["forecast:90", "warn:80"]
    assert [a.attributes["kind"] for a in stack.alerts()] == ["threshold"]
    # A day later the calls have aged out; climbing again alerts again.
    tick(stack, 24 * 60)
    org.add_usage(75_000)
    assert row_of(stack.check(), "sf-prod")["alerts_sent"] == ["warn:70"]
    assert len(stack.alerts()) == 1


def test_each_hubspot_threshold_alerts_once_and_again_after_the_reset(stack: LocalStack) -> None:
    stack.add_hubspot(auto_brake=False)
    portal = stack.sandbox.hubspot
    portal.add_usage(180_000)  # 72 %
    assert row_of(stack.check(), "hs-main")["alerts_sent"] == ["warn:70"]
    assert row_of(stack.check(), "hs-main")["alerts_sent"] == []
    # Midnight in New York (05:00 UTC tomorrow): the counter and the window reset.
    stack.sandbox.clock.set(stack.sandbox.clock.now().replace(hour=5, minute=1) + timedelta(days=1))
    assert portal.usage()[0] == 0
    portal.add_usage(180_000)
    row = row_of(stack.check(), "hs-main")
    assert row["alerts_sent"] == ["warn:70"]
    assert row["resets_at"] == "2026-11-04T05:00:00Z"
    assert len(stack.alerts()) == 2


def test_brake_threshold_is_critical_and_starts_the_brake_once(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup", note="hourly rollup")
    stack.sandbox.salesforce.add_usage(91_000)
    row = row_of(stack.check(), "sf-prod")
    assert row["alerts_sent"] == ["warn:70", "warn:80", "brake:90"]
    assert row["auto_brake_triggered"] is True
    (alert,) = stack.alerts()  # one message for the jump, the most severe
    assert alert.attributes["severity"] == "critical"
    assert alert.attributes["kind"] == "brake_threshold"
    assert "started the automatic brake" in alert.body
    assert "flow:Account_Rollup (tier 1) - hourly rollup" in alert.body
    (event,) = stack.invoker.events
    assert (event.action, event.connection_id, event.dry_run) == ("brake", "sf-prod", False)
    tick(stack, 5)
    again = row_of(stack.check(), "sf-prod")
    assert again["auto_brake_triggered"] is False
    assert len(stack.invoker.events) == 1


def test_forecast_alert_is_info(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.sandbox.salesforce.add_usage(60_000)
    stack.sandbox.salesforce.set_background_rate(30_000)  # 90 % in ~60 min from 60 %
    stack.check()
    tick(stack, 10)
    row = row_of(stack.check(), "sf-prod")
    assert row["alerts_sent"] == ["forecast:90"]
    (alert,) = stack.alerts()
    assert alert.attributes["severity"] == "info"
    assert "brake threshold forecast in" in (alert.subject or "")


def test_concurrent_runs_do_not_duplicate_alerts(stack: LocalStack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    stack.add_salesforce()
    stack.add_hubspot()
    stack.sandbox.salesforce.add_usage(85_000)
    stack.sandbox.hubspot.add_usage(230_000)  # 92 %: brake
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: stack.check(), range(2)))
    sent = [
        key for report in reports for row in report["connections"] for key in row["alerts_sent"]
    ]
    assert sorted(sent) == sorted(["warn:70", "warn:80", "warn:70", "warn:80", "brake:90"])
    # Each key went to exactly one run. A run publishes one message per connection for what
    # it won, so the runs may split one connection's thresholds between them (then both
    # messages carry the same headline, "85% of daily API limit used": subjects are not
    # unique), but never send one alert twice: one message per winning row, none repeated.
    winners = [row for report in reports for row in report["connections"] if row["alerts_sent"]]
    alerts = stack.alerts()
    assert len(alerts) == len(winners)
    assert len({alert.body for alert in alerts}) == len(alerts)
    assert len(stack.invoker.events) == 1


# Resets and staleness ---------------------------------------------------------------------


def test_hubspot_timezone_reset_without_resets_at(stack_factory: Callable[..., LocalStack]) -> None:
    stack = stack_factory(
        hubspot=HubSpotSettings(include_resets_at=False, time_zone="Asia/Kolkata")
    )
    stack.add_hubspot()
    first = row_of(stack.check(), "hs-main")
    # 06:00 UTC is 11:30 in Kolkata (UTC+5:30): midnight there is 18:30 UTC.
    assert first["resets_at"] == "2026-11-02T18:30:00Z"
    assert first["api_calls"] == 2  # usage + the portal's details, once per container
    assert row_of(stack.check(), "hs-main")["api_calls"] == 1


def test_stale_hubspot_cache_yields_to_fresh_headers(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(hubspot=HubSpotSettings(usage_cache_minutes=30))
    stack.add_hubspot()
    stack.sandbox.hubspot.add_usage(10_000)
    stack.check()
    stack.sandbox.hubspot.add_usage(5_000)
    tick(stack, 10)
    row = row_of(stack.check(), "hs-main")
    # The usage endpoint still serves the 10-minute-old CACHED figure; the headers are fresh.
    assert row["source"] == "headers"
    assert row["used"] >= 15_000
    assert row["stale"] is False


# Over the limit ---------------------------------------------------------------------------


def test_salesforce_over_limit_is_critical_without_retry_storm(stack: LocalStack) -> None:
    stack.add_salesforce()
    # Flows only: a kind Apex can change would start the break-glass brake instead
    # (tests/integration/test_break_glass.py).
    stack.allow("sf-prod", "flow:Account_Rollup")
    stack.allow("sf-prod", "flow:Nightly_Sync")
    stack.sandbox.salesforce.add_usage(100_000)
    served = stack.sandbox.salesforce_server.requests_served
    row = row_of(stack.check(), "sf-prod")
    assert stack.sandbox.salesforce_server.requests_served - served == 2  # token + /limits
    assert row["limit_exhausted"] is True
    assert row["alerts_sent"] == ["limit:100"]
    assert stack.invoker.events == []  # a brake by API cannot work now
    (alert,) = stack.alerts()
    assert alert.attributes["severity"] == "critical"
    assert alert.attributes["kind"] == "limit_exhausted"
    assert "API-based braking is no longer possible on Salesforce" in alert.body
    assert "flow:Account_Rollup" in alert.body
    assert "Nightly_Sync" in alert.body
    served = stack.sandbox.salesforce_server.requests_served
    assert row_of(stack.check(), "sf-prod")["alerts_sent"] == []
    assert stack.sandbox.salesforce_server.requests_served - served == 1  # warm token


def test_the_exhausted_alert_pre_fills_the_salesforce_case_without_a_call_more(
    stack: LocalStack,
) -> None:
    # Given an org read at 50 %, then spent in the 20 minutes before the next check
    stack.add_salesforce()
    stack.sandbox.salesforce.add_usage(50_000)
    stack.check()
    tick(stack, 20)
    stack.sandbox.salesforce.add_usage(51_000)
    served = stack.sandbox.salesforce_server.requests_served
    # When the monitor finds the limit exhausted
    row = row_of(stack.check(), "sf-prod")
    # Then the alert carries the case, with the org id the token names and the rate that
    # spent the limit (at least 50,000 calls in 20 minutes), for no call beyond /limits
    assert stack.sandbox.salesforce_server.requests_served - served == 1  # warm token
    assert row["limit_exhausted"] is True
    (alert,) = stack.alerts()
    assert "Ask Salesforce for a temporary increase (paste into a case):" in alert.body
    assert "3. Organization ID: 00D5g000004Sandbox" in alert.body
    assert "per 24 hours on top of the limit of 100,000" in alert.body
    assert "calls/hour x 24 h" in alert.body


def test_hubspot_over_limit_is_critical_without_retry_storm(stack: LocalStack) -> None:
    stack.add_hubspot()
    stack.allow("hs-main", "workflow:12345")
    stack.sandbox.hubspot.add_usage(250_000)
    served = stack.sandbox.hubspot_server.requests_served
    row = row_of(stack.check(), "hs-main")
    assert stack.sandbox.hubspot_server.requests_served - served == 1
    assert row["limit_exhausted"] is True
    (alert,) = stack.alerts()
    assert alert.attributes["kind"] == "limit_exhausted"
    assert "API-based braking is no longer possible on HubSpot" in alert.body
    assert "workflow:12345" in alert.body
    assert "Raise HubSpot's daily limit (API limit increase pack):" in alert.body


# Broken connections -----------------------------------------------------------------------


def test_a_broken_connection_among_healthy_ones(
    stack: LocalStack, sandbox_factory: Callable[..., Sandbox]
) -> None:
    stack.add_salesforce("sf-ok")
    stack.add_hubspot("hs-ok")
    stack.aws.create_secret(
        "apibrake/sf-wrong",
        {
            "auth": "client_credentials",
            "instance_url": stack.sandbox.salesforce_url,
            "client_id": "nobody",
            "client_secret": "wrong-secret-value",
        },
    )
    stack.put_connection_item(
        {"connection_id": "sf-wrong", "platform": "salesforce", "secret_id": "apibrake/sf-wrong"}
    )
    stack.aws.create_secret(
        "apibrake/hs-down",
        {"auth": "token", "base_url": "http://127.0.0.1:9", "access_token": "pat-x"},
    )
    stack.put_connection_item(
        {"connection_id": "hs-down", "platform": "hubspot", "secret_id": "apibrake/hs-down"}
    )
    garbage = sandbox_factory()
    garbage.hubspot_server.faults.add(Fault(FaultKind.MALFORMED_JSON, path="api-usage", times=None))
    stack.aws.create_secret(
        "apibrake/hs-garbage",
        {
            "auth": "token",
            "base_url": garbage.hubspot_url,
            "access_token": garbage.hubspot.settings.token,
        },
    )
    stack.put_connection_item(
        {"connection_id": "hs-garbage", "platform": "hubspot", "secret_id": "apibrake/hs-garbage"}
    )
    stack.put_connection_item(
        {"connection_id": "sf-nosecret", "platform": "salesforce", "secret_id": "apibrake/none"}
    )

    report = stack.check()
    rows = {row["connection_id"]: row for row in report["connections"]}
    assert rows["sf-ok"]["error"] is None
    assert rows["sf-ok"]["used"] is not None
    assert rows["hs-ok"]["error"] is None
    assert rows["hs-ok"]["used"] is not None
    assert "token request refused" in rows["sf-wrong"]["error"]
    assert "could not connect" in rows["hs-down"]["error"]
    assert (
        "unreadable" in rows["hs-garbage"]["error"]
        or "expected JSON" in rows["hs-garbage"]["error"]
    )
    assert "apibrake/none could not be read" in rows["sf-nosecret"]["error"]
    assert rows["sf-nosecret"]["error_field"] == "secret_id"
    assert report["summary"]["errors"] == 4
    assert "wrong-secret-value" not in json.dumps(report)
    alerts = stack.alerts()
    assert sorted(a.attributes["connection_id"] for a in alerts) == [
        "hs-down",
        "hs-garbage",
        "sf-nosecret",
        "sf-wrong",
    ]
    assert {a.attributes["kind"] for a in alerts} == {"connection_error"}
    assert all("wrong-secret-value" not in a.body for a in alerts)
    # Once per window: the next check reports the errors again but sends nothing new.
    stack.check()
    assert stack.alerts() == []


def test_malformed_items_and_secrets_name_the_field(stack: LocalStack) -> None:
    stack.put_connection_item(
        {
            "connection_id": "sf-bad",
            "platform": "salesforce",
            "secret_id": "apibrake/x",
            "brake_at": "soon",
        }
    )
    stack.put_connection_item(
        {"connection_id": "xx-bad", "platform": "zendesk", "secret_id": "apibrake/x"}
    )
    stack.aws.create_secret(
        "apibrake/sf-half",
        {
            "auth": "client_credentials",
            "instance_url": stack.sandbox.salesforce_url,
            "client_id": "id",
            "client_secret_typo": "hunter2-secret",
        },
    )
    stack.put_connection_item(
        {"connection_id": "sf-half", "platform": "salesforce", "secret_id": "apibrake/sf-half"}
    )
    stack.aws.create_secret("apibrake/hs-noauth", {"access_token": "pat-hunter2"})
    stack.put_connection_item(
        {"connection_id": "hs-noauth", "platform": "hubspot", "secret_id": "apibrake/hs-noauth"}
    )
    stack.put_connection_item(
        {"connection_id": "sf-elsewhere", "platform": "salesforce", "secret_id": "prod/salesforce"}
    )

    report = stack.check()
    rows = {row["connection_id"]: row for row in report["connections"]}
    assert rows["sf-bad"]["error_field"] == "brake_at"
    assert rows["xx-bad"]["error_field"] == "platform"
    assert rows["sf-half"]["error_field"] == "client_secret"
    assert "field 'client_secret'" in rows["sf-half"]["error"]
    assert rows["hs-noauth"]["error_field"] == "auth"
    assert rows["sf-elsewhere"]["error_field"] == "secret_id"
    assert "hunter2" not in json.dumps(report)
    alerts = stack.alerts()
    assert len(alerts) == 5
    assert all("hunter2" not in f"{a.subject} {a.body}" for a in alerts)


# Tokens -----------------------------------------------------------------------------------


def test_token_expiry_mid_run_refreshes_once(stack: LocalStack) -> None:
    stack.add_salesforce()
    first = row_of(stack.check(), "sf-prod")
    assert (first["auth_calls"], first["api_calls"]) == (1, 1)
    warm = row_of(stack.check(), "sf-prod")
    assert (warm["auth_calls"], warm["api_calls"]) == (0, 1)  # cached across invocations
    stack.sandbox.salesforce.expire_tokens()
    row = row_of(stack.check(), "sf-prod")
    assert row["error"] is None
    assert row["auth_calls"] == 1
    assert row["used"] is not None


def test_hubspot_oauth_token_expiry(stack: LocalStack) -> None:
    settings = stack.sandbox.hubspot.settings
    stack.aws.create_secret(
        "apibrake/hs-oauth",
        {
            "auth": "oauth_refresh",
            "base_url": stack.sandbox.hubspot_url,
            "client_id": settings.oauth_client_id,
            "client_secret": settings.oauth_client_secret,
            "refresh_token": settings.refresh_token,
        },
    )
    stack.put_connection_item(
        {"connection_id": "hs-oauth", "platform": "hubspot", "secret_id": "apibrake/hs-oauth"}
    )
    assert row_of(stack.check(), "hs-oauth")["auth_calls"] == 1
    stack.sandbox.hubspot.expire_tokens()
    row = row_of(stack.check(), "hs-oauth")
    assert row["error"] is None
    assert row["auth_calls"] == 1


# The handler itself -----------------------------------------------------------------------


def test_narrowed_event_and_invalid_event(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.add_hubspot()
    report = stack.check({"connection_ids": ["hs-main"]})
    assert [row["connection_id"] for row in report["connections"]] == ["hs-main"]
    invalid = app.handle({"connection_ids": "hs-main"})
    assert invalid["error"] == "invalid_event"
    assert invalid["field"] == "connection_ids"


@dataclass
class MonitorContext:
    function_name: str = "apibrake-UsageMonitorFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:x"
    aws_request_id: str = "req-1"


def _printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


def test_lambda_handler_emits_fleet_metrics_and_each_connection_as_log_fields(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # The handler's Powertools objects read their environment at import, as in Lambda.
    handler = importlib.reload(app)
    stack.add_salesforce()
    # Its handlers, not root's: what other functions' loggers set up (propagation, levels)
    # in the same test process must not hide the line from this test.
    fields_logger = logging.getLogger(log_fields.__name__)
    fields_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=log_fields.__name__):
            result = handler.lambda_handler({}, MonitorContext())
    finally:
        fields_logger.removeHandler(caplog.handler)
    assert result["summary"]["checked"] == 1
    printed = _printed(capsys)
    documents = [d for d in printed if "_aws" in d]
    # Then no metric carries a connection_id dimension (PerConnectionMetrics is off) ...
    assert not any("connection_id" in d for d in documents)
    fleet = next(d for d in documents if "ChecksCompleted" in d)
    for name in ("ConnectionsChecked", "ConnectionsFailing", "OverdueChecks", "AlertsSent"):
        assert name in fleet
    assert "BrakesStarted" in fleet
    # ... and the connection's values are one structured log line the dashboard reads
    line = next(r for r in caplog.records if r.getMessage() == "connection checked")
    assert line.connection_id == "sf-prod"  # type: ignore[attr-defined]
    assert line.platform == "salesforce"  # type: ignore[attr-defined]
    assert 0 <= line.usage_percent <= 100  # type: ignore[attr-defined]
    assert line.calls_remaining > 0  # type: ignore[attr-defined]


def test_per_connection_metrics_are_opt_in(
    stack: LocalStack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stack deployed with PerConnectionMetrics=true
    monkeypatch.setenv("PER_CONNECTION_METRICS", "true")
    LocalStack.forget_caches()
    handler = importlib.reload(app)
    stack.add_salesforce()
    handler.lambda_handler({}, MonitorContext())
    documents = [d for d in _printed(capsys) if "_aws" in d]
    # Then each connection has its EMF document too
    per_connection = next(d for d in documents if d.get("connection_id") == "sf-prod")
    assert per_connection["platform"] == "salesforce"
    names = {m["Name"] for m in per_connection["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"UsagePercent", "CallsUsed", "CallsRemaining"} <= names

"""The adaptive cadence over the wire (moto server + the sandbox over HTTP): the schedule
ticks every minute, and each connection is checked when its own cadence says so.

Time is the sandbox's virtual clock; `stack.tick()` sends what template.yaml's schedule
sends, `stack.check()` what an operator's invoke sends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind

HUBSPOT_LIMIT = 250_000


def row_of(report: dict[str, Any], connection_id: str) -> dict[str, Any]:
    return next(r for r in report["connections"] if r["connection_id"] == connection_id)


def checked(report: dict[str, Any]) -> set[str]:
    return {
        row["connection_id"]
        for row in report["connections"]
        if not row["not_due"] and not row["not_reached"]
    }


def minutes(stack: LocalStack, count: float) -> None:
    stack.sandbox.advance(timedelta(minutes=count))


def requests_served(stack: LocalStack) -> int:
    return (
        stack.sandbox.salesforce_server.requests_served
        + stack.sandbox.hubspot_server.requests_served
    )


def test_a_tick_with_nothing_due_calls_no_platform_and_reads_no_secret(
    stack: LocalStack,
) -> None:
    # Given two calm connections (half their limit, flat), checked by the first tick
    stack.add_salesforce()
    stack.add_hubspot()
    stack.sandbox.salesforce.add_usage(50_000)
    stack.sandbox.hubspot.add_usage(HUBSPOT_LIMIT // 2)
    first = stack.tick()
    assert checked(first) == {"sf-prod", "hs-main"}
    assert {row["temperature"] for row in first["connections"]} == {"calm"}
    # and a cold container whose secrets are gone: a tick that read one would fail
    LocalStack.forget_caches()
    secrets = stack.aws.client("secretsmanager")
    for cid in ("sf-prod", "hs-main"):
        secrets.delete_secret(SecretId=f"apibrake/{cid}", ForceDeleteWithoutRecovery=True)
    served = requests_served(stack)
    # When the schedule ticks every minute for the next 14 minutes
    for _ in range(14):
        minutes(stack, 1)
        report = stack.tick()
        # Then no connection is due: no platform request, no secret read, no error
        assert checked(report) == set()
        assert report["summary"]["checked"] == 0
        assert report["summary"]["not_due"] == 2
        assert report["summary"]["errors"] == 0
    assert requests_served(stack) == served
    row = row_of(report, "sf-prod")
    assert row["note"].startswith("not due")
    assert row["next_check_at"] == first["connections"][0]["next_check_at"]
    # and at minute 15 both are due again (and now fail on their missing secrets)
    minutes(stack, 1)
    assert checked(stack.tick()) == {"sf-prod", "hs-main"}


def test_a_hot_connection_is_checked_every_minute_and_a_calm_one_every_15(
    stack: LocalStack,
) -> None:
    # Given a portal at 88 % (within 3 points of the 90 % brake) and a calm org
    stack.add_hubspot(auto_brake=False)
    stack.add_salesforce()
    stack.sandbox.hubspot.add_usage(int(HUBSPOT_LIMIT * 0.88))
    stack.sandbox.salesforce.add_usage(10_000)
    hubspot_calls = []
    salesforce_checks = 0
    # When the schedule ticks every minute for 16 minutes
    for _ in range(16):
        report = stack.tick()
        hubspot_calls.append(row_of(report, "hs-main")["api_calls"])
        salesforce_checks += "sf-prod" in checked(report)
        assert row_of(report, "hs-main")["temperature"] == "hot"
        minutes(stack, 1)
    # Then the hot portal was read on every tick, one call each, the calm org twice
    assert hubspot_calls == [1] * 16
    assert salesforce_checks == 2  # minutes 0 and 15


def test_missed_ticks_leave_a_hot_connection_due_and_are_reported_overdue(
    stack: LocalStack,
) -> None:
    # Given a hot portal checked at a tick
    stack.add_hubspot(auto_brake=False)
    stack.sandbox.hubspot.add_usage(int(HUBSPOT_LIMIT * 0.88))
    assert stack.tick()["overdue"] == []
    # When the schedule misses one tick (throttled), the next one is on time
    minutes(stack, 2)
    late_by_one = stack.tick()
    assert checked(late_by_one) == {"hs-main"}
    assert late_by_one["summary"]["overdue"] == 0  # within its interval plus one tick
    # When it then misses two ticks
    minutes(stack, 3)
    report = stack.tick()
    # Then the next tick checks it and reports it overdue (OverdueChecks: the alarm)
    assert checked(report) == {"hs-main"}
    assert report["overdue"] == ["hs-main"]
    assert report["summary"]["overdue"] == 1
    minutes(stack, 1)
    assert stack.tick()["overdue"] == []


def test_a_platform_error_is_retried_on_the_next_tick_a_secret_error_after_its_interval(
    stack: LocalStack,
) -> None:
    # Given a calm org and a calm portal, checked once
    stack.add_salesforce()
    stack.add_hubspot()
    stack.tick()
    # When, 15 minutes later, the org answers 503 and the portal's secret is gone
    minutes(stack, 15)
    stack.sandbox.salesforce_server.faults.add(
        Fault(FaultKind.STATUS, path="/limits", status=503, times=None)
    )
    stack.aws.client("secretsmanager").delete_secret(
        SecretId="apibrake/hs-main", ForceDeleteWithoutRecovery=True
    )
    LocalStack.forget_caches()
    failing = stack.tick()
    assert row_of(failing, "sf-prod")["error"]
    assert row_of(failing, "hs-main")["error_field"] == "secret_id"
    # Then the next tick tries the org again (a due check that failed is still due), not
    # the portal (a new try cannot fix a secret before its interval)
    stack.sandbox.salesforce_server.faults.clear()
    minutes(stack, 1)
    retried = stack.tick()
    assert checked(retried) == {"sf-prod"}
    assert row_of(retried, "sf-prod")["error"] is None
    minutes(stack, 14)
    assert "hs-main" in checked(stack.tick())


def test_an_operator_invoke_checks_every_connection_now(stack: LocalStack) -> None:
    # Given two calm connections checked a minute ago
    stack.add_salesforce()
    stack.add_hubspot()
    stack.tick()
    minutes(stack, 1)
    assert checked(stack.tick()) == set()
    # When an operator invokes the monitor with {} (or names connections)
    forced = stack.check({})
    named = stack.check({"connection_ids": ["hs-main"]})
    # Then every connection (or the named one) is checked at once
    assert checked(forced) == {"sf-prod", "hs-main"}
    assert checked(named) == {"hs-main"}
    assert row_of(forced, "sf-prod")["api_calls"] == 1


class RunsOutAfter:
    """A Lambda context with time for `calls` looks at the clock, then 5 s left (below the
    layer's 10 s margin)."""

    def __init__(self, calls: int) -> None:
        self.calls = 0
        self.allowed = calls

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return 60_000 if self.calls <= self.allowed else 5_000


def test_under_the_deadline_a_tick_checks_the_hot_connection_first(stack: LocalStack) -> None:
    # Given three calm orgs and a hot portal (88 %), all checked 15 minutes ago: all due
    for cid in ("sf-a", "sf-b", "sf-c"):
        stack.add_salesforce(cid)
    stack.add_hubspot(auto_brake=False)
    stack.sandbox.hubspot.add_usage(int(HUBSPOT_LIMIT * 0.88))
    stack.check()
    minutes(stack, 15)
    # When a tick runs out of time after its first connection
    report: dict[str, Any] = stack.monitor_app.handle(
        stack.schedule_event(), RunsOutAfter(1), clock=stack.sandbox.clock.now
    )
    stack.monitor_app.metrics.clear_metrics()
    # Then the one it checked is the hot one; the others were not reached and stay due
    assert checked(report) == {"hs-main"}
    assert report["complete"] is False
    assert {r["connection_id"] for r in report["connections"] if r["not_reached"]} == {
        "sf-a",
        "sf-b",
        "sf-c",
    }
    minutes(stack, 1)
    assert checked(stack.tick()) == {"hs-main", "sf-a", "sf-b", "sf-c"}

"""A freeze's effect, over the wire: whether freezing a user ends the sessions and OAuth
tokens it had is undocumented (docs/platform-notes.md B8), so while the incident waits the
scheduled release counts the frozen user's calls in ApiTotalUsageEventLog and alerts once
per incident and user when they go on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apibrake.attribution import AttributionStore
from apibrake.models.attribution import AttributionSource
from apibrake.release.freeze_watch import FREEZE_GRACE
from apibrake.warn.incident_alerts import FROZEN_STILL_SPENDING
from drill.stack import LocalStack
from localaws import ReceivedAlert
from sandbox.salesforce import SalesforceSettings
from tests.integration.brake_support import statuses

ETL = "etl@acme.com"


def _frozen_etl(
    stack_factory: Callable[..., LocalStack], *, sessions_last: timedelta, licensed: bool = True
) -> tuple[LocalStack, dict[str, Any]]:
    """An org at 92 % with an ETL spending 12,000 calls an hour as its own user, which a
    tier-2 brake froze; the freeze is past the grace and the monitor has read usage since."""
    settings = SalesforceSettings(
        event_monitoring_licensed=licensed, frozen_sessions_last=sessions_last
    )
    stack = stack_factory(salesforce=settings)
    org = stack.sandbox.salesforce
    org.switches.add_integration_user(ETL, calls_per_hour=12_000)
    stack.sandbox.advance(timedelta(minutes=1))  # the freeze is the login's next change
    stack.add_salesforce()
    stack.allow("sf-prod", f"user:{ETL}", tier=2)
    org.add_usage(92_000)
    report = stack.brake(connection_id="sf-prod", reason="test", tier=2)
    assert statuses(report) == {ETL: "braked"}
    stack.sandbox.advance(FREEZE_GRACE + timedelta(minutes=1))
    stack.check()  # a fresh stored reading: the window has not recovered
    stack.alerts()  # the brake's own alerts are not what these tests look at
    return stack, report


def _frozen_alerts(stack: LocalStack) -> list[ReceivedAlert]:
    return [a for a in stack.alerts() if a.attributes.get("kind") == FROZEN_STILL_SPENDING]


def _platform_requests(stack: LocalStack) -> int:
    return stack.sandbox.salesforce_server.requests_served


def test_a_frozen_user_still_spending_is_alerted_once(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given a freeze that leaves the user's sessions alive for an hour
    stack, braked = _frozen_etl(stack_factory, sessions_last=timedelta(hours=1))
    user_id = stack.sandbox.salesforce.switches.user(ETL).id
    # When the scheduled release runs, the window not recovered yet
    waiting = stack.release_recovered()
    # Then it waits, and one critical alert says the frozen user still spends, and what to do
    assert waiting["errors"][0]["code"] == "not_recovered"
    assert stack.sandbox.salesforce.switches.user(ETL).frozen is True
    (alert,) = _frozen_alerts(stack)
    assert alert.attributes["severity"] == "critical"
    assert ETL in (alert.subject or "")
    body = alert.body
    assert f"{ETL} ({user_id}) at " in body
    assert " UTC " in body
    assert braked["incident_id"] in body
    assert "API calls counted against the daily limit since" in body
    assert "not documented by Salesforce" in body
    assert "Connected Apps OAuth Usage" in body
    assert "deactivate the user" in body
    # When it runs again, the user still spending
    stack.sandbox.advance(timedelta(minutes=5))
    stack.check()
    requests = _platform_requests(stack)
    stack.release_recovered()
    # Then no second alert, and no call spent on asking again
    assert _frozen_alerts(stack) == []
    assert _platform_requests(stack) == requests


def test_a_freeze_that_ends_the_sessions_alerts_nothing(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given a freeze that ends the user's sessions at once
    stack, _ = _frozen_etl(stack_factory, sessions_last=timedelta(0))
    # When the scheduled release runs twice, the window not recovered yet
    spent = []
    for _ in range(2):
        requests = _platform_requests(stack)
        waiting = stack.release_recovered()
        spent.append(_platform_requests(stack) - requests)
        assert waiting["errors"][0]["code"] == "not_recovered"
        stack.sandbox.advance(timedelta(minutes=5))
        stack.check()
    # Then no alert; each run spent one query on looking (the first a token too)
    assert _frozen_alerts(stack) == []
    assert 1 <= spent[0] <= 2
    assert spent[1] == 1


def test_a_dry_run_never_looks(stack_factory: Callable[..., LocalStack]) -> None:
    stack, _ = _frozen_etl(stack_factory, sessions_last=timedelta(hours=1))
    requests = _platform_requests(stack)
    stack.release_recovered(dry_run=True)
    assert _frozen_alerts(stack) == []
    assert _platform_requests(stack) == requests


def test_an_unlicensed_event_log_object_is_asked_once_and_remembered(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given an org without Event Monitoring, whose frozen user still spends
    stack, _ = _frozen_etl(stack_factory, sessions_last=timedelta(hours=1), licensed=False)
    # When the scheduled release runs
    requests = _platform_requests(stack)
    stack.release_recovered()
    # Then one query at most (plus the token), refused and remembered; no alert
    assert _platform_requests(stack) - requests <= 2
    memory = AttributionStore(stack.aws.client("dynamodb"), stack.aws.table_name("StateTable"))
    now = stack.sandbox.clock.now()
    assert AttributionSource.EVENT_LOG_OBJECT in memory.unavailable("sf-prod", now=now)
    # When it runs again
    stack.sandbox.advance(timedelta(minutes=5))
    stack.check()
    requests = _platform_requests(stack)
    stack.release_recovered()
    # Then the object is not asked again, and still no alert
    assert _platform_requests(stack) == requests
    assert _frozen_alerts(stack) == []

"""The soft limit over the wire: a paid org past 100 % whose calls are still served is "in
overage" (braking by API still works) until the platform refuses, and the alerts say which;
a Developer Edition org or a sandbox is told it has none, its kind read by the daily
collection even when it spends nothing on usage files (docs/platform-notes.md S2, S11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apibrake.attribution import CollectStatus
from apibrake.runtime import collect
from drill.stack import LocalStack
from sandbox.salesforce import SalesforceSettings
from tests.integration.brake_support import statuses

FLOW = "Account_Rollup_Hourly"


def _org(stack_factory: Callable[..., LocalStack], **settings: object) -> LocalStack:
    stack = stack_factory(salesforce=SalesforceSettings(**settings))  # type: ignore[arg-type]
    stack.sandbox.salesforce.add_flow(FLOW)
    stack.add_salesforce()
    stack.allow("sf-prod", f"flow:{FLOW}")
    stack.collect_usage_files()  # the daily collection reads the org's kind and entitlement
    return stack


def _kinds(stack: LocalStack) -> list[str]:
    return [alert.attributes["kind"] for alert in stack.alerts()]


def test_a_paid_org_past_its_limit_is_in_overage_until_refused(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given a paid org that Salesforce lets run 10 % past its limit, read at 100 %
    stack = _org(stack_factory, overage_pct=10.0)
    sf = stack.sandbox.salesforce
    used, limit = sf.usage()
    sf.add_usage(limit - used + 500)
    # When the monitor checks it
    stack.check()
    # Then the critical alert says "in overage", calls still served, and the brake ran by API
    alerts = stack.alerts()
    (overage,) = [a for a in alerts if a.attributes["kind"] == "in_overage"]
    assert "in overage, calls still served" in (overage.subject or "")
    assert "braking by API still works now" in overage.body
    assert "30-day API entitlement" in overage.body
    (report,) = stack.run_auto_brakes()
    assert statuses(report) == {FLOW: "braked"}
    # When the platform then refuses (the hard cap)
    used, _ = sf.usage()
    sf.add_usage(sf.hard_cap() - used + 1)
    stack.check()
    # Then the "exhausted" alert still goes out: the alerts said which
    assert "limit_exhausted" in _kinds(stack)


def test_a_developer_edition_org_is_told_it_has_no_overage(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given a Developer Edition org at its limit (refused at 100 %)
    stack = _org(stack_factory, org_type="Developer Edition")
    sf = stack.sandbox.salesforce
    used, limit = sf.usage()
    sf.add_usage(limit - used)
    # When the monitor checks it
    stack.check()
    # Then the exhausted alert says it has no overage
    (exhausted,) = [a for a in stack.alerts() if a.attributes["kind"] == "limit_exhausted"]
    assert "Developer Edition org: it has no overage" in exhausted.body


def test_a_sandbox_org_read_in_its_reserve_is_not_told_it_is_in_overage(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given a sandbox org whose last reading sits in its reserve when the daily collection
    # runs (it spends nothing on usage files there, but still reads the org's kind)
    stack = stack_factory(salesforce=SalesforceSettings(is_sandbox=True))
    stack.sandbox.salesforce.add_flow(FLOW)
    stack.add_salesforce()
    stack.allow("sf-prod", f"flow:{FLOW}")
    sf = stack.sandbox.salesforce
    used, limit = sf.usage()
    sf.add_usage(int(limit * 0.97) - used)
    stack.check()
    (collected,) = stack.collect_usage_files()["collected"]
    assert collected["status"] == CollectStatus.NOT_SPENT
    # When the monitor's own read takes it to its limit (served, read at 100 %)
    used, _ = sf.usage()
    sf.add_usage(limit - used - 1)
    stack.check()
    # Then no alert says "in overage, calls still served": a sandbox is refused at 100 %
    alerts = stack.alerts()
    assert [a for a in alerts if a.attributes["kind"] == "in_overage"] == []
    assert not any("calls still served" in (a.subject or "") for a in alerts)
    # and the exhausted alert says why, from the kind the collection read
    (exhausted,) = [a for a in alerts if a.attributes["kind"] == "limit_exhausted"]
    assert "a sandbox: it has no overage" in exhausted.body


def test_an_org_whose_usage_files_failed_still_has_its_kind_read(
    stack_factory: Callable[..., LocalStack], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sandbox org whose daily usage-file collection fails
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("usage file unreadable")

    monkeypatch.setattr(collect, "collect_daily", broken)
    stack = stack_factory(salesforce=SalesforceSettings(is_sandbox=True))
    stack.add_salesforce()
    # When the daily collection runs
    (collected,) = stack.collect_usage_files()["collected"]
    # Then the files are reported failed, and the org's kind was read all the same
    assert collected["status"] == CollectStatus.FAILED
    entitlement = stack.state.entitlements().get("sf-prod")
    assert entitlement is not None
    assert entitlement.no_overage_reason == "a sandbox"

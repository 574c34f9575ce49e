"""HubSpot service keys and dated APIs through the real monitor, brake and release.

A service key's own calls count only in the 2027-03-beta usage figure; when that figure
cannot be had the reading says what it misses and a warning goes out once a day. A
connection still on a version HubSpot is retiring gets an info notice once a week from 60
days before; a retired version fails like a removed endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from drill.stack import LocalStack
from sandbox.hubspot import HubSpotSettings
from tests.integration.brake_support import rows_by_name, statuses


def _row(report: dict[str, object], cid: str = "hs-main") -> dict[str, object]:
    rows = report["connections"]
    assert isinstance(rows, list)
    return next(row for row in rows if row["connection_id"] == cid)


def test_a_service_key_reads_a_figure_that_counts_its_own_calls(stack: LocalStack) -> None:
    stack.add_hubspot(service_key=True)
    stack.sandbox.hubspot.add_usage(10_000)
    row = _row(stack.check())
    assert row["usage_scope"] == "all_app_types"
    assert row["usage_gap"] is None
    assert row["used"] >= 10_001  # the usage read itself, made with the key, counts
    assert [a for a in stack.alerts() if a.attributes["kind"] == "usage_gap"] == []


def test_a_service_key_without_the_beta_figure_is_warned_about_once_a_day(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(hubspot=HubSpotSettings(beta_usage="refused"))
    stack.add_hubspot(service_key=True)
    row = _row(stack.check())
    assert row["usage_scope"] == "legacy_private_apps"
    assert "service key" in str(row["usage_gap"])
    assert row["percent"] is not None  # a figure, said to be partial: never a silent 0 %
    first = [a for a in stack.alerts() if a.attributes["kind"] == "usage_gap"]
    assert len(first) == 1
    assert "hs-main" in first[0].body
    stack.sandbox.advance(timedelta(hours=2))
    stack.check()
    assert [a for a in stack.alerts() if a.attributes["kind"] == "usage_gap"] == []
    stack.sandbox.advance(timedelta(days=1))
    stack.check()
    assert len([a for a in stack.alerts() if a.attributes["kind"] == "usage_gap"]) == 1


def test_a_version_near_its_sunset_gets_a_weekly_notice_naming_the_field(
    stack: LocalStack,
) -> None:
    stack.add_hubspot(api_versions={"flows": "v4"})
    stack.sandbox.clock.set(datetime(2027, 1, 15, 12, tzinfo=UTC))  # 74 days before 2027-03-30
    stack.check()
    assert [a for a in stack.alerts() if a.attributes["kind"] == "api_sunset"] == []
    stack.sandbox.clock.set(datetime(2027, 2, 1, 12, tzinfo=UTC))  # 57 days before
    stack.check()
    (notice,) = [a for a in stack.alerts() if a.attributes["kind"] == "api_sunset"]
    assert notice.attributes["severity"] == "info"
    assert 'api_versions.flows to "2026-09-beta"' in notice.body
    stack.sandbox.advance(timedelta(days=3))
    stack.check()
    assert [a for a in stack.alerts() if a.attributes["kind"] == "api_sunset"] == []
    stack.sandbox.advance(timedelta(days=5))
    stack.check()
    assert len([a for a in stack.alerts() if a.attributes["kind"] == "api_sunset"]) == 1


def test_the_defaults_keep_working_when_the_old_versions_are_retired(
    stack_factory: Callable[..., LocalStack],
) -> None:
    retired = {"automation:v4", "oauth:v1", "account-info:v3"}
    stack = stack_factory(hubspot=HubSpotSettings(retired_versions=retired))
    flow_id = stack.sandbox.hubspot.add_workflow("Chatty")["id"]
    stack.add_hubspot()
    stack.allow("hs-main", f"workflow:{flow_id}")
    assert _row(stack.check())["error"] is None
    braked = stack.brake(connection_id="hs-main")
    assert statuses(braked) == {flow_id: "braked"}
    released = stack.release_incident(str(braked["incident_id"]), force=True)
    assert statuses(released) == {flow_id: "released"}


def test_a_connection_pinned_to_a_retired_version_fails_loudly(
    stack_factory: Callable[..., LocalStack],
) -> None:
    retired = HubSpotSettings(retired_versions={"automation:v4"})
    stack = stack_factory(hubspot=retired)
    flow_id = stack.sandbox.hubspot.add_workflow("Chatty")["id"]
    stack.add_hubspot(api_versions={"flows": "v4"})
    stack.allow("hs-main", f"workflow:{flow_id}")
    braked = stack.brake(connection_id="hs-main")
    assert statuses(braked) == {flow_id: "failed"}
    assert stack.sandbox.hubspot.workflow(flow_id)["isEnabled"] is True
    # A configuration error naming the field and what to set, not a generic failure
    error = rows_by_name(braked)[flow_id]["error"]
    assert '"api_versions": {"flows": "2026-09-beta"}' in error


def test_a_workflow_brake_says_off_is_not_a_pause(stack: LocalStack) -> None:
    flow_id = stack.sandbox.hubspot.add_workflow("Chatty")["id"]
    stack.add_hubspot()
    stack.allow("hs-main", f"workflow:{flow_id}")
    braked = stack.brake(connection_id="hs-main")
    (row,) = braked["rows"]
    assert "off is not a pause" in row["note"]
    (summary,) = [a for a in stack.alerts() if a.attributes["kind"] == "brake"]
    assert "turning it back on replays nothing" in summary.body


def test_a_refused_beta_figure_is_not_asked_for_again_on_every_check(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(hubspot=HubSpotSettings(beta_usage="refused"))
    stack.add_hubspot(service_key=True)
    server = stack.sandbox.hubspot_server
    served = server.requests_served
    stack.check()
    first = server.requests_served - served
    stack.sandbox.advance(timedelta(minutes=5))
    served = server.requests_served
    row = _row(stack.check())
    assert server.requests_served - served == first - 1  # straight to the fallback figure
    assert "service key" in str(row["usage_gap"])


def test_the_beta_daily_entry_is_found_under_another_name(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # The 2027-03-beta entry's name is undocumented: a portal may name it otherwise
    stack = stack_factory(hubspot=HubSpotSettings(beta_usage_entry_name="api-calls-daily"))
    stack.add_hubspot(service_key=True)
    stack.sandbox.hubspot.add_usage(10_000)

    row = _row(stack.check())

    assert row["usage_scope"] == "all_app_types"
    assert row["usage_gap"] is None
    assert row["used"] >= 10_001

"""The `app` kind over the wire: removing a permission set's access to an admin-approved
connected app stops its calls, and release gives exactly that access back; apps whose users
may self-authorize and protected consumers are refused (docs/platform-notes.md S10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from apibrake.release.freeze_watch import FREEZE_GRACE
from apibrake.warn.incident_alerts import APP_STILL_SPENDING
from drill.stack import LocalStack
from localaws import ReceivedAlert
from sandbox.salesforce import SalesforceSettings
from tests.integration.brake_support import api_mutations, rows_by_name, statuses

APP = "Acme ETL"
SET = "ETL_Integration"


def _etl(stack: LocalStack, *, admin_approved: bool = True, **connection: object) -> None:
    sf = stack.sandbox.salesforce
    sf.connected_apps.add_app(
        APP, calls_per_hour=6_000, admin_approved=admin_approved, permission_sets=(SET, "Other")
    )
    stack.add_salesforce(**connection)
    stack.allow("sf-prod", f"app:{APP}", permission_set=SET)


def test_an_app_is_braked_and_released_exactly(stack: LocalStack) -> None:
    # Given an admin-approved ETL app reached through two permission sets, one allowlisted
    _etl(stack)
    sf = stack.sandbox.salesforce
    apps = sf.connected_apps
    links_before = {(link.parent_id, link.setup_entity_id) for link in apps.links.values()}
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="test")
    # Then the allowlisted set's link is gone (journalled with ParentId, SetupEntityId and
    # the app's approval policy), the other set's link stays
    assert statuses(report) == {APP: "braked"}
    before = rows_by_name(report)[APP]["before"]
    assert before["admin_approved"] is True
    (journalled,) = [link for link in before["links"] if link["permission_set"] == SET]
    assert journalled["parent_id"] == apps.permission_sets[SET]
    assert journalled["setup_entity_id"] == apps.apps[APP].id
    assert len(apps.links) == 1
    # When it is released
    released = stack.release_incident(str(report["incident_id"]))
    # Then the same link is back (a new row with the same parent and app)
    assert statuses(released) == {APP: "released"}
    assert {(link.parent_id, link.setup_entity_id) for link in apps.links.values()} == links_before
    kinds = [m.kind for m in api_mutations(stack.sandbox, "salesforce")]
    assert kinds == ["app_link_delete", "app_link_create"]


def test_the_app_stops_spending_when_its_last_grant_goes(stack: LocalStack) -> None:
    # Given an ETL app reached through one permission set only
    sf = stack.sandbox.salesforce
    sf.connected_apps.add_app(APP, calls_per_hour=6_000, permission_sets=(SET,))
    stack.add_salesforce()
    stack.allow("sf-prod", f"app:{APP}", permission_set=SET)
    # When it is braked
    assert statuses(stack.brake(connection_id="sf-prod", reason="test")) == {APP: "braked"}
    used = sf.usage()[0]
    stack.sandbox.advance(timedelta(hours=1))
    # Then its calls stop
    assert sf.usage()[0] - used < 100


def test_a_self_authorizing_app_is_refused(stack: LocalStack) -> None:
    _etl(stack, admin_approved=False)
    report = stack.brake(connection_id="sf-prod", reason="test")
    row = rows_by_name(report)[APP]
    assert row["status"] == "skipped"
    assert "self-authorize" in row["error"]
    assert api_mutations(stack.sandbox, "salesforce") == []


def test_a_protected_app_is_never_blocked(stack: LocalStack) -> None:
    _etl(stack, protected_consumers=[APP])
    report = stack.brake(connection_id="sf-prod", reason="test")
    assert rows_by_name(report)[APP]["status"] == "skipped"
    assert api_mutations(stack.sandbox, "salesforce") == []


def _braked_etl(
    stack_factory: Callable[..., LocalStack], *, tokens_survive: bool
) -> tuple[LocalStack, dict[str, object]]:
    """An org at 92 % with an ETL app spending 6,000 calls an hour through one permission
    set, braked; the brake is past the grace and the monitor has read usage since."""
    settings = SalesforceSettings(
        event_monitoring_licensed=True, app_tokens_survive_unlink=tokens_survive
    )
    stack = stack_factory(salesforce=settings)
    sf = stack.sandbox.salesforce
    sf.connected_apps.add_app(APP, calls_per_hour=6_000, permission_sets=(SET,))
    stack.add_salesforce()
    stack.allow("sf-prod", f"app:{APP}", permission_set=SET)
    sf.add_usage(92_000)
    report = stack.brake(connection_id="sf-prod", reason="test")
    assert statuses(report) == {APP: "braked"}
    stack.sandbox.advance(FREEZE_GRACE + timedelta(minutes=6))
    stack.check()
    stack.alerts()
    return stack, report


def _app_alerts(stack: LocalStack) -> list[ReceivedAlert]:
    return [a for a in stack.alerts() if a.attributes.get("kind") == APP_STILL_SPENDING]


def test_an_app_whose_tokens_outlive_the_removal_is_alerted_once(
    stack_factory: Callable[..., LocalStack],
) -> None:
    # Given the strict reading: tokens issued before the removal keep working
    stack, braked = _braked_etl(stack_factory, tokens_survive=True)
    # When the scheduled release runs twice, the window not recovered yet
    stack.release_recovered()
    (alert,) = _app_alerts(stack)
    stack.sandbox.advance(timedelta(minutes=5))
    stack.check()
    stack.release_recovered()
    # Then one critical alert named the app, the set and what to do
    assert alert.attributes["severity"] == "critical"
    assert APP in (alert.subject or "")
    assert SET in alert.body
    assert str(braked["incident_id"]) in alert.body
    assert "Revoke the app's OAuth tokens" in alert.body
    assert _app_alerts(stack) == []


def test_an_app_that_stopped_alerts_nothing(stack_factory: Callable[..., LocalStack]) -> None:
    stack, _ = _braked_etl(stack_factory, tokens_survive=False)
    stack.release_recovered()
    assert _app_alerts(stack) == []

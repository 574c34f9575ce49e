"""A client-credentials token answer in 2026 may carry no `id` (one report): apibrake then
learns its integration user from the UserInfo endpoint, or every scheduled Apex job would
read "restore NOT exact" (moto server + the sandbox over HTTP)."""

from __future__ import annotations

from collections.abc import Callable

from drill.stack import LocalStack
from sandbox.salesforce import SalesforceSettings
from tests.integration.brake_support import rows_by_name, statuses

INTEGRATION_USER_ZONE = "America/New_York"  # the sandbox integration user's time zone


def test_a_token_without_an_identity_still_names_the_integration_user(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(salesforce=SalesforceSettings(token_identity=False))
    stack.sandbox.salesforce.add_scheduled_job(
        "Rollup", apex_class="RollupJob", time_zone=INTEGRATION_USER_ZONE
    )
    stack.add_salesforce()
    stack.allow("sf-prod", "scheduled_apex:Rollup")

    report = stack.brake(connection_id="sf-prod", reason="test")

    assert statuses(report) == {"Rollup": "braked"}
    assert rows_by_name(report)["Rollup"]["before"]["inexact"] == []

"""Whether ApiTotalUsageEventLog takes COUNT(Id) ... GROUP BY is undocumented. Where the org
refuses it, the refusal is remembered for the connection (as an unlicensed object is) and
the next alert counts the newest events itself: no alert spends a call on it twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apibrake.attribution.memory import AttributionStore
from apibrake.models.attribution import AttributionSource
from drill.stack import LocalStack
from sandbox.salesforce import SalesforceSettings
from sandbox.salesforce.connector import HUBSPOT_USERNAME, records_costing


def _suspects(report: dict[str, Any]) -> dict[str, Any]:
    row = next(r for r in report["connections"] if r["connection_id"] == "sf-prod")
    suspects: dict[str, Any] = row["suspects"]
    return suspects


def test_refused_aggregates_are_remembered_and_plain_rows_rank_the_callers(
    stack_factory: Callable[..., LocalStack],
) -> None:
    settings = SalesforceSettings(event_monitoring_licensed=True, event_log_object_aggregates=False)
    stack = stack_factory(salesforce=settings)
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup_Hourly")
    org = stack.sandbox.salesforce
    org.add_flow(
        "Account_Rollup_Hourly", trigger_type="Scheduled", records_per_hour=records_costing(6_000)
    )
    org.add_external_consumer("Nightly ETL", 1_000)
    stack.sandbox.advance(timedelta(hours=2))
    earlier = stack.sandbox.clock.now() - timedelta(hours=5)  # outside the live window
    org.add_usage(58_000, at=earlier)  # past 70 %

    first = _suspects(stack.check())
    now = stack.sandbox.clock.now()
    memory = AttributionStore(stack.aws.client("dynamodb"), stack.aws.table_name("StateTable"))
    remembered = memory.unavailable("sf-prod", now=now)
    stack.sandbox.advance(timedelta(minutes=5))
    org.add_usage(10_000, at=earlier)  # past 80 %: another alert
    second = _suspects(stack.check())

    # SetupAuditTrail + the refused aggregate; the object itself stays available
    assert first["api_calls"] == 2
    assert AttributionSource.EVENT_LOG_AGGREGATES in remembered
    assert AttributionSource.EVENT_LOG_OBJECT not in remembered
    # SetupAuditTrail + the newest events, counted here
    assert second["api_calls"] == 2
    assert second["source"] == AttributionSource.EVENT_LOG_OBJECT.value
    # The connector syncing the rollup's changes spends the calls: the flow is no client.
    top = second["consumers"][0]
    assert HUBSPOT_USERNAME in top["name"] or top["name"].startswith("0H4")
    assert top["automation"] is None
    assert 0.8 < top["share"] < 0.9
    assert any("the newest 2,000 events only" in note for note in second["notes"])

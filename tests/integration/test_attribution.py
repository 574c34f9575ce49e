"""Attribution over the wire: the sandbox org records who made its calls, the daily
collection keeps yesterday's summary, and the monitor's alerts carry suspects gathered
within the per-alert budget (moto server + the sandbox over HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apibrake.attribution import AttributionStore
from apibrake.models.attribution import AttributionSource
from apibrake.store import table_keys
from drill.stack import LocalStack
from sandbox.salesforce import SalesforceSettings
from sandbox.salesforce.connector import HUBSPOT_USERNAME, records_costing

COLLECT = {"collect": "usage_files"}


def _memory(stack: LocalStack) -> AttributionStore:
    return AttributionStore(stack.aws.client("dynamodb"), stack.aws.table_name("StateTable"))


def _row(report: dict[str, Any], connection_id: str = "sf-prod") -> dict[str, Any]:
    return next(r for r in report["connections"] if r["connection_id"] == connection_id)


def _yesterday_of_calls(stack: LocalStack) -> None:
    """A whole UTC day of an ETL and of the HubSpot connector syncing a rollup flow's
    changes (240 calls an hour), then past the daily file's creation."""
    sandbox = stack.sandbox
    sandbox.salesforce.connector.settings.sync_error_share = 0
    start = sandbox.clock.now()
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    sandbox.advance(midnight - start)
    sandbox.salesforce.add_flow(
        "Account_Rollup_Hourly", trigger_type="Scheduled", records_per_hour=records_costing(240)
    )
    sandbox.salesforce.add_external_consumer("Nightly ETL", 60)
    sandbox.advance(timedelta(days=1, hours=2))


def test_daily_collection_keeps_yesterdays_summary_with_a_ttl(stack: LocalStack) -> None:
    stack.add_salesforce()
    _yesterday_of_calls(stack)
    first = stack.check(COLLECT)
    (collected,) = first["collected"]
    assert collected["status"] == "collected"
    assert collected["api_calls"] == 2  # the EventLogFile query and the download
    # The connector's last cycle of the day runs at midnight, in the next day's file.
    assert collected["total"] == 240 * 24 - 60 + 60 * 24
    assert collected["top"].startswith("HubSpot")  # the consumer, never the flow
    now = stack.sandbox.clock.now()
    (summary,) = _memory(stack).daily_summaries(
        "sf-prod", since=now.date() - timedelta(days=2), now=now
    )
    assert summary.day == (now - timedelta(days=1)).date()
    assert sum(summary.per_hour) == summary.total
    item = stack.aws.client("dynamodb").get_item(
        TableName=stack.aws.table_name("StateTable"),
        Key={
            "pk": {"S": table_keys.attribution_pk("sf-prod")},
            "sk": {"S": table_keys.daily_sk(summary.day)},
        },
    )["Item"]
    ttl_days = (int(item["expires_at"]["N"]) - now.timestamp()) / 86_400
    assert 29.9 < ttl_days <= 30.0
    # Collected once: the next run spends nothing
    (again,) = stack.check(COLLECT)["collected"]
    assert (again["status"], again["api_calls"]) == ("already collected", 0)


def test_collection_without_event_log_generation_says_how_to_turn_it_on(
    stack_factory: Callable[..., LocalStack],
) -> None:
    stack = stack_factory(salesforce=SalesforceSettings(event_log_generation=False))
    stack.add_salesforce()
    _yesterday_of_calls(stack)
    (collected,) = stack.check(COLLECT)["collected"]
    assert collected["status"] == "no file"
    assert "Generate event log files" in collected["note"]
    assert collected["api_calls"] == 1


def test_collection_without_the_permission_is_remembered(stack: LocalStack) -> None:
    stack.add_salesforce()
    _yesterday_of_calls(stack)
    stack.sandbox.salesforce.revoke_permissions("ViewEventLogFiles")
    (first,) = stack.check(COLLECT)["collected"]
    assert (first["status"], first["api_calls"]) == ("unavailable", 1)
    (second,) = stack.check(COLLECT)["collected"]
    assert (second["status"], second["api_calls"]) == ("unavailable", 0)


def test_alert_names_the_collected_top_consumer_and_the_change(
    stack: LocalStack,
) -> None:
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup_Hourly")
    _yesterday_of_calls(stack)
    stack.check(COLLECT)
    stack.sandbox.salesforce.add_flow("Mass_Update_Accounts", active_version=None)
    stack.sandbox.salesforce.activate_flow_by_hand("Mass_Update_Accounts", 1)
    stack.sandbox.salesforce.add_usage(75_000)  # ~82 %: alerts, well above the reserve
    row = _row(stack.check())
    suspects = row["suspects"]
    assert suspects["source"] == AttributionSource.DAILY_FILE.value
    # The daily file's top consumer leads the consumers; the mass update, activated after
    # the newest data, is the first driver on the audit trail's evidence.
    top = suspects["consumers"][0]
    promoted = suspects["drivers"][0]
    assert (promoted["name"], promoted["kind"]) == ("flow Mass_Update_Accounts", "activation")
    assert promoted["evidence"] == "after the newest usage data"
    assert promoted["who"] == "admin@apibrake.sandbox"
    assert promoted["allowlisted"] is False
    # The file names the consumer that spent the calls (HubSpot's connector syncing the
    # rollup's changes), never the flow: the flow drives it, it is no API client.
    assert top["name"].startswith("HubSpot connector (")
    assert top["automation"] is None
    assert suspects["changes"], suspects["notes"]
    change = suspects["changes"][0]
    assert change["action"] == "activatedinteractiondefversion"
    assert change["allowlisted"] is False  # Mass_Update_Accounts is not on the allowlist
    assert change["who"] == "admin@apibrake.sandbox"
    # usage read + SetupAuditTrail + ApiTotalUsageEventLog (refused: unlicensed org)
    assert suspects["api_calls"] == 2
    assert row["api_calls"] == 3
    assert any("ApiTotalUsageEventLog" in note for note in suspects["notes"])


def test_a_refused_source_is_not_asked_again(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.sandbox.salesforce.add_scheduled_job(
        "Hourly Territory Recalc", cron="0 0 * * * ?", apex_class="TerritoryRecalcJob",
        records_per_hour=records_costing(300),
    )  # fmt: skip
    stack.sandbox.advance(timedelta(hours=2))
    stack.sandbox.salesforce.add_usage(71_000)
    first = _row(stack.check())["suspects"]
    assert first["api_calls"] == 2  # SetupAuditTrail + the refused event log object
    now = stack.sandbox.clock.now()
    assert AttributionSource.EVENT_LOG_OBJECT in _memory(stack).unavailable("sf-prod", now=now)
    stack.sandbox.advance(timedelta(minutes=5))
    stack.sandbox.salesforce.add_usage(10_000)  # crosses 80 %: another alert
    second = _row(stack.check())["suspects"]
    # The event log object is skipped; its call goes to AsyncApexJob instead, whose runs
    # are a driver (runs, not calls), not a consumer
    assert second["api_calls"] == 2
    (runs,) = [d for d in second["drivers"] if d["kind"] == "scheduled_runs"]
    assert runs["name"] == "scheduled Apex job Hourly Territory Recalc"
    assert (runs["unit"], runs["count"] > 0) == ("runs", True)
    # The alert's two calls are spent: LoginHistory, a hint, is not asked
    assert not any(note.startswith(("logins in", "LoginHistory")) for note in second["notes"])


def test_licensed_org_ranks_live_callers(stack_factory: Callable[..., LocalStack]) -> None:
    stack = stack_factory(salesforce=SalesforceSettings(event_monitoring_licensed=True))
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup_Hourly")
    stack.sandbox.salesforce.add_flow(
        "Account_Rollup_Hourly", trigger_type="Scheduled", records_per_hour=records_costing(6_000)
    )
    stack.sandbox.salesforce.add_external_consumer("Nightly ETL", 1_000)
    stack.sandbox.advance(timedelta(hours=2))
    earlier = stack.sandbox.clock.now() - timedelta(hours=5)
    stack.sandbox.salesforce.add_usage(60_000, at=earlier)  # outside the live window
    suspects = _row(stack.check())["suspects"]
    assert suspects["source"] == AttributionSource.EVENT_LOG_OBJECT.value
    top, second = suspects["consumers"][:2]
    # The connector syncing the rollup's changes spends the calls: the flow is no client.
    assert HUBSPOT_USERNAME in top["name"] or top["name"].startswith("0H4")
    assert top["automation"] is None
    assert 0.8 < top["share"] < 0.9
    assert second["name"].startswith("0H4")  # the event log object names the app by id
    assert second["allowlisted"] is False


def test_no_source_call_out_of_the_reserve(stack: LocalStack) -> None:
    stack.add_salesforce(reserve_pct=10)
    stack.sandbox.salesforce.add_usage(89_999)  # one call short of the reserve (90,000)
    row = _row(stack.check())
    assert row["alerts_sent"]
    assert row["suspects"]["api_calls"] == 0
    assert row["api_calls"] == 1


def test_a_quiet_check_spends_nothing_on_attribution(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.sandbox.salesforce.add_usage(10_000)
    row = _row(stack.check())
    assert row["suspects"] is None
    assert row["api_calls"] == 1


def test_hubspot_suspects_come_free_from_usage_by_app_type(stack: LocalStack) -> None:
    stack.add_hubspot(service_key=True, api_versions={"usage": "2027-03-beta"})
    hubspot = stack.sandbox.hubspot
    hubspot.add_usage(int(hubspot.settings.daily_limit * 0.75))  # other (private) apps
    row = _row(stack.check(), "hs-main")
    suspects = row["suspects"]
    assert suspects["source"] == AttributionSource.USAGE_BY_APP_TYPE.value
    assert [c["name"] for c in suspects["consumers"]] == ["legacy private apps", "service keys"]
    assert suspects["api_calls"] == 0
    assert any("HubSpot shows calls per app only in its own UI" in n for n in suspects["notes"])


def test_an_exhausted_org_gets_the_collected_summary_and_no_call(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup_Hourly")
    _yesterday_of_calls(stack)
    stack.check(COLLECT)
    stack.sandbox.salesforce.add_usage(100_000)
    row = _row(stack.check())
    assert row["limit_exhausted"] is True
    suspects = row["suspects"]
    assert suspects["source"] == AttributionSource.DAILY_FILE.value
    assert suspects["consumers"][0]["name"].startswith("HubSpot connector (")
    assert suspects["api_calls"] == 0
    assert "refuses calls" in suspects["notes"][0]


def test_a_manual_brake_reports_the_collected_summary_at_no_call(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup_Hourly")
    _yesterday_of_calls(stack)
    stack.check(COLLECT)
    stack.check()  # a reading for the brake's reserve
    report = stack.brake(connection_id="sf-prod", reason="by hand")
    before = report["suspects_before"]["sf-prod"]
    assert before["source"] == AttributionSource.DAILY_FILE.value
    assert before["consumers"][0]["name"].startswith("HubSpot connector (")
    assert before["api_calls"] == 0

"""What the org counts: served calls, the calls integrations and HubSpot's connector spend (for
the records automations change), the rolling 24 hours and the daily limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx

from sandbox.salesforce import SalesforceSettings
from sandbox.salesforce.connector import records_costing
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import API, OrgClient, activation

TOTAL_REQUESTS = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]


def _every_counted_call(sf: OrgClient) -> list[Callable[[], httpx.Response]]:
    """One call to each counted endpoint (and an unknown resource, counted too)."""
    flow = sf.org.add_flow("Counted_Flow", versions=2)
    return [
        lambda: sf.get(f"{API}/limits/"),
        lambda: sf.query("SELECT Id FROM CronTrigger"),
        lambda: sf.query("SELECT Id FROM FlowDefinition", tooling=True),
        lambda: sf.patch_flow(flow.id, 2),
        lambda: sf.composite([activation(flow.id, 2, "f1")], all_or_none=False),
        lambda: sf.apex(""),
        lambda: sf.get(f"{API}/no/such/resource"),
    ]


def test_versions_list_is_free_and_needs_no_session(sf: OrgClient) -> None:
    response = sf.http.get("/services/data/")

    assert response.status_code == 200
    versions = response.json()
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    assert [v["version"] for v in versions] == [f"{major}.0" for major in range(53, 68)]
    assert "Sforce-Limit-Info" not in response.headers
    assert sf.org.usage()[0] == 0


def test_limits_shape_matches_salesforce(sf: OrgClient) -> None:
    sf.org.add_usage(1_500)

    body = sf.get(f"{API}/limits/").json()

    assert body["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - 1_501}
    assert body["DailyAsyncApexExecutions"] == {"Max": 250_000, "Remaining": 250_000}
    for name, entry in body.items():
        assert set(entry) >= {"Max", "Remaining"}, name


def test_limits_nest_per_app_entries_and_can_send_strings(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    settings = SalesforceSettings(
        daily_limit=15_000,
        per_app_entries={"Salesforce for iOS": (0, 0), "HubSpot": (5_000, 4_000)},
        numbers_as_strings=True,
    )
    client = OrgClient(sandbox_factory(salesforce=settings)).login()

    daily = client.get(f"{API}/limits/").json()["DailyApiRequests"]

    assert daily == {
        "Max": "15000",
        "Remaining": "14999",
        "Salesforce for iOS": {"Max": "0", "Remaining": "0"},
        "HubSpot": {"Max": "5000", "Remaining": "4000"},
    }
    client.close()


def test_every_counted_response_carries_limit_info_and_counts_once(sf: OrgClient) -> None:
    for number, call in enumerate(_every_counted_call(sf), start=1):
        response = call()

        assert response.headers["Sforce-Limit-Info"] == f"api-usage={number}/100000"
        assert sf.org.usage() == (number, 100_000)


def test_limit_info_extra_is_appended(sandbox_factory: Callable[..., Sandbox]) -> None:
    settings = SalesforceSettings(limit_info_extra="; per-app-api-usage=2/500(appName=apibrake)")
    client = OrgClient(sandbox_factory(salesforce=settings)).login()

    header = client.get(f"{API}/limits/").headers["Sforce-Limit-Info"]

    assert header == "api-usage=1/100000; per-app-api-usage=2/500(appName=apibrake)"
    client.close()


def test_unknown_api_version_is_404_and_not_counted(sf: OrgClient) -> None:
    response = sf.get("/services/data/v41.0/limits/")

    assert response.status_code == 404
    assert response.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]
    assert sf.org.usage()[0] == 0


def test_calls_age_out_of_the_rolling_window_gradually(sf: OrgClient) -> None:
    sf.org.add_usage(1_000)
    sf.sandbox.advance(timedelta(hours=12))
    sf.org.add_usage(500)

    sf.sandbox.advance(timedelta(hours=11, minutes=59))
    assert sf.org.usage()[0] == 1_500
    sf.sandbox.advance(timedelta(minutes=1))
    assert sf.org.usage()[0] == 500
    sf.sandbox.advance(timedelta(hours=13))
    assert sf.org.usage()[0] == 0


def test_served_calls_age_out_after_24_hours(sf: OrgClient) -> None:
    for _ in range(3):
        sf.get(f"{API}/limits/")

    sf.sandbox.advance(timedelta(hours=25))

    assert sf.org.usage()[0] == 0


def test_automations_cost_calls_only_through_the_connector_cycle_by_cycle(sf: OrgClient) -> None:
    sf.org.connector.settings.sync_error_share = 0  # every record syncs the first time
    sf.org.add_flow("Hourly_Rollup", records_per_run=int(records_costing(900)))
    sf.org.add_flow("Chatty_Trigger", records_per_hour=records_costing(120))
    sf.org.add_scheduled_job("Recalc", records_per_hour=records_costing(300))
    sf.org.set_background_rate(60)

    sf.sandbox.advance(timedelta(minutes=59))
    # The background as it goes; the cycles at 15, 30 and 45 minutes each synced the 15
    # minutes before them, over the 15 minutes after.
    assert sf.org.usage()[0] == 59 + (120 + 300) * 45 // 60
    sf.sandbox.advance(timedelta(hours=2))
    # Just before the 3-hour cycle: eleven cycles of steady changes, and the rollup's runs
    # at 60 and 120 minutes synced at 75 and 135; the run at 180 waits.
    assert sf.org.usage()[0] == 179 + (120 + 300) * 165 // 60 + 2 * 900


def test_burn_stops_a_cycle_after_a_flow_is_deactivated_and_a_job_aborted(sf: OrgClient) -> None:
    sf.org.connector.settings.sync_error_share = 0
    rollup = sf.org.add_flow("Hourly_Rollup", versions=2, records_per_run=int(records_costing(900)))
    job = sf.org.add_scheduled_job("Recalc", records_per_hour=records_costing(600))
    sf.sandbox.advance(timedelta(minutes=59))
    assert sf.org.usage()[0] == 450  # three cycles of the job's changes
    sf.sandbox.advance(timedelta(minutes=1))  # the rollup runs

    assert sf.patch_flow(rollup.id, 0).status_code == 204
    assert sf.apex(f"System.abortJob('{job.cron_trigger_id}');").json()["success"] is True
    sf.sandbox.advance(timedelta(hours=5))

    # The tail: the records changed before the brake still synced at the next cycle.
    assert sf.org.usage()[0] == 600 + 900 + 2


def test_inactive_flows_never_burn(sf: OrgClient) -> None:
    sf.org.add_flow("Off_Rollup", versions=2, active_version=None, records_per_run=4_500)

    sf.sandbox.advance(timedelta(hours=3))

    assert sf.org.usage()[0] == 0


def test_at_the_limit_every_counted_call_gets_403_and_is_not_counted(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    client = OrgClient(sandbox_factory(salesforce=SalesforceSettings(daily_limit=1_000))).login()
    calls = _every_counted_call(client)
    client.org.add_usage(1_000)

    for call in calls:
        response = call()

        assert response.status_code == 403
        assert response.json() == TOTAL_REQUESTS
        assert response.headers["Sforce-Limit-Info"] == "api-usage=1000/1000"
    assert client.org.usage() == (1_000, 1_000)
    assert client.http.get("/services/data/").status_code == 200
    assert client.client_credentials().status_code == 200
    client.close()


def test_integrations_calling_directly_keep_burning_past_the_limit(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(daily_limit=1_000))
    client = OrgClient(sandbox).login()
    sandbox.salesforce.add_external_consumer("Nightly ETL", 600)

    sandbox.advance(timedelta(hours=3))
    response = client.get(f"{API}/limits/")

    assert sandbox.salesforce.usage() == (1_800, 1_000)
    assert response.status_code == 403
    assert response.headers["Sforce-Limit-Info"] == "api-usage=1800/1000"
    client.close()


def test_limits_remaining_stops_at_zero_while_the_header_shows_the_overrun(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(daily_limit=1_000))
    client = OrgClient(sandbox).login()
    client.org.add_usage(998)
    first = client.get(f"{API}/limits/")
    client.org.add_usage(50)
    second = client.get(f"{API}/limits/")

    assert first.json()["DailyApiRequests"] == {"Max": 1_000, "Remaining": 1}
    assert second.status_code == 403
    sandbox.advance(timedelta(hours=24))
    assert client.get(f"{API}/limits/").json()["DailyApiRequests"]["Remaining"] == 999
    client.close()


def test_the_tooling_composite_counts_as_one_call(sf: OrgClient) -> None:
    flows = [sf.org.add_flow(f"Flow_{n}", versions=2) for n in range(5)]

    sf.composite([activation(f.id, 0, f"f{n}") for n, f in enumerate(flows)], all_or_none=False)

    assert sf.org.usage()[0] == 1

"""What the org records about who made its calls: ApiTotalUsage event log files (daily, and
hourly in a licensed org), ApiTotalUsageEventLog, SetupAuditTrail and AsyncApexJob runs
(docs/platform-notes.md A1-A6), all over HTTP."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from sandbox.salesforce import SalesforceSettings
from sandbox.salesforce.callers import app_id
from sandbox.salesforce.connector import HUBSPOT_USERNAME, records_costing
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import API, OrgClient

DAILY = (
    "SELECT Id, LogDate, Interval, Sequence, LogFileFieldNames, LogFile FROM EventLogFile "
    "WHERE EventType = 'ApiTotalUsage' AND Interval = 'Daily' ORDER BY LogDate DESC"
)


def _day_of_calls(sandbox: Sandbox) -> None:
    """A flow changes accounts the HubSpot connector syncs (120 calls an hour) and an ETL
    calls directly, for a whole UTC day; then the clock moves past the daily file's
    generation."""
    sf = sandbox.salesforce
    start = sandbox.clock.now()
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    sandbox.clock.advance(midnight - start)
    sf.add_flow(
        "Account_Rollup_Hourly", trigger_type="Scheduled", records_per_hour=records_costing(120)
    )
    sf.add_external_consumer("Nightly ETL", 60)
    sandbox.clock.advance(timedelta(days=1, hours=2))


def _rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


def test_daily_file_lists_each_callers_counted_calls(sandbox: Sandbox) -> None:
    _day_of_calls(sandbox)
    sf = OrgClient(sandbox).login()
    records = sf.query(DAILY).json()["records"]
    assert len(records) == 1
    assert records[0]["Interval"] == "Daily"
    assert records[0]["Sequence"] == 0
    assert records[0]["LogDate"].endswith("T00:00:00.000+0000")
    response = sf.get(records[0]["LogFile"])
    assert response.status_code == 200
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert response.headers["Content-Type"] == "application/octetstream"
    assert "Sforce-Limit-Info" in response.headers
    rows = _rows(response.text)
    assert list(rows[0]) == records[0]["LogFileFieldNames"].split(",")
    # As real files: every header and value quoted; ids of 15 characters
    assert response.text.startswith('"EVENT_TYPE","TIMESTAMP",')
    assert {len(row["CONNECTED_APP_ID"]) for row in rows} <= {0, 15}
    by_client = Counter(row["CLIENT_NAME"] for row in rows)
    by_app = Counter(row["CONNECTED_APP_NAME"] for row in rows)
    # The flow is no API client: the connector that syncs its changes is. Its last cycle
    # of the day runs after midnight, in the next day's file.
    assert "Account_Rollup_Hourly" not in by_client
    assert 120 * 24 - 2 * 30 <= by_app["HubSpot"] <= 120 * 24
    assert {row["USER_NAME"] for row in rows if row["CONNECTED_APP_NAME"] == "HubSpot"} == {
        HUBSPOT_USERNAME
    }
    assert by_app["Nightly ETL"] == 60 * 24
    assert {row["COUNTS_AGAINST_API_LIMIT"] for row in rows} == {"1"}
    assert all(row["TIMESTAMP_DERIVED"].startswith(records[0]["LogDate"][:10]) for row in rows)


def test_unlicensed_org_has_no_hourly_files_and_no_event_log_object(sandbox: Sandbox) -> None:
    _day_of_calls(sandbox)
    sf = OrgClient(sandbox).login()
    hourly = sf.query(
        "SELECT Id FROM EventLogFile WHERE EventType = 'ApiTotalUsage' AND Interval = 'Hourly'"
    )
    assert hourly.json()["records"] == []
    refused = sf.query(
        "SELECT ClientName, COUNT(Id) calls FROM ApiTotalUsageEventLog GROUP BY ClientName"
    )
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'ApiTotalUsageEventLog' is not supported" in refused.json()[0]["message"]


def test_unlicensed_daily_file_is_gone_a_day_after_it_was_created(sandbox: Sandbox) -> None:
    _day_of_calls(sandbox)
    sf = OrgClient(sandbox).login()
    file_url = sf.query(DAILY).json()["records"][0]["LogFile"]
    sandbox.clock.advance(timedelta(days=1))
    assert all(r["LogFile"] != file_url for r in sf.query(DAILY).json()["records"])
    assert sf.get(file_url).status_code == 404


def test_licensed_org_serves_hourly_files_and_grouped_event_log_rows(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(event_monitoring_licensed=True))
    _day_of_calls(sandbox)
    sf = OrgClient(sandbox).login()
    hourly = sf.query(
        "SELECT Id, Sequence, LogFile FROM EventLogFile WHERE EventType = 'ApiTotalUsage' "
        "AND Interval = 'Hourly' ORDER BY LogDate DESC LIMIT 2"
    ).json()["records"]
    assert len(hourly) == 2
    assert all(r["Sequence"] >= 1 for r in hourly)
    since = (sandbox.clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    soql = (
        "SELECT ClientName, ConnectedAppIdentifier, COUNT(Id) calls FROM ApiTotalUsageEventLog "
        "WHERE Timestamp >= SINCE AND IsApiLimitCounted = true "
        "GROUP BY ClientName, ConnectedAppIdentifier ORDER BY COUNT(Id) DESC LIMIT 10"
    )
    grouped = sf.query(soql.replace("SINCE", since))
    assert grouped.status_code == 200, grouped.text
    records = grouped.json()["records"]
    assert records[0]["attributes"] == {"type": "AggregateResult"}
    assert records[0]["ConnectedAppIdentifier"] == app_id("HubSpot")
    assert all(r["ClientName"] != "Account_Rollup_Hourly" for r in records)
    assert 230 <= records[0]["calls"] <= 270  # eight or nine 15-minute cycles of 30 calls


def test_an_hour_processed_late_comes_in_several_files_that_add_up(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    """ "A new log file is created for the event/date/hour and lists only the new events":
    Sequence 1, 2, ... with later CreatedDates, together the hour's calls."""
    settings = SalesforceSettings(event_monitoring_licensed=True, hourly_files_per_hour=2)
    sandbox = sandbox_factory(salesforce=settings)
    _day_of_calls(sandbox)
    sf = OrgClient(sandbox).login()
    records = sf.query(
        "SELECT Id, LogDate, Sequence, CreatedDate, LogFile FROM EventLogFile "
        "WHERE EventType = 'ApiTotalUsage' AND Interval = 'Hourly' ORDER BY LogDate DESC"
    ).json()["records"]
    # The newest hour has its first file only; the one before has both by now.
    assert records[0]["Sequence"] == 1
    late = next(r for r in records if r["Sequence"] == 2)
    hour = [r for r in records if r["LogDate"] == late["LogDate"]]

    assert sorted(r["Sequence"] for r in hour) == [1, 2]
    first, second = sorted(hour, key=lambda r: r["Sequence"])
    assert first["CreatedDate"] < second["CreatedDate"]
    calls = [
        Counter(row["CONNECTED_APP_ID"] for row in _rows(sf.get(r["LogFile"]).text))
        for r in (first, second)
    ]
    # Every caller of the hour (the ETL, the connector syncing the flow's changes) has calls
    # in both files
    assert set(calls[0]) == set(calls[1])
    assert all(calls[0][app] > 0 and calls[1][app] > 0 for app in calls[0])
    assert len(calls[0]) >= 2


def test_strict_event_log_object_refuses_aggregates_and_serves_plain_rows(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    settings = SalesforceSettings(event_monitoring_licensed=True, event_log_object_aggregates=False)
    sandbox = sandbox_factory(salesforce=settings)
    _day_of_calls(sandbox)
    sf = OrgClient(sandbox).login()

    grouped = sf.query(
        "SELECT ClientName, COUNT(Id) calls FROM ApiTotalUsageEventLog GROUP BY ClientName"
    )
    plain = sf.query(
        "SELECT ClientName, Timestamp FROM ApiTotalUsageEventLog "
        "WHERE IsApiLimitCounted = true ORDER BY Timestamp DESC LIMIT 50"
    )

    assert grouped.status_code == 400
    assert grouped.json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert plain.status_code == 200, plain.text
    assert len(plain.json()["records"]) == 50


def test_without_view_event_log_files_the_object_is_hidden(sandbox: Sandbox) -> None:
    _day_of_calls(sandbox)
    sandbox.salesforce.revoke_permissions("ViewEventLogFiles")
    answer = OrgClient(sandbox).login().query(DAILY)
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "INVALID_TYPE"


def test_log_generation_off_means_no_files(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(event_log_generation=False))
    _day_of_calls(sandbox)
    assert OrgClient(sandbox).login().query(DAILY).json()["records"] == []


def test_our_own_calls_are_recorded_with_their_client_name(sandbox: Sandbox) -> None:
    sf = OrgClient(sandbox).login()
    start = sandbox.clock.now()
    sandbox.clock.advance(start.replace(hour=0, minute=0) + timedelta(days=1) - start)
    for _ in range(3):
        assert (
            sf.http.get(
                f"{API}/limits/",
                headers={
                    "Authorization": f"Bearer {sf.token}",
                    "Sforce-Call-Options": "client=apibrake",
                },
            ).status_code
            == 200
        )
    sandbox.clock.advance(timedelta(days=1, hours=2))
    body = sf.get(sf.query(DAILY).json()["records"][0]["LogFile"]).text
    ours = [r for r in _rows(body) if r["CLIENT_NAME"] == "apibrake"]
    assert len(ours) == 3
    assert {r["CONNECTED_APP_NAME"] for r in ours} == {"apibrake"}
    assert {r["API_RESOURCE"] for r in ours} == {"/v62.0/limits"}


def test_setup_audit_trail_records_flow_activation_and_app_install(sandbox: Sandbox) -> None:
    sf_org = sandbox.salesforce
    sf_org.add_flow("Mass_Update_Accounts", active_version=None)
    sandbox.clock.advance(timedelta(minutes=5))
    sf_org.activate_flow_by_hand("Mass_Update_Accounts", 1)
    sf_org.add_external_consumer("Death Star ETL", 100, installed_by_hand=True)
    rows = (
        OrgClient(sandbox)
        .login()
        .query(
            "SELECT CreatedDate, CreatedBy.Username, Action, Section, Display FROM SetupAuditTrail "
            "ORDER BY CreatedDate DESC LIMIT 200"
        )
        .json()["records"]
    )
    actions = [row["Action"] for row in rows]
    assert "activatedinteractiondefversion" in actions
    assert "insertConnectedApplication" in actions
    activation = next(r for r in rows if r["Action"] == "activatedinteractiondefversion")
    assert 'Unique Name "Mass_Update_Accounts"' in activation["Display"]
    assert activation["CreatedBy"]["Username"] == "admin@apibrake.sandbox"


def test_scheduled_jobs_leave_completed_async_apex_runs(sandbox: Sandbox) -> None:
    """Grouped by class, and by the job's name through CronTrigger.CronJobDetail."""
    sandbox.salesforce.add_scheduled_job(
        "Hourly Territory Recalc",
        cron="0 0 * * * ?",
        apex_class="TerritoryRecalcJob",
        records_per_hour=1_500,
    )
    sandbox.clock.advance(timedelta(hours=3))
    runs = (
        OrgClient(sandbox)
        .login()
        .query(
            "SELECT ApexClass.Name, COUNT(Id) runs FROM AsyncApexJob "
            "WHERE JobType = 'ScheduledApex' AND Status = 'Completed' GROUP BY ApexClass.Name"
        )
        .json()["records"]
    )
    assert runs == [
        {"attributes": {"type": "AggregateResult"}, "Name": "TerritoryRecalcJob", "runs": 3}
    ]
    by_job = (
        OrgClient(sandbox)
        .login()
        .query(
            "SELECT CronTrigger.CronJobDetail.Name, COUNT(Id) runs FROM AsyncApexJob "
            "WHERE JobType = 'ScheduledApex' AND Status = 'Completed' "
            "GROUP BY CronTrigger.CronJobDetail.Name"
        )
        .json()["records"]
    )
    assert by_job == [
        {"attributes": {"type": "AggregateResult"}, "Name": "Hourly Territory Recalc", "runs": 3}
    ]

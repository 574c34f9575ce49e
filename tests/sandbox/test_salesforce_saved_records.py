"""Who last saved the org's business records, as SOQL sees it: an automation's work shows as
its running user's changes (LastModifiedById), counted once per record however often it is
rewritten, and never as API calls (docs/platform-notes.md S6)."""

from __future__ import annotations

from datetime import datetime, timedelta

from apibrake.platforms.salesforce.activity import record_changes_soql
from sandbox.salesforce.automations import AUTOMATED_PROCESS_USER
from sandbox.salesforce.connector import HUBSPOT_USERNAME
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import OrgClient

# What attribution sends (apibrake/platforms/salesforce/activity.py record_changes_soql).
CHANGED_SINCE = (
    "SELECT LastModifiedById, LastModifiedBy.Username, COUNT(Id) records FROM {sobject} "
    "WHERE LastModifiedDate >= {since} GROUP BY LastModifiedById, LastModifiedBy.Username "
    "ORDER BY COUNT(Id) DESC LIMIT 5"
)


def _not_the_connector(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    return [row for row in rows if row[1] != HUBSPOT_USERNAME]


def _changed(sf: OrgClient, sobject: str, hours: int) -> list[tuple[str, str, int]]:
    since = (sf.org.clock.now() - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = sf.query(CHANGED_SINCE.format(sobject=sobject, since=since))
    assert response.status_code == 200, response.text
    return [
        (r["LastModifiedById"], r["Username"], r["records"]) for r in response.json()["records"]
    ]


def test_an_hourly_rollup_counts_its_records_once_as_the_automated_process_user(
    sandbox: Sandbox, sf: OrgClient
) -> None:
    # An hourly rollup rewriting the same 2,000 Accounts, and a job saving 100 Contacts an hour
    sf.org.add_flow("Account_Rollup_Hourly", trigger_type="Scheduled", records_per_run=2_000)
    sf.org.add_scheduled_job("Recalc", records_per_hour=100, changes_object="Contact")

    sandbox.advance(timedelta(hours=3, minutes=30))

    # Three runs rewrote the same records: 2,000 last saved, not 6,000
    autoproc_id, autoproc = AUTOMATED_PROCESS_USER
    accounts = _changed(sf, "Account", hours=24)
    assert _not_the_connector(accounts) == [(autoproc_id, autoproc, 2_000)]
    # The connector's write-backs are saves too, under its own user
    assert any(user == HUBSPOT_USERNAME and records > 0 for _, user, records in accounts)
    # A steady job's pool is its hour: the Contacts it saved in the last hour
    [(_, owner, records)] = _not_the_connector(_changed(sf, "Contact", hours=1))
    assert owner == sf.org.settings.username
    assert records == 100
    # Objects nobody changed have no rows; the saves themselves cost no call
    assert _changed(sf, "Lead", hours=24) == []


def test_max_last_modified_date_dates_each_users_newest_change(
    sandbox: Sandbox, sf: OrgClient
) -> None:
    # A data-load flow saving Leads for 12 minutes, then switched off
    sf.org.add_flow("Lead_Import", records_per_hour=6_000, changes_object="Lead")
    sandbox.advance(timedelta(minutes=12))
    switched_off = sf.org.clock.now()
    sf.org.activate_flow_by_hand("Lead_Import", None)
    sandbox.advance(timedelta(minutes=8))

    # When: the drivers check asks for each changing user's newest change
    since = sf.org.clock.now() - timedelta(minutes=30)
    response = sf.query(record_changes_soql("Lead", since, latest=True))

    # Then: one row, about 1,200 records, whose newest change is the minute it stopped
    assert response.status_code == 200, response.text
    [row] = [r for r in response.json()["records"] if r["Username"] != HUBSPOT_USERNAME]
    assert 1_100 <= row["records"] <= 1_300
    latest = datetime.strptime(row["latest"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert switched_off - timedelta(minutes=2) <= latest <= switched_off

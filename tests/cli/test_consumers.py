"""`apibrake consumers` against the local stack: the collected daily summary ranked, recent
setup changes named, the source and its age said, the calls spent counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apibrake.attribution import AttributionStore, CallerCalls, DailySummary
from apibrake.models.attribution import AttributionSource
from apibrake.models.usage import ReadingSource, UsageReading, UsageScope
from apibrake.store.state import StateStore
from apibrake_cli.errors import ExitCode
from localaws import LocalAws
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json


def _now_in_sandbox(sandbox: Sandbox) -> datetime:
    """The CLI reads the wall clock: bring the sandbox's to it."""
    now = datetime.now(UTC)
    sandbox.clock.set(now)
    return now


def _collected_yesterday(aws: LocalAws, now: datetime) -> None:
    day = (now - timedelta(days=1)).date()
    summary = DailySummary(
        connection_id="sf-local",
        day=day,
        collected_at=now - timedelta(hours=3),
        total=10_000,
        consumers=[
            CallerCalls(client="Account_Revenue_Rollup", user="autoproc@x", calls=7_000),
            CallerCalls(connected_app="Nightly ETL", user="etl@x", calls=3_000),
        ],
    )
    AttributionStore(aws.client("dynamodb"), aws.table_name("StateTable")).put_daily_summary(
        summary
    )


def test_consumers_ranks_the_collected_summary_and_names_recent_changes(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    now = _now_in_sandbox(sandbox)
    _collected_yesterday(aws, now)
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    sandbox.salesforce.add_flow("Mass_Update_Accounts", active_version=None)
    sandbox.salesforce.activate_flow_by_hand("Mass_Update_Accounts", 1)
    result = connected("consumers", "sf-local", "--json")
    assert result.exit_code == 0, result.output
    answer = as_json(result)
    assert answer["source"] == "ApiTotalUsage daily file"
    # The mass update, activated after the newest data, is the first driver on that evidence.
    top, second = answer["consumers"]
    promoted = answer["drivers"][0]
    assert (promoted["name"], promoted["allowlisted"]) == ("flow Mass_Update_Accounts", False)
    assert promoted["evidence"] == "after the newest usage data"
    assert (top["automation"], top["allowlisted"], top["share"]) == (
        "flow:Account_Revenue_Rollup",
        True,
        0.7,
    )
    assert second["allowlisted"] is False
    assert answer["changes"][0]["display"].endswith('Unique Name "Mass_Update_Accounts"')
    # /limits (no reading yet) + SetupAuditTrail + the refused ApiTotalUsageEventLog +
    # AsyncApexJob runs (too few calls left for an hourly file's two)
    assert answer["api_calls"] == 4
    assert any("ApiTotalUsageEventLog" in note for note in answer["notes"])
    assert answer["daily_summaries"][0]["total"] == 10_000


def test_consumers_table_says_the_source_and_its_age(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    now = _now_in_sandbox(sandbox)
    _collected_yesterday(aws, now)
    result = connected("consumers", "sf-local", "--since", "1d")
    assert result.exit_code == 0, result.output
    assert "Consumers of sf-local" in result.stdout
    assert "source: ApiTotalUsage daily file, data as of" in result.stdout
    assert "Nightly ETL" in result.stdout
    assert "needs a person" in result.stdout
    assert "API calls spent on this answer" in result.stderr


def test_licensed_org_without_the_event_log_object_reads_the_newest_hourly_file(
    connected: Run, sandbox: Sandbox
) -> None:
    now = _now_in_sandbox(sandbox)
    org = sandbox.salesforce
    org.settings.event_monitoring_licensed = True
    org.revoke_permissions("ViewEventLogObjectData")
    assert now  # the quiet scenario's 200 calls an hour of background traffic fill each hour
    # The first answer finds the event log object refused (and remembers it): with
    # SetupAuditTrail that leaves one call of three, too few for a file
    first = as_json(connected("consumers", "sf-local", "--json"))
    assert first["source"] == "none"
    assert any("ApiTotalUsageEventLog: not available" in note for note in first["notes"])
    result = connected("consumers", "sf-local", "--json")
    assert result.exit_code == 0, result.output
    answer = as_json(result)
    assert answer["source"] == "ApiTotalUsage hourly file"
    assert 198 <= answer["consumers"][0]["calls"] <= 200
    assert answer["consumers"][0]["share"] > 0.95
    assert answer["consumers"][0]["name"].startswith("Background integrations")
    # /limits (no monitor reading) + SetupAuditTrail + the file's query and download
    assert answer["api_calls"] == 4


def test_hubspot_consumers_come_from_the_last_reading_for_free(
    connected: Run, aws: LocalAws
) -> None:
    now = datetime.now(UTC)
    state = StateStore(
        aws.client("dynamodb"), aws.table_name("StateTable"), reading_ttl=timedelta(days=2)
    )
    state.put_reading(
        "hs-local",
        UsageReading(
            used=300_000,
            limit=500_000,
            taken_at=now - timedelta(minutes=4),
            source=ReadingSource.USAGE_ENDPOINT,
            scope=UsageScope.ALL_APP_TYPES,
            by_app_type={"SERVICE_KEY": 200_000, "LEGACY_PRIVATE_APP": 100_000},
        ),
    )
    result = connected("consumers", "hs-local", "--json")
    assert result.exit_code == 0, result.output
    answer = as_json(result)
    assert [c["name"] for c in answer["consumers"]] == ["service keys", "legacy private apps"]
    assert answer["api_calls"] == 0


def test_a_bad_since_names_the_option(connected: Run) -> None:
    result = connected("consumers", "sf-local", "--since", "soon")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "--since" in result.stderr


def _record_changes_refused_before(aws: LocalAws) -> None:
    AttributionStore(aws.client("dynamodb"), aws.table_name("StateTable")).remember_unavailable(
        "sf-local",
        AttributionSource.RECORD_CHANGES,
        "not available to this connection (NOT_FOUND)",
        now=datetime.now(UTC),
    )


def test_a_call_left_after_the_other_sources_reads_the_login_hint(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    _now_in_sandbox(sandbox)
    sandbox.salesforce.switches.add_integration_user(
        "etl@acme.com", name="Nightly ETL", calls_per_hour=600
    )
    # The first answers spend their three calls each, learning that the org has neither
    # the event log object nor hourly files (each remembered); with the record changes
    # refused before (remembered too), the next has one call left.
    _record_changes_refused_before(aws)
    for _ in range(2):
        earlier = as_json(connected("consumers", "sf-local", "--json"))
        assert not any(note.startswith("logins in the last") for note in earlier["notes"])
    result = connected("consumers", "sf-local", "--json")
    assert result.exit_code == 0, result.output
    answer = as_json(result)
    hint = next(note for note in answer["notes"] if note.startswith("logins in the last 2 h"))
    assert "Nightly ETL (REST) 1" in hint
    assert "apibrake (REST)" in hint
    assert answer["source"] != "LoginHistory"  # a hint, never the ranking
    # /limits + SetupAuditTrail + AsyncApexJob + LoginHistory
    assert answer["api_calls"] == 4


def test_a_refused_login_history_is_remembered_and_not_asked_again(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    _now_in_sandbox(sandbox)
    sandbox.salesforce.revoke_permissions("ManageUsers", "MonitorLoginHistory")
    _record_changes_refused_before(aws)
    for _ in range(2):  # learn (and remember) the event log object and hourly files
        connected("consumers", "sf-local", "--json")
    refused = as_json(connected("consumers", "sf-local", "--json"))
    assert any("LoginHistory: not available" in note for note in refused["notes"])
    again = as_json(connected("consumers", "sf-local", "--json"))
    assert not any(note.startswith("LoginHistory") for note in again["notes"])
    # /limits + SetupAuditTrail + AsyncApexJob: the refused sources are not asked
    assert again["api_calls"] == 3


def test_the_table_lists_the_drivers_behind_the_consumers(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    now = _now_in_sandbox(sandbox)
    _collected_yesterday(aws, now)
    sandbox.salesforce.add_flow("Mass_Update_Accounts", active_version=None)
    sandbox.salesforce.activate_flow_by_hand("Mass_Update_Accounts", 1)
    result = connected("consumers", "sf-local")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Drivers (what changed the records the consumers read)" in text
    assert "flow Mass_Update_Accounts" in text
    assert "after the newest usage data" in text


def test_setup_changes_say_what_was_done_in_words(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    _collected_yesterday(aws, _now_in_sandbox(sandbox))
    sandbox.salesforce.add_flow("Mass_Update_Accounts", active_version=None)
    sandbox.salesforce.activate_flow_by_hand("Mass_Update_Accounts", 1)

    result = connected("consumers", "sf-local")
    answer = as_json(connected("consumers", "sf-local", "--json"))

    assert result.exit_code == 0, result.output
    code = answer["changes"][0]["action"]  # scripts keep Salesforce's own code
    assert code.lower().startswith("activatedinteractiondef")
    text = " ".join(result.stdout.split())
    assert "Recent setup changes" in text
    assert "activated flow" in text
    assert code not in result.stdout

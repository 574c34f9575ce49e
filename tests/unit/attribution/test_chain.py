"""Attribution v2 as a chain: the consumer that spends the calls, and the drivers behind it
(activations, record changes per object and user, scheduled runs), within the alert's two
calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apibrake.attribution import (
    CallBudget,
    CallerCalls,
    DailySummary,
    Gathering,
    collected_suspects,
    salesforce_suspects,
)
from apibrake.http.errors import RequestRejected
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import AttributionSource, DriverKind, Suspects
from apibrake.models.protected import KEEP_RUNNING, ProtectedConsumers
from apibrake.platforms.salesforce.models import SalesforceErrorItem

NOW = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
YESTERDAY = date(2026, 12, 6)
CONNECTOR = CallerCalls(connected_app="HubSpot", user="hubspot@acme.com", calls=8_200)
ETL = CallerCalls(connected_app="Nightly ETL", user="etl@acme.com", calls=1_800)
ACTIVATED = {
    "CreatedDate": "2026-12-07T09:58:00.000+0000",
    "CreatedBy": {"Username": "admin@acme.com"},
    "Action": "activatedinteractiondefversion",
    "Display": 'Activated flow version #3 "Rollup A" for flow with Unique Name "Rollup_A"',
}
STALE = {**ACTIVATED, "CreatedDate": "2026-12-05T08:00:00.000+0000"}
APIBRAKE_USER = "005Ak00000ApiBrkAAA"  # the 18-character id the token names


class _Refusal(list[dict[str, Any]]):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.error = SalesforceErrorItem(code, "refused")


class _Http:
    def __init__(self) -> None:
        self.billable_calls = 0


class FakeOrg:
    """Answers each source's query by the object it reads; counts a call per request."""

    def __init__(self, audit: list[dict[str, Any]] | None = None) -> None:
        self.http = _Http()
        self.asked: list[str] = []
        self.audit = audit if audit is not None else [ACTIVATED]

    async def running_user_id(self) -> str | None:
        return APIBRAKE_USER  # from the token: no call

    async def query(self, soql: str) -> list[dict[str, Any]]:
        self.http.billable_calls += 1
        source = soql.split(" FROM ", 1)[1].split()[0]
        self.asked.append(source)
        if source == "SetupAuditTrail":
            return self.audit
        if source == "AsyncApexJob":
            return [{"Name": "Nightly_Territory", "runs": 24}]
        if source == "ApiTotalUsageEventLog":
            raise _not_licensed()
        return []

    async def query_many(self, soqls: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
        self.http.billable_calls += 1  # one composite: one call
        self.asked.append("composite:" + ",".join(soqls))
        answers: dict[str, list[dict[str, Any]]] = {
            "Account": [
                {"LastModifiedById": "005A", "Username": "autoproc@acme.com", "records": 4_812},
                {"LastModifiedById": "005B", "Username": "ops@acme.com", "records": 40},
            ],
            "Contact": [{"LastModifiedById": "005C", "Username": "job@acme.com", "records": 900}],
        }
        return {name: answers.get(name, _Refusal("INVALID_TYPE")) for name in soqls}


def _not_licensed() -> Exception:
    # Salesforce answers for an object the org lacks as for an unknown one
    # (docs/platform-notes.md A3).
    return RequestRejected(
        "salesforce", "sObject type not supported", status=400, code="INVALID_TYPE"
    )


class FakeMemory:
    def __init__(self, *consumers: CallerCalls) -> None:
        self.summaries = [
            DailySummary(
                connection_id="sf",
                day=YESTERDAY,
                collected_at=NOW - timedelta(hours=5),
                total=10_000,
                consumers=list(consumers),
            )
        ]
        self.refused: dict[AttributionSource, str] = {}

    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]:
        return dict(self.refused)

    def daily_summaries(self, connection_id: str, *, since: Any, now: datetime) -> list[Any]:
        return self.summaries

    def remember_unavailable(
        self, connection_id: str, source: AttributionSource, reason: str, *, now: datetime
    ) -> None:
        self.refused[source] = reason


def _gather(org: FakeOrg, memory: FakeMemory, **options: Any) -> Suspects:
    entries = [AllowlistEntry(connection_id="sf", automation="flow:Rollup_A")]
    budget = CallBudget(limit=100_000, used=50_000, reserve_pct=5)
    job = Gathering("sf", org, entries, memory, budget, NOW, **options)
    return asyncio.run(salesforce_suspects(job))


def test_the_connector_is_the_consumer_and_the_records_it_syncs_name_the_drivers() -> None:
    # Given yesterday's summary led by the HubSpot connector, the event log object not
    # licensed (remembered), and a flow activated this morning
    memory = FakeMemory(CONNECTOR, ETL)
    memory.refused[AttributionSource.EVENT_LOG_OBJECT] = "not available"
    org = FakeOrg()
    # When an alert gathers its suspects within its two calls
    suspects = _gather(org, memory)
    # Then the consumer is the connector, kept running, with its share and window
    top = suspects.top
    assert top is not None
    assert top.name == "HubSpot connector (hubspot@acme.com)"
    assert (top.share, top.protected) == (0.82, KEEP_RUNNING)
    assert (suspects.window_start, suspects.window_end) == (
        datetime(2026, 12, 6, tzinfo=UTC),
        datetime(2026, 12, 7, tzinfo=UTC),
    )
    # And the drivers: the activation first, then the records changed, most first; the
    # record changes were read before the job runs, as the consumer syncs records
    assert org.asked == ["SetupAuditTrail", "composite:Contact,Lead,Account,Opportunity"]
    assert suspects.api_calls == 2
    assert [(d.kind, d.name, d.who, d.count) for d in suspects.drivers] == [
        (DriverKind.ACTIVATION, "flow Rollup_A", "admin@acme.com", None),
        (DriverKind.RECORD_CHANGES, "Account records", "autoproc@acme.com", 4_812),
        (DriverKind.RECORD_CHANGES, "Contact records", "job@acme.com", 900),
        (DriverKind.RECORD_CHANGES, "Account records", "ops@acme.com", 40),
    ]
    activation = suspects.drivers[0]
    assert (activation.automation, activation.allowlisted) == ("flow:Rollup_A", True)
    assert activation.evidence == "after the newest usage data"
    assert any("Lead: INVALID_TYPE" in note for note in suspects.notes)


def test_without_a_sync_consumer_the_job_runs_come_first_as_runs_not_calls() -> None:
    memory = FakeMemory(ETL)
    memory.refused[AttributionSource.EVENT_LOG_OBJECT] = "not available"
    org = FakeOrg(audit=[STALE])
    suspects = _gather(org, memory)
    assert org.asked == ["SetupAuditTrail", "AsyncApexJob"]
    runs = [d for d in suspects.drivers if d.kind is DriverKind.SCHEDULED_RUNS]
    assert [(d.name, d.count, d.unit) for d in runs] == [
        ("scheduled Apex job Nightly_Territory", 24, "runs")
    ]
    # An activation the data already covers is a driver without the "after" evidence
    assert suspects.drivers[0].evidence == ""
    assert suspects.top is not None
    assert suspects.top.protected == ""


def test_a_listed_consumer_is_protected_and_an_unrefused_source_spends_the_budget() -> None:
    # The event log object is tried (and refused): the budget's two calls are spent there
    memory = FakeMemory(ETL)
    org = FakeOrg()
    suspects = _gather(org, memory, protected=ProtectedConsumers(("etl@acme.com",)))
    assert org.asked == ["SetupAuditTrail", "ApiTotalUsageEventLog"]
    assert suspects.api_calls == 2
    assert suspects.top is not None
    assert suspects.top.protected.startswith("a protected consumer")


def test_collected_data_alone_marks_protection_too() -> None:
    memory = FakeMemory(CONNECTOR)
    suspects = collected_suspects("sf", memory, [], NOW, "collected data only")
    assert suspects.top is not None
    assert suspects.top.protected == KEEP_RUNNING


def test_a_run_mode_change_and_apibrakes_own_reactivation_are_no_activations() -> None:
    # Given, this morning, an admin switching Rollup_A's run mode and apibrake's own user
    # (its 15-character id) re-activating Lead_Router at a release
    run_mode = {**ACTIVATED, "Action": "activatedinteractiondefversionWithSystemMode"}
    released = {
        **ACTIVATED,
        "CreatedDate": "2026-12-07T10:30:00.000+0000",
        "CreatedById": APIBRAKE_USER[:15],
        "CreatedBy": {"Username": "apibrake@acme.com"},
        "Display": 'Activated flow version #2 "Router" for flow with Unique Name "Lead_Router"',
    }
    memory = FakeMemory(ETL)
    memory.refused[AttributionSource.EVENT_LOG_OBJECT] = "not available"
    suspects = _gather(FakeOrg(audit=[released, run_mode]), memory)
    # Then both are listed as changes, the release marked as apibrake's own
    assert [(c.action, c.by_apibrake) for c in suspects.changes] == [
        ("activatedinteractiondefversion", True),
        ("activatedinteractiondefversionWithSystemMode", False),
    ]
    # And neither is an activation driver, so neither is "after the newest usage data"
    assert [d for d in suspects.drivers if d.kind is DriverKind.ACTIVATION] == []
    assert all(d.evidence == "" for d in suspects.drivers)


def test_with_no_ranking_a_protected_sync_is_inferred_from_the_records_it_syncs() -> None:
    # Given no daily summary, the event log object not licensed, and the connection
    # protecting the HubSpot connector's user
    memory = FakeMemory()
    memory.summaries = []
    memory.refused[AttributionSource.EVENT_LOG_OBJECT] = "not available"
    org = FakeOrg()
    protected = ProtectedConsumers(("hubspot@acme.com",))
    # When an alert gathers its suspects
    suspects = _gather(org, memory, protected=protected)
    # Then the records changed are read before the job runs (a sync is the likely spender)
    assert org.asked == ["SetupAuditTrail", "composite:Contact,Lead,Account,Opportunity"]
    # And the connector is named as the consumer: inferred, uncounted, kept running
    top = suspects.top
    assert top is not None
    assert top.name == "HubSpot connector (hubspot@acme.com)"
    assert (top.calls, top.share, top.protected) == (0, None, KEEP_RUNNING)
    assert top.evidence == (
        "inferred, not counted: it syncs the Account, Contact records the drivers changed"
    )


def test_nothing_is_inferred_without_a_protected_sync_or_without_record_changes() -> None:
    memory = FakeMemory()
    memory.summaries = []
    memory.refused[AttributionSource.EVENT_LOG_OBJECT] = "not available"
    assert _gather(FakeOrg(), memory).consumers == []
    memory.refused[AttributionSource.RECORD_CHANGES] = "not available"
    protected = ProtectedConsumers(("hubspot@acme.com",))
    assert _gather(FakeOrg(), memory, protected=protected).consumers == []

"""The evidence discover --suggest ranks by: each source's answer read into runs and dated
changes, a refused source named with the platform's reason, and the ranking and proposals
built from them (runs, a daily share, a recent activation with who did it)."""

from __future__ import annotations

import asyncio
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apibrake.http.errors import RequestRejected
from apibrake.platforms.salesforce import activity
from apibrake_cli.suggest import Gathered, proposals, rank, salesforce_evidence

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class AnsweringOrg:
    """A client whose `query` answers by the queried object, or refuses it."""

    def __init__(self, answers: dict[str, list[dict[str, Any]]], refuse: set[str]) -> None:
        self.answers = answers
        self.refuse = refuse
        self.queries: list[str] = []

    async def query(self, soql: str) -> list[dict[str, Any]]:
        self.queries.append(soql)
        source = soql.split(" FROM ", 1)[1].split()[0]
        if source in self.refuse:
            raise RequestRejected(
                "salesforce", f"sObject type '{source}' is not supported", status=400
            )
        return self.answers.get(source, [])


ANSWERS = {
    "AsyncApexJob": [{"Name": "RecalcJob", "runs": 24}, {"Name": "OppSyncJob", "runs": 1}],
    "SetupAuditTrail": [
        {
            "CreatedDate": "2026-12-02T09:12:00.000+0000",
            "CreatedBy": {"Username": "admin@acme.com"},
            "Action": "activatedinteractiondefversion",
            "Display": 'Activated flow version #4 for flow with Unique Name "Runaway_Rollup"',
        },
        {
            "CreatedDate": "2026-11-30T09:00:00.000+0000",
            "CreatedBy": {"Username": "old@acme.com"},
            "Action": "activatedinteractiondefversion",
            "Display": 'Activated flow version #3 for flow with Unique Name "Runaway_Rollup"',
        },
        {"CreatedDate": "2026-12-02T08:00:00.000+0000", "Display": "Changed password policy"},
    ],
    "FlowDefinitionView": [
        {"ApiName": "Runaway_Rollup", "LastModifiedDate": "2026-12-02T09:12:00.000+0000"},
        {"ApiName": "Old_Flow", "LastModifiedDate": "2026-10-01T00:00:00.000+0000"},
        {"ApiName": "Pkg_Flow", "NamespacePrefix": "ns", "LastModifiedDate": "2026-12-01T00:00Z"},
    ],
    "CronTrigger": [
        {"CronJobDetail": {"Name": "Hourly Recalc"}, "CreatedDate": "2026-11-01T00:00:00.000Z"}
    ],
}
ROWS = [
    {"automation": "flow:Runaway_Rollup", "active": 4, "allowlisted": None},
    {"automation": "flow:Old_Flow", "active": 1, "allowlisted": None},
    {"automation": "flow:Off_Flow", "active": None, "allowlisted": None},
    {
        "automation": "scheduled_apex:Hourly Recalc",
        "active": "WAITING",
        "apex_class": "RecalcJob",
        "allowlisted": None,
    },
    {
        "automation": "scheduled_apex:Nightly Sync",
        "active": "WAITING",
        "apex_class": "OppSyncJob",
        "allowlisted": 1,
    },
]


def test_each_source_is_read_into_runs_and_dated_changes() -> None:
    org = AnsweringOrg(ANSWERS, refuse=set())

    gathered = asyncio.run(salesforce_evidence(org, NOW))

    assert len(org.queries) == 4
    assert "GROUP BY ApexClass.Name" in org.queries[0]
    assert "CreatedDate >= 2026-12-01T12:00:00Z" in org.queries[0]
    assert gathered.runs_by_class == {"RecalcJob": 24, "OppSyncJob": 1}
    rollup = gathered.found["flow:Runaway_Rollup"]
    assert rollup.activated == activity.Dated(
        datetime(2026, 12, 2, 9, 12, tzinfo=UTC), "admin@acme.com", "activatedinteractiondefversion"
    )  # the newest of its two activations
    assert "flow:ns__Pkg_Flow" in gathered.found
    assert gathered.found["scheduled_apex:Hourly Recalc"].modified is not None
    assert gathered.notes == []


def test_a_refused_source_is_named_and_the_others_still_count() -> None:
    org = AnsweringOrg(ANSWERS, refuse={"AsyncApexJob", "SetupAuditTrail"})

    gathered = asyncio.run(salesforce_evidence(org, NOW))

    assert gathered.runs_by_class == {}
    assert gathered.found["flow:Runaway_Rollup"].activated is None
    assert gathered.found["flow:Runaway_Rollup"].modified is not None
    assert [note.split(":")[0] for note in gathered.notes] == [
        "AsyncApexJob not available",
        "SetupAuditTrail not available",
    ]


def test_runs_shares_and_recent_activations_rank_and_become_allowlist_lines() -> None:
    gathered = asyncio.run(salesforce_evidence(AnsweringOrg(ANSWERS, refuse=set()), NOW))

    ranked = rank(ROWS, gathered, {"flow:Old_Flow": 0.4}, NOW)

    assert [item.row["automation"] for item in ranked][:3] == [
        "flow:Old_Flow",  # 40 % of yesterday's calls: 40
        "scheduled_apex:Hourly Recalc",  # 24 runs: 24
        "flow:Runaway_Rollup",  # activated 3 h ago: ~19.6
    ]
    proposed = proposals("sf-prod", ranked, NOW)
    assert [p["automation"] for p in proposed] == [
        "flow:Old_Flow",
        "scheduled_apex:Hourly Recalc",
        "flow:Runaway_Rollup",
    ]  # not the allowlisted job, not the flow that is off
    assert proposed[1]["evidence"] == ["24 runs in 24 h (AsyncApexJob)"]
    argv = shlex.split(proposed[2]["command"])
    assert argv[:5] == ["apibrake", "allowlist", "add", "sf-prod", "flow:Runaway_Rollup"]
    assert argv[6] == "suggested: changed 2.8 h ago by admin@acme.com (SetupAuditTrail)"


@pytest.mark.parametrize(
    "text",
    ["2026-12-02T09:12:00.000+0000", "2026-12-02T09:12:00Z", "2026-12-02T10:12:00.000+0100"],
)
def test_salesforce_datetimes_parse(text: str) -> None:
    org = AnsweringOrg(
        {"CronTrigger": [{"CronJobDetail": {"Name": "J"}, "CreatedDate": text}]}, set()
    )

    found = asyncio.run(activity.job_schedules(org))

    assert found["scheduled_apex:J"].at == datetime(2026, 12, 2, 9, 12, tzinfo=UTC)


def test_nothing_known_proposes_nothing_unless_the_platform_records_nothing() -> None:
    ranked = rank(ROWS, Gathered(), {}, NOW + timedelta(days=30))

    assert proposals("sf-prod", ranked, NOW) == []
    assert len(proposals("sf-prod", ranked, NOW, need_evidence=False)) == 3


def test_audit_actions_read_as_words() -> None:
    assert activity.action_words("activatedinteractiondefversion") == "activated flow version"
    assert activity.action_words("ActivatedInteractionDefinition") == "activated flow"
    assert activity.action_words("deactivatedinteractiondefinition") == "deactivated flow"
    assert activity.action_words("someFutureAction") == "someFutureAction"  # shown as recorded

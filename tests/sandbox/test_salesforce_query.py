"""The SOQL subset over REST and Tooling queries: fields, relationships, filters and paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from sandbox.salesforce import SalesforceSettings
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import OrgClient

FLOWS = (
    "SELECT Id, DeveloperName, NamespacePrefix, ActiveVersionId, LatestVersionId, "
    "ActiveVersion.VersionNumber, LatestVersion.VersionNumber FROM FlowDefinition "
    "WHERE DeveloperName IN ({names})"
)
CRON_TRIGGERS = (
    "SELECT Id, CronJobDetail.Name, CronJobDetail.JobType, CronExpression, State, NextFireTime, "
    "PreviousFireTime, TimesTriggered, TimeZoneSidKey, OwnerId FROM CronTrigger "
    "WHERE CronJobDetail.JobType = '7'"
)
QUEUED_CLASSES = (
    "SELECT ApexClass.Name, CronTriggerId FROM AsyncApexJob "
    "WHERE JobType = 'ScheduledApex' AND Status = 'Queued'"
)


def _records(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["records"]
    return records


def test_flow_definitions_come_back_with_nested_versions(sf: OrgClient) -> None:
    on = sf.org.add_flow("Account_Rollup", versions=3, active_version=2)
    sf.org.add_flow("Lead_Router", versions=1, active_version=None, namespace="acme")
    sf.org.add_flow("Not_Asked_For")

    response = sf.query(FLOWS.format(names="'Account_Rollup', 'Lead_Router'"), tooling=True)

    body = response.json()
    assert {key: body[key] for key in ("size", "totalSize", "done", "queryLocator")} == {
        "size": 2,
        "totalSize": 2,
        "done": True,
        "queryLocator": None,
    }
    assert body["entityTypeName"] == "FlowDefinition"
    first, second = _records(response)
    assert first == {
        "attributes": {
            "type": "FlowDefinition",
            "url": f"/services/data/v62.0/tooling/sobjects/FlowDefinition/{on.id}",
        },
        "Id": on.id,
        "DeveloperName": "Account_Rollup",
        "NamespacePrefix": None,
        "ActiveVersionId": on.versions[1].id,
        "LatestVersionId": on.versions[2].id,
        "ActiveVersion": {
            "attributes": {
                "type": "Flow",
                "url": f"/services/data/v62.0/tooling/sobjects/Flow/{on.versions[1].id}",
            },
            "VersionNumber": 2,
        },
        "LatestVersion": {
            "attributes": {
                "type": "Flow",
                "url": f"/services/data/v62.0/tooling/sobjects/Flow/{on.versions[2].id}",
            },
            "VersionNumber": 3,
        },
    }
    assert second["Id"].startswith("300")
    assert second["NamespacePrefix"] == "acme"
    assert second["ActiveVersionId"] is None
    assert second["ActiveVersion"] is None
    assert second["LatestVersion"]["VersionNumber"] == 1


def test_ids_are_salesforce_shaped(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=2)
    job = sf.org.add_scheduled_job("Recalc")

    assert flow.id.startswith("300")
    assert len(flow.id) == 18
    assert {v.id[:3] for v in flow.versions} == {"301"}
    assert job.cron_trigger_id.startswith("08e")
    assert job.async_apex_job_id.startswith("707")


def test_flow_definition_view_is_active_means_latest_is_active(sf: OrgClient) -> None:
    sf.org.add_flow("Older_Version_On", versions=3, active_version=2)
    sf.org.add_flow("Latest_On", versions=2, process_type="Workflow", trigger_type=None)
    sf.org.add_flow("Draft_On_Top", versions=3, latest_is_draft=True)

    records = _records(
        sf.query(
            "SELECT DurableId, ApiName, ProcessType, TriggerType, IsActive, ActiveVersionId "
            "FROM FlowDefinitionView ORDER BY ApiName"
        )
    )

    summary = {r["ApiName"]: (r["IsActive"], r["ActiveVersionId"] is not None) for r in records}
    assert summary == {
        "Draft_On_Top": (False, True),
        "Latest_On": (True, True),
        "Older_Version_On": (False, True),
    }
    assert records[1]["ProcessType"] == "Workflow"
    assert records[1]["TriggerType"] is None
    assert records[0]["attributes"]["url"].endswith(
        f"/FlowDefinitionView/{records[0]['DurableId']}"
    )


def test_cron_triggers_and_their_classes(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job(
        "Nightly Sync", cron="0 0 2 * * ?", apex_class="OppSyncJob", time_zone="America/New_York"
    )

    (trigger,) = _records(sf.query(CRON_TRIGGERS))
    (queued,) = _records(sf.query(QUEUED_CLASSES))

    assert trigger["Id"] == job.cron_trigger_id
    assert trigger["CronJobDetail"]["Name"] == "Nightly Sync"
    assert trigger["CronJobDetail"]["JobType"] == "7"
    assert trigger["CronJobDetail"]["attributes"]["type"] == "CronJobDetail"
    assert trigger["CronExpression"] == "0 0 2 * * ?"
    assert trigger["State"] == "WAITING"
    # 06:00 UTC on 2 Nov 2026 is 01:00 in New York (EST): the next 02:00 local is 07:00 UTC.
    assert trigger["NextFireTime"] == "2026-11-02T07:00:00.000+0000"
    assert trigger["TimeZoneSidKey"] == "America/New_York"
    assert trigger["OwnerId"].startswith("005")
    assert queued["ApexClass"]["Name"] == "OppSyncJob"
    assert queued["CronTriggerId"] == job.cron_trigger_id
    assert _records(sf.query(CRON_TRIGGERS, tooling=True))[0]["Id"] == job.cron_trigger_id


def test_an_executing_job_has_a_processing_run_and_an_end_date_shows(sf: OrgClient) -> None:
    ends = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    job = sf.org.add_scheduled_job("Until New Year", state="EXECUTING", end_time=ends)

    (trigger,) = _records(sf.query("SELECT State, StartTime, EndTime FROM CronTrigger"))
    runs = _records(sf.query("SELECT Status, CronTriggerId FROM AsyncApexJob"))

    assert (trigger["State"], trigger["EndTime"]) == ("EXECUTING", "2026-12-31T23:00:00.000+0000")
    assert trigger["StartTime"] is not None
    assert [(r["Status"], r["CronTriggerId"]) for r in runs] == [
        ("Processing", job.cron_trigger_id)
    ]


def test_cron_trigger_has_no_owner_relationship_but_created_by(sf: OrgClient) -> None:
    """A real org's describe gives CronTrigger the parents CronJobDetail, CreatedBy and
    LastModifiedBy; `Owner.` is refused as Salesforce refuses an unknown relationship."""
    sf.org.add_scheduled_job("Nightly Sync", cron="0 0 2 * * ?", apex_class="OppSyncJob")

    refused = sf.query("SELECT Id, Owner.Username FROM CronTrigger")
    (trigger,) = _records(sf.query("SELECT OwnerId, CreatedBy.Username FROM CronTrigger"))

    assert refused.status_code == 400
    (error,) = refused.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert "Didn't understand relationship 'Owner'" in error["message"]
    assert trigger["CreatedBy"]["Username"] == sf.org.records.users[trigger["OwnerId"]].username


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("DeveloperName = 'B_Flow'", ["B_Flow"]),
        ("DeveloperName != 'B_Flow'", ["A_Flow", "C_Flow"]),
        ("DeveloperName NOT IN ('A_Flow', 'C_Flow')", ["B_Flow"]),
        ("ActiveVersionId = null", ["C_Flow"]),
        ("ActiveVersionId != null AND NamespacePrefix = 'ns'", ["B_Flow"]),
        ("ActiveVersion.VersionNumber = 2", ["A_Flow"]),
        ("developername in ('a_flow')", ["A_Flow"]),
    ],
)
def test_where_clauses(sf: OrgClient, where: str, expected: list[str]) -> None:
    sf.org.add_flow("A_Flow", versions=2)
    sf.org.add_flow("B_Flow", namespace="ns")
    sf.org.add_flow("C_Flow", active_version=None)

    records = _records(
        sf.query(f"SELECT DeveloperName FROM FlowDefinition WHERE {where}", tooling=True)  # noqa: S608
    )

    assert [r["DeveloperName"] for r in records] == expected


def test_ids_match_in_15_character_form(sf: OrgClient) -> None:
    flow = sf.org.add_flow("A_Flow")

    records = _records(
        sf.query(f"SELECT Id FROM FlowDefinition WHERE Id = '{flow.id[:15]}'", tooling=True)  # noqa: S608
    )

    assert [r["Id"] for r in records] == [flow.id]


def test_limit_and_order(sf: OrgClient) -> None:
    for name in ("C_Flow", "A_Flow", "B_Flow"):
        sf.org.add_flow(name)

    records = _records(
        sf.query(
            "SELECT DeveloperName FROM FlowDefinition ORDER BY DeveloperName DESC LIMIT 2",
            tooling=True,
        )
    )

    assert [r["DeveloperName"] for r in records] == ["C_Flow", "B_Flow"]


@pytest.mark.parametrize("tooling", [False, True])
def test_paging_follows_next_records_url_one_call_per_page(
    sandbox_factory: Callable[..., Sandbox], tooling: bool
) -> None:
    client = OrgClient(sandbox_factory(salesforce=SalesforceSettings(query_page_size=2))).login()
    for n in range(5):
        client.org.add_scheduled_job(f"Job {n}")

    response = client.query("SELECT CronJobDetail.Name FROM CronTrigger", tooling=tooling)
    names, pages = [], []
    while True:
        body = response.json()
        pages.append(body)
        names += [r["CronJobDetail"]["Name"] for r in body["records"]]
        if body["done"]:
            break
        response = client.get(body["nextRecordsUrl"])

    assert names == [f"Job {n}" for n in range(5)]
    assert [p["totalSize"] for p in pages] == [5, 5, 5]
    prefix = (
        "/services/data/v62.0/tooling/query/01g" if tooling else "/services/data/v62.0/query/01g"
    )
    assert pages[0]["nextRecordsUrl"].startswith(prefix)
    assert pages[0]["nextRecordsUrl"].endswith("-2")
    assert "nextRecordsUrl" not in pages[-1]
    if tooling:
        assert pages[0]["queryLocator"] == pages[0]["nextRecordsUrl"].rsplit("/", 1)[1]
    assert client.org.usage()[0] == 3
    client.close()


def test_unknown_query_locator_is_refused(sf: OrgClient) -> None:
    response = sf.get("/services/data/v62.0/query/01g5g0000000zzzAAA-2000")

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


@pytest.mark.parametrize(
    ("soql", "tooling", "error_code"),
    [
        ("SELECT Id FROM", False, "MALFORMED_QUERY"),
        ("SELECT Id CronTrigger", False, "MALFORMED_QUERY"),
        (
            "SELECT Id FROM CronTrigger WHERE State = 'WAITING' OR State = 'PAUSED'",
            False,
            "MALFORMED_QUERY",
        ),
        ("SELECT Id FROM CronTrigger LIMIT x", False, "MALFORMED_QUERY"),
        ("SELECT Id, Id FROM CronTrigger", False, "MALFORMED_QUERY"),
        ("SELECT Id FROM CronTrigger WHERE State = 'unterminated", False, "MALFORMED_QUERY"),
        ("SELECT Nope FROM CronTrigger", False, "INVALID_FIELD"),
        ("SELECT CronJobDetail.Nope FROM CronTrigger", False, "INVALID_FIELD"),
        ("SELECT Nope.Name FROM CronTrigger", False, "INVALID_FIELD"),
        ("SELECT Id FROM Account__x", False, "INVALID_TYPE"),
        ("SELECT Id FROM FlowDefinition", False, "INVALID_TYPE"),
        ("SELECT Id FROM FlowDefinitionView", True, "INVALID_TYPE"),
    ],
)
def test_bad_queries_get_a_400_error_array(
    sf: OrgClient, soql: str, tooling: bool, error_code: str
) -> None:
    response = sf.query(soql, tooling=tooling)

    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == error_code
    assert error["message"]


def test_missing_q_is_malformed(sf: OrgClient) -> None:
    response = sf.get("/services/data/v62.0/query/")

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_QUERY"

"""Scheduled Apex through executeAnonymous: abort, re-schedule and the ways they fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sandbox.salesforce import SalesforceSettings
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import OrgClient

SUCCESS = {
    "line": -1,
    "column": -1,
    "compiled": True,
    "success": True,
    "compileProblem": None,
    "exceptionStackTrace": None,
    "exceptionMessage": None,
}
ALREADY_ABORTED = "System.StringException: Job does not exist or is already aborted."


def _run(sf: OrgClient, body: str) -> dict[str, Any]:
    response = sf.apex(body)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _job_names(sf: OrgClient) -> list[str]:
    response = sf.query("SELECT CronJobDetail.Name FROM CronTrigger")
    return [r["CronJobDetail"]["Name"] for r in response.json()["records"]]


def test_abort_removes_the_cron_trigger_and_is_audited(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job(
        "Hourly Recalc", cron="0 0 * * * ?", apex_class="RecalcJob", time_zone="Europe/Paris"
    )

    assert _run(sf, f"System.abortJob('{job.cron_trigger_id}');") == SUCCESS

    assert _job_names(sf) == []
    queued = sf.query("SELECT Id FROM AsyncApexJob WHERE Status = 'Queued'").json()
    assert queued["totalSize"] == 0
    (entry,) = sf.sandbox.audit.entries(kind="job_abort")
    assert entry.target == "Hourly Recalc"
    assert entry.before == {
        "id": job.cron_trigger_id,
        "name": "Hourly Recalc",
        "cron": "0 0 * * * ?",
        "apex_class": "RecalcJob",
        "time_zone": "Europe/Paris",
        "state": "WAITING",
    }
    assert entry.actor == "api"


def test_aborting_twice_says_already_aborted(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job("Hourly Recalc")
    _run(sf, f"System.abortJob('{job.cron_trigger_id}');")

    result = _run(sf, f"System.abortJob('{job.cron_trigger_id}');")

    assert result["compiled"] is True
    assert result["success"] is False
    assert result["exceptionMessage"] == ALREADY_ABORTED
    assert result["exceptionStackTrace"] == "AnonymousBlock: line 1, column 1"


def test_the_async_apex_job_id_is_not_the_one_to_abort(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job("Hourly Recalc")

    result = _run(sf, f"System.abortJob('{job.async_apex_job_id}');")

    assert result["exceptionMessage"] == ALREADY_ABORTED
    assert sf.org.job("Hourly Recalc") is job


def test_several_statements_run_in_one_body(sf: OrgClient) -> None:
    first = sf.org.add_scheduled_job("First", apex_class="FirstJob")
    second = sf.org.add_scheduled_job("Second", apex_class="SecondJob")
    body = (
        f"System.abortJob('{first.cron_trigger_id}');\n"
        f"  system.ABORTJOB ( '{second.cron_trigger_id[:15]}' ) ;\n"
        "System.schedule('First', '0 30 * * * ?', new FirstJob());"
    )

    assert _run(sf, body) == SUCCESS

    assert _job_names(sf) == ["First"]
    restored = sf.org.job("First")
    assert restored is not None
    assert restored.cron_trigger_id != first.cron_trigger_id
    assert restored.cron_expression == "0 30 * * * ?"
    kinds = [e.kind for e in sf.sandbox.audit.entries()]
    assert kinds == ["job_abort", "job_abort", "job_schedule"]


def test_an_exception_rolls_the_whole_block_back(sf: OrgClient) -> None:
    first = sf.org.add_scheduled_job("First")
    gone = sf.org.add_scheduled_job("Gone")
    _run(sf, f"System.abortJob('{gone.cron_trigger_id}');")
    sf.sandbox.audit.clear()

    result = _run(
        sf,
        f"System.abortJob('{first.cron_trigger_id}');\nSystem.abortJob('{gone.cron_trigger_id}');",
    )

    assert result["success"] is False
    assert result["line"] == 2
    assert result["exceptionMessage"] == ALREADY_ABORTED
    assert _job_names(sf) == ["First"]
    queued = sf.query("SELECT CronTriggerId FROM AsyncApexJob WHERE Status = 'Queued'")
    assert [r["CronTriggerId"] for r in queued.json()["records"]] == [first.cron_trigger_id]
    assert sf.sandbox.audit.entries() == []


def test_schedule_restores_a_job_with_a_new_id(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job("Nightly Sync", cron="0 0 2 * * ?", apex_class="OppSyncJob")
    _run(sf, f"System.abortJob('{job.cron_trigger_id}');")

    result = _run(sf, "System.schedule('Nightly Sync', '0 0 2 * * ?', new OppSyncJob());")

    assert result == SUCCESS
    response = sf.query(
        "SELECT Id, CronExpression FROM CronTrigger WHERE CronJobDetail.Name = 'Nightly Sync'"
    )
    (trigger,) = response.json()["records"]
    assert trigger["Id"] != job.cron_trigger_id
    assert trigger["Id"].startswith("08e")
    assert trigger["CronExpression"] == "0 0 2 * * ?"
    (entry,) = sf.sandbox.audit.entries(kind="job_schedule")
    assert entry.after["apex_class"] == "OppSyncJob"
    assert entry.after["id"] == trigger["Id"]


def test_duplicate_names_raise_async_exception(sf: OrgClient) -> None:
    sf.org.add_scheduled_job("Nightly Sync", apex_class="OppSyncJob")

    result = _run(sf, "System.schedule('Nightly Sync', '0 0 2 * * ?', new OppSyncJob());")

    assert result["success"] is False
    assert result["exceptionMessage"].startswith("System.AsyncException:")
    assert "already scheduled" in result["exceptionMessage"]
    assert len(sf.org.jobs()) == 1


def test_bad_cron_expressions_raise(sf: OrgClient) -> None:
    sf.org.add_apex_class("OppSyncJob")

    both_days = _run(sf, "System.schedule('A', '0 0 2 * * *', new OppSyncJob());")
    too_short = _run(sf, "System.schedule('B', '0 0 2 *', new OppSyncJob());")

    assert both_days["success"] is False
    assert "day-of-week AND a day-of-month" in both_days["exceptionMessage"]
    assert too_short["success"] is False
    assert sf.org.jobs() == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("System.debug('hello');", "Unexpected token 'System'."),
        ("delete [SELECT Id FROM Account];", "Unexpected token 'delete'."),
        ("System.schedule('X', '0 0 * * * ?', new MissingJob());", "Invalid type: MissingJob"),
        (
            "System.schedule('X', '0 0 * * * ?', new NeedsArgs());",
            "Constructor not defined: [NeedsArgs].<Constructor>()",
        ),
        ("System.abortJob('08e5g0000000001AAA')", "Unexpected token 'System'."),
    ],
)
def test_what_the_sandbox_cannot_compile(sf: OrgClient, body: str, problem: str) -> None:
    sf.org.add_apex_class("NeedsArgs", constructible=False)

    result = _run(sf, body)

    assert result["compiled"] is False
    assert result["success"] is False
    assert result["compileProblem"] == problem
    assert result["line"] == 1
    assert result["exceptionMessage"] is None


def test_jobs_whose_class_needs_arguments_cannot_be_rescheduled(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job("Territory", apex_class="TerritoryJob", constructible=False)
    _run(sf, f"System.abortJob('{job.cron_trigger_id}');")

    result = _run(sf, "System.schedule('Territory', '0 0 * * * ?', new TerritoryJob());")

    assert result["compiled"] is False
    assert sf.org.job("Territory") is None


def test_an_invalid_id_is_a_string_exception(sf: OrgClient) -> None:
    result = _run(sf, "System.abortJob('not-an-id');")

    assert result["exceptionMessage"] == "System.StringException: Invalid id: not-an-id"


def test_the_org_holds_at_most_100_scheduled_jobs(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    client = OrgClient(sandbox_factory(salesforce=SalesforceSettings(max_scheduled_jobs=3))).login()
    for n in range(3):
        client.org.add_scheduled_job(f"Job {n}", apex_class="Job")

    result = _run(client, "System.schedule('One more', '0 0 * * * ?', new Job());")

    assert result["success"] is False
    assert "maximum number (3)" in result["exceptionMessage"]
    client.close()


def test_urls_over_16_kb_get_414(sf: OrgClient) -> None:
    body = "System.abortJob('08e5g0000000001AAA');" * 450

    response = sf.apex(body)

    assert response.status_code == 414
    assert response.json()[0]["errorCode"] == "URI_TOO_LONG"
    assert sf.org.usage()[0] == 0


def test_people_can_abort_jobs_between_brake_and_release(sf: OrgClient) -> None:
    sf.org.add_scheduled_job("Nightly Sync")

    sf.org.abort_job_by_hand("Nightly Sync")

    assert sf.org.job("Nightly Sync") is None
    (entry,) = sf.sandbox.audit.entries(kind="job_abort")
    assert entry.actor == "human"
    with pytest.raises(KeyError):
        sf.org.abort_job_by_hand("Nightly Sync")

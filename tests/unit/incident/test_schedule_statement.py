"""Only a plain Apex class name (and namespace) ever reaches the anonymous Apex that
re-schedules a job."""

from __future__ import annotations

import pytest

from apibrake.incident.adapters.apex_restore import schedule_statement


def test_a_recorded_job_becomes_one_schedule_statement() -> None:
    job = {"name": "Hourly Recalc", "cron": "0 0 * * * ?", "apex_class": "TerritoryJob"}
    assert schedule_statement(job) == (
        "System.schedule('Hourly Recalc','0 0 * * * ?',new TerritoryJob());"
    )


def test_a_managed_class_is_named_with_its_namespace() -> None:
    job = {"name": "Sync", "cron": "0 0 * * * ?", "apex_class": "SyncJob", "namespace": "acme"}
    assert schedule_statement(job).endswith("new acme.SyncJob());")


@pytest.mark.parametrize(
    ("apex_class", "namespace"),
    [
        ("", None),
        ("Job()); System.abortJob('x'); new Job", None),
        ("Job;", None),
        ("1Job", None),
        ("a.b", None),
        ("Job", "ns; delete x"),
    ],
)
def test_anything_but_a_class_name_is_refused(apex_class: str, namespace: str | None) -> None:
    job = {"name": "n", "cron": "0 0 * * * ?", "apex_class": apex_class, "namespace": namespace}
    with pytest.raises(ValueError, match="not an Apex class name"):
        schedule_statement(job)

"""Only a plain Apex class name ever reaches the anonymous Apex that re-schedules a job."""

from __future__ import annotations

import pytest

from apibrake.incident.adapters.scheduled_apex import schedule_statement


def test_a_recorded_job_becomes_one_schedule_statement() -> None:
    job = {"name": "Hourly Recalc", "cron": "0 0 * * * ?", "apex_class": "acme.TerritoryJob"}
    assert schedule_statement(job) == (
        "System.schedule('Hourly Recalc', '0 0 * * * ?', new acme.TerritoryJob());"
    )


@pytest.mark.parametrize(
    "apex_class", ["", "Job()); System.abortJob('x'); new Job", "Job;", "1Job", "a.b.c"]
)
def test_anything_but_a_class_name_is_refused(apex_class: str) -> None:
    with pytest.raises(ValueError, match="not an Apex class name"):
        schedule_statement({"name": "n", "cron": "0 0 * * * ?", "apex_class": apex_class})

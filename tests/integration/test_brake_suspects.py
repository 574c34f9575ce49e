"""Who burned the calls, over the wire: the suspects the monitor hands the brake reach the
brake report, its summary alert and the journal, and the release report tells the story
again from the journal, at no platform call of its own."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from apibrake.deadline import Deadline
from apibrake.http.transport import platform_client
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    SetupChange,
    Suspects,
)
from apibrake.models.connection import Connection
from apibrake.models.events import ReleaseEvent
from apibrake.models.reports import IncidentReport
from apibrake.release import restorer
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import incident_deps
from drill.stack import LocalStack

SUSPECTS = Suspects(
    connection_id="sf-prod",
    source=AttributionSource.EVENT_LOG_OBJECT,
    data_as_of=datetime(2026, 1, 1, tzinfo=UTC),
    consumers=[
        Consumer(
            name="flow Account_Rollup",
            kind=ConsumerKind.AUTOMATION,
            calls=900,
            share=0.75,
            automation="flow:Account_Rollup",
        ),
        Consumer(name="Nightly ETL", kind=ConsumerKind.CONNECTED_APP, calls=300, share=0.25),
    ],
    changes=[
        SetupChange(
            at=datetime(2026, 1, 1, tzinfo=UTC),
            who="admin@acme.com",
            action="activatedinteractiondefversion",
            display='Activated flow version #2 for flow with Unique Name "Account_Rollup"',
            automation="flow:Account_Rollup",
        )
    ],
)


def test_the_monitor_s_suspects_reach_the_brake_and_release_reports(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_flow("Account_Rollup", versions=2, active_version=2)
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup")
    told = SUSPECTS.model_copy(update={"data_as_of": stack.sandbox.clock.now()})
    event = {
        "connection_id": "sf-prod",
        "reason": "usage 91.0% reached brake_at 90%",
        "requested_by": "usage_monitor",
        "suspects": told.model_dump(mode="json"),
    }

    braked = stack.brake(event)

    before = braked["suspects_before"]["sf-prod"]
    assert [c["name"] for c in before["consumers"]] == ["flow Account_Rollup", "Nightly ETL"]
    summary = next(a for a in stack.alerts() if a.attributes.get("kind") == "brake")
    assert "Before the brake (from the ApiTotalUsageEventLog, 0 min old):" in summary.body
    assert "  Consumer: flow Account_Rollup 75% of calls (900) - on the allowlist" in summary.body
    assert "  Also: Nightly ETL 25% of calls (300) - not on the allowlist: needs a person" in (
        summary.body
    )
    meta = stack.journal.meta(braked["incident_id"])
    assert meta is not None
    assert meta.suspects_before == told

    released = stack.release_incident(braked["incident_id"])

    assert released["suspects_before"]["sf-prod"] == before
    assert released["suspects_after"] == {}  # no finder wired: nothing new, nothing made up
    release_summary = next(a for a in stack.alerts() if a.attributes.get("kind") == "release")
    assert "Before the brake (from the ApiTotalUsageEventLog" in release_summary.body


def test_a_linked_or_foreign_brake_does_not_borrow_suspects(stack: LocalStack) -> None:
    stack.sandbox.salesforce.add_flow("Account_Rollup", versions=1, active_version=1)
    stack.add_salesforce("sf-other")
    stack.allow("sf-other", "flow:Account_Rollup")

    braked = stack.brake(connection_id="sf-other", suspects=SUSPECTS.model_dump(mode="json"))

    assert braked["suspects_before"] == {}  # they were sf-prod's
    summary = next(a for a in stack.alerts() if a.attributes.get("kind") == "brake")
    assert "Before the brake" not in summary.body


class RecordingFinder:
    """Stands in for the attribution package behind `SuspectsFinder`: answers as told and
    records what it was asked (the since, the calls it may spend)."""

    def __init__(self, answer: Suspects | None = None, fail: Exception | None = None) -> None:
        self.asked: list[tuple[str, datetime, int]] = []
        self._answer = answer
        self._fail = fail

    async def __call__(
        self, connection: Connection, client: Any, *, since: datetime, calls_allowed: int
    ) -> Suspects | None:
        self.asked.append((connection.connection_id, since, calls_allowed))
        if self._fail is not None:
            raise self._fail
        return self._answer


def _release_with(stack: LocalStack, finder: RecordingFinder, incident_id: str) -> IncidentReport:
    async def run() -> IncidentReport:
        async with platform_client() as http_client:
            deps = incident_deps(
                container.incident_settings(),
                dynamodb=aws.aws_client("dynamodb"),
                sns=aws.aws_client("sns"),
                load_secret=aws.secret_loader(),
                http_client=http_client,
                now=stack.sandbox.clock.now,
            )
            deps = replace(deps, suspects=finder)
            return await restorer.release(
                ReleaseEvent(action="release", incident_id=incident_id), deps, Deadline()
            )

    return asyncio.run(run())


def _braked_incident(stack: LocalStack) -> tuple[str, datetime]:
    stack.sandbox.salesforce.add_flow("Account_Rollup", versions=2, active_version=2)
    stack.add_salesforce()
    stack.allow("sf-prod", "flow:Account_Rollup")
    braked = stack.brake(connection_id="sf-prod", suspects=SUSPECTS.model_dump(mode="json"))
    stack.alerts()
    meta = stack.journal.meta(braked["incident_id"])
    assert meta is not None
    return braked["incident_id"], meta.opened_at


def test_release_asks_the_sources_who_burned_since_the_brake(stack: LocalStack) -> None:
    incident_id, opened_at = _braked_incident(stack)
    since = SUSPECTS.model_copy(
        update={
            "consumers": SUSPECTS.consumers[1:],
            "changes": [],
            "data_as_of": stack.sandbox.clock.now(),  # newer than the brake
        }
    )
    finder = RecordingFinder(answer=since)

    report = _release_with(stack, finder, incident_id)

    assert finder.asked == [("sf-prod", opened_at, 2)]  # the per-alert budget, no more
    assert report.suspects_after == {"sf-prod": since}
    assert report.suspects_before == {"sf-prod": SUSPECTS}
    summary = next(a for a in stack.alerts() if a.attributes.get("kind") == "release")
    assert "Since the brake (from the ApiTotalUsageEventLog" in summary.body
    assert "  Consumer: Nightly ETL 25% of calls (300) - not on the allowlist: needs a person" in (
        summary.body
    )
    meta = stack.journal.meta(incident_id)
    assert meta is not None
    assert meta.suspects_after == since


def test_a_failing_finder_never_stops_the_release(stack: LocalStack) -> None:
    incident_id, _ = _braked_incident(stack)

    report = _release_with(stack, RecordingFinder(fail=RuntimeError("source down")), incident_id)

    assert [row.status.value for row in report.rows] == ["released"]
    assert report.suspects_after == {}
    assert stack.sandbox.salesforce.flow("Account_Rollup").active_version == 2

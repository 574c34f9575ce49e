"""Alerts and incident rows as EventBridge entries: the documented shape, batches of ten,
and failures that are logged and counted, never raised; the samples in events/ are what the
code emits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apibrake.models.allowlist import AutomationKind
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.warn.events import DetailType, EventDetail, EventPublisher
from apibrake.warn.publisher import AlertPublisher
from tests.unit.warn.alert_kinds import EVERY_KIND

EVENTS = Path(__file__).parents[3] / "events"
INCIDENT = "sf-prod-20261102T120000Z"


class RecordingEvents:
    """An EventBridge client that records PutEvents, answering as told."""

    def __init__(self, fail: Exception | None = None, error_code: str | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self._fail = fail
        self._error_code = error_code

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if self._fail is not None:
            raise self._fail
        result = {"ErrorCode": self._error_code} if self._error_code else {"EventId": "e-1"}
        failed = len(Entries) if self._error_code else 0
        return {"FailedEntryCount": failed, "Entries": [result for _ in Entries]}


def _needs_human(count: int) -> list[AutomationRow]:
    return [
        AutomationRow(
            platform="salesforce",
            connection_id="sf-prod",
            kind=AutomationKind.FLOW,
            name=f"Flow_{index}",
            status=RowStatus.NEEDS_HUMAN,
            error="the platform refuses calls",
        )
        for index in range(count)
    ] + [
        AutomationRow(
            platform="salesforce",
            connection_id="sf-prod",
            kind=AutomationKind.FLOW,
            name="Done",
            status=RowStatus.BRAKED,
        )
    ]


@pytest.mark.parametrize(
    ("name", "detail_type"),
    [
        ("threshold", "apibrake alert"),
        ("human_must_act", "apibrake alert"),
        ("brake", "apibrake brake"),
        ("brake_dry_run", "apibrake brake"),
        ("release", "apibrake release"),
        ("invalid_item", "apibrake alert"),
    ],
)
def test_each_alert_is_one_entry_on_the_default_bus(name: str, detail_type: str) -> None:
    events = RecordingEvents()
    alert = EVERY_KIND[name]

    assert EventPublisher(events).alert(alert) is True

    [[entry]] = events.calls
    assert entry["EventBusName"] == "default"
    assert entry["Source"] == "apibrake"
    assert entry["DetailType"] == detail_type
    detail = EventDetail.model_validate_json(entry["Detail"])
    assert (detail.kind, detail.connection_id, detail.severity) == (
        alert.kind,
        alert.connection_id,
        alert.severity,
    )
    assert detail.subject == alert.subject
    assert detail.next_steps == list(alert.next_steps)


def test_usage_and_incident_are_there_when_known() -> None:
    events = RecordingEvents()
    publisher = EventPublisher(events)

    publisher.alert(EVERY_KIND["threshold"])
    publisher.alert(EVERY_KIND["brake"])
    publisher.alert(EVERY_KIND["brake_dry_run"])

    usage, brake, dry_run = (
        EventDetail.model_validate_json(call[0]["Detail"]) for call in events.calls
    )
    assert usage.usage is not None
    assert usage.usage.model_dump() == {"percent": 92.0, "used": 13_800, "limit": 15_000}
    assert usage.incident_id is None
    assert (brake.usage, brake.incident_id, brake.dry_run) == (None, INCIDENT, False)
    assert (dry_run.incident_id, dry_run.dry_run) == (None, True)


def test_rows_that_need_a_person_go_ten_to_a_call() -> None:
    events = RecordingEvents()

    assert EventPublisher(events).needs_human(
        _needs_human(12), action="brake", incident_id=INCIDENT
    )

    assert [len(call) for call in events.calls] == [10, 2]  # the braked row is no event
    first = EventDetail.model_validate_json(events.calls[0][0]["Detail"])
    assert events.calls[0][0]["DetailType"] == "apibrake needs human"
    assert (first.automation, first.reason, first.incident_id) == (
        "flow:Flow_0",
        "the platform refuses calls",
        INCIDENT,
    )
    assert first.next_steps == [
        "Switch flow:Flow_0 off by hand: Salesforce Setup > Process Automation > Flows: deactivate"
    ]


@pytest.mark.parametrize(
    "events",
    [
        RecordingEvents(fail=ConnectionError("endpoint down")),
        RecordingEvents(error_code="ThrottlingException"),
    ],
    ids=["call fails", "entries refused"],
)
def test_events_that_do_not_go_out_are_counted_never_raised(events: RecordingEvents) -> None:
    counted: list[DetailType] = []
    publisher = EventPublisher(events, on_failure=counted.append)

    assert publisher.alert(EVERY_KIND["threshold"]) is False
    assert publisher.needs_human(_needs_human(2), action="brake", incident_id=INCIDENT) is False

    assert counted == [DetailType.ALERT, DetailType.NEEDS_HUMAN, DetailType.NEEDS_HUMAN]


def test_a_failing_counter_does_not_break_the_publisher() -> None:
    def broken_counter(detail_type: DetailType) -> None:
        raise RuntimeError("metrics down")

    publisher = EventPublisher(RecordingEvents(fail=TimeoutError()), on_failure=broken_counter)

    assert publisher.alert(EVERY_KIND["brake"]) is False


class FailingSns:
    def publish(self, **request: Any) -> dict[str, str]:
        raise ConnectionError("sns down")


class RecordingSns:
    def __init__(self) -> None:
        self.calls = 0

    def publish(self, **request: Any) -> dict[str, str]:
        self.calls += 1
        return {"MessageId": "m-1"}


def test_the_alert_goes_out_when_events_fail_and_the_event_when_sns_fails() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:alerts"
    sns = RecordingSns()
    down = EventPublisher(RecordingEvents(fail=ConnectionError("events down")))
    assert AlertPublisher(sns, topic, events=down).publish(EVERY_KIND["threshold"]) == "m-1"
    assert sns.calls == 1

    events = RecordingEvents()
    with pytest.raises(ConnectionError):  # the caller still learns SNS failed, and retries
        AlertPublisher(FailingSns(), topic, events=EventPublisher(events)).publish(
            EVERY_KIND["threshold"]
        )
    assert len(events.calls) == 1


@pytest.mark.parametrize("path", sorted(EVENTS.glob("eventbridge_*.json")), ids=lambda p: p.name)
def test_samples_are_what_the_code_emits(path: Path) -> None:
    sample = json.loads(path.read_text(encoding="utf-8"))

    detail = EventDetail.model_validate(sample["detail"])

    assert sample["source"] == "apibrake"
    assert sample["detail-type"] in {kind.value for kind in DetailType}
    assert path.stem.removeprefix("eventbridge_") == sample["detail-type"].removeprefix(
        "apibrake "
    ).replace(" ", "_")
    assert detail.model_dump(mode="json") == sample["detail"]  # no field left out or extra


def test_there_is_a_sample_per_detail_type() -> None:
    samples = {
        json.loads(path.read_text(encoding="utf-8"))["detail-type"]
        for path in EVENTS.glob("eventbridge_*.json")
    }

    assert samples == {kind.value for kind in DetailType}

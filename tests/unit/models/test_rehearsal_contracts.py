"""The brake event's `only`, and the exactness comparison a rehearsal reports."""

from __future__ import annotations

from typing import Any

import pytest

from apibrake.incident.records import JournalRow
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import BrakeEvent
from apibrake.rehearsal.exactness import release_differences


def test_only_is_sorted_deduplicated_and_validated_like_the_allowlist() -> None:
    event = BrakeEvent.model_validate(
        {
            "action": "brake",
            "connection_id": "sf-prod",
            "only": [
                "setting:apibrake_Canary__c.Brake__c",
                "flow:apibrake_Canary",
                "flow:apibrake_Canary",
            ],
        }
    )
    assert event.only == ["flow:apibrake_Canary", "setting:apibrake_Canary__c.Brake__c"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"only": ["flow:apibrake_Canary"]}, "needs connection_id"),
        ({"connection_id": "sf-prod", "only": ["apibrake_Canary"]}, "KIND:NAME"),
        ({"connection_id": "sf-prod", "only": ["robot:x"]}, "unknown kind"),
        ({"connection_id": "sf-prod", "only": []}, "at least 1"),
    ],
)
def test_a_bad_only_is_refused_naming_the_field(event: dict[str, Any], message: str) -> None:
    parsed = parse_event(BrakeEvent, {"action": "brake", **event})
    assert isinstance(parsed, InvalidInput)
    assert message in parsed.message


def _row(
    kind: AutomationKind, before: dict[str, Any], restored: dict[str, Any] | None
) -> JournalRow:
    return JournalRow(
        connection_id="c",
        platform=Platform.SALESFORCE,
        kind=kind,
        name="n",
        before=before,
        restored=restored,
    )


def test_a_new_job_id_is_exact_a_new_owner_is_not() -> None:
    before = {"id": "08e1", "cron": "0 0 3 * * ?", "owner_id": "005A", "start_time": "t1"}
    same = {"id": "08e2", "cron": "0 0 3 * * ?", "owner_id": "005A", "start_time": "t2"}
    other = {**same, "owner_id": "005B"}
    assert release_differences(_row(AutomationKind.SCHEDULED_APEX, before, same)) == []
    assert release_differences(_row(AutomationKind.SCHEDULED_APEX, before, other)) == [
        "owner_id: 005A -> 005B"
    ]


def test_nothing_recorded_after_the_release_is_not_exact() -> None:
    row = _row(AutomationKind.FLOW, {"active_version": 1}, None)
    assert release_differences(row) == ["nothing recorded after"]

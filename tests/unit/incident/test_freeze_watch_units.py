"""The freeze watch's pure parts: which users it looks at, from when, and how it counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apibrake.incident.records import BrakeState, IncidentMeta, JournalRow, ReleaseState
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform
from apibrake.release.freeze_watch import (
    BRAKE_RUNS_AT_MOST,
    alert_key,
    calls_after_freeze,
    event_log_calls_since,
    frozen_users,
)

OPENED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
META = IncidentMeta(
    incident_id="sf-prod-20261102T120000Z",
    connection_id="sf-prod",
    platform=Platform.SALESFORCE,
    opened_at=OPENED,
)
USER_ID = "0055g0000000002AAA"


def _row(
    name: str = "etl@acme.com",
    *,
    kind: AutomationKind = AutomationKind.USER,
    brake: BrakeState = BrakeState.BRAKED,
    release: ReleaseState | None = None,
    modified: str = "2026-11-02T12:00:07.000+0000",
) -> JournalRow:
    before = {
        "user_id": USER_ID,
        "username": name,
        "frozen": False,
        "last_modified": "2026-10-01T08:00:00.000+0000",
    }
    return JournalRow(
        connection_id="sf-prod",
        platform=Platform.SALESFORCE,
        kind=kind,
        name=name,
        before=before,
        after={**before, "frozen": True, "last_modified": modified},
        brake=brake,
        release=release,
    )


def test_only_users_this_brake_froze_and_still_holds_are_watched() -> None:
    rows = [
        _row(),
        _row("gone@acme.com", release=ReleaseState.RELEASED),
        _row("hand@acme.com", release=ReleaseState.NEEDS_HUMAN),
        _row("before@acme.com", brake=BrakeState.ALREADY_OFF),
        _row("Flow_X", kind=AutomationKind.FLOW),
    ]
    (user,) = frozen_users(rows, META)
    assert user.username == "etl@acme.com"
    assert user.frozen_at == user.counted_from == datetime(2026, 11, 2, 12, 0, 7, tzinfo=UTC)


def test_without_the_freezes_own_time_counting_starts_after_the_brake_could_end() -> None:
    # The verification re-read never ran: the journal has the login's old LastModifiedDate
    (user,) = frozen_users([_row(modified="2026-10-01T08:00:00.000+0000")], META)
    assert user.frozen_at == OPENED
    assert user.counted_from == OPENED + BRAKE_RUNS_AT_MOST


def test_the_query_asks_both_id_forms_escaped_and_one_page() -> None:
    soql = event_log_calls_since(datetime(2026, 11, 2, 12, 0, 7, tzinfo=UTC), ["005x'y"])
    assert "Timestamp >= 2026-11-02T12:00:07Z" in soql
    assert "UserIdentifier IN ('005x\\'y')" in soql
    soql = event_log_calls_since(OPENED, [USER_ID])
    assert f"IN ('{USER_ID[:15]}', '{USER_ID}')" in soql
    assert soql.endswith("LIMIT 2000")


def test_calls_count_from_a_minute_after_the_users_own_freeze_in_either_id_form() -> None:
    (user,) = frozen_users([_row()], META)

    def event(uid: str, at: str) -> dict[str, Any]:
        return {"UserIdentifier": uid, "Timestamp": at}

    records = [
        event(USER_ID, "2026-11-02T12:05:00.000+0000"),
        event(USER_ID[:15], "2026-11-02T12:01:07.000+0000"),
        event(USER_ID, "2026-11-02T12:00:40.000+0000"),  # in flight at the freeze
        event(USER_ID, "2026-11-02T12:00:06.000+0000"),  # before the freeze
        event("0055g0000000009AAA", "2026-11-02T12:05:00.000+0000"),  # someone else
    ]
    assert calls_after_freeze(records, user) == 2


def test_one_claim_per_incident_and_user() -> None:
    assert alert_key("inc-1", USER_ID) == alert_key("inc-1", USER_ID[:15])
    assert alert_key("inc-1", USER_ID) != alert_key("inc-2", USER_ID)

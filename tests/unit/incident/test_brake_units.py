"""Pure parts of brake and release: packing Apex, deadlines, recovery, events."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apibrake.deadline import Deadline
from apibrake.incident.adapters import ADAPTERS, required_permissions
from apibrake.incident.adapters.apex_restore import pack_statements
from apibrake.incident.records import IncidentMeta
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Connection, Platform
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import BrakeEvent, ReleaseEvent, ReleaseRecoveredEvent
from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.platforms.salesforce.execute_anonymous import (
    fits_anonymous_url,
    within_recommended_uri,
)
from apibrake.platforms.salesforce.soql import apex_string
from apibrake.release.recovery import recovery_from_stored, window_recovered

EVENTS = Path(__file__).parents[3] / "events"
T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def test_one_adapter_per_kind_each_declaring_permissions() -> None:
    assert {k.value for k in ADAPTERS} == {
        "flow",
        "scheduled_apex",
        "setting",
        "user",
        "app",
        "workflow",
    }
    assert [k.value for k in required_permissions(Platform.HUBSPOT)] == ["workflow"]
    assert all(adapter.permissions for adapter in ADAPTERS.values())


def test_abort_statements_are_packed_within_the_recommended_uri() -> None:
    host = "https://acme--uat.sandbox.my.salesforce.com"
    statements = [f"System.abortJob('08e5g00000ABCDE{n:03d}');" for n in range(100)]

    def fits(body: str) -> bool:
        return within_recommended_uri(body, host, "62.0")

    bodies = pack_statements(statements, fits)
    assert sorted(i for body in bodies for i in body) == list(range(100))
    assert len(bodies) > 1
    assert all(fits("\n".join(statements[i] for i in b)) for b in bodies)
    assert all(fits_anonymous_url("\n".join(statements[i] for i in b)) for b in bodies)
    # The plan's estimate is never below what packing needs.
    assert ADAPTERS[AutomationKind.SCHEDULED_APEX].brake_calls(100) >= len(bodies) + 1


def test_apex_strings_are_escaped() -> None:
    assert apex_string("it's a \\ job") == "'it\\'s a \\\\ job'"


def test_deadline_latches_inside_the_margin() -> None:
    remaining = iter([30_000, 9_000, 30_000])
    deadline = Deadline(lambda: next(remaining), margin_ms=10_000)
    assert deadline.has_time()
    assert not deadline.has_time()
    assert not deadline.has_time()  # stays out of time
    assert Deadline().has_time()


def _reading(used: int, resets_at: datetime | None = None) -> UsageReading:
    return UsageReading(
        used=used, limit=1000, taken_at=T0, source=ReadingSource.USAGE_ENDPOINT, resets_at=resets_at
    )


def _meta(platform: Platform) -> IncidentMeta:
    return IncidentMeta(incident_id="i", connection_id="c", platform=platform, opened_at=T0)


def test_salesforce_recovers_below_release_below_only() -> None:
    sf = Connection(connection_id="c", platform="salesforce", secret_id="s", release_below=50)
    assert not window_recovered(sf, _meta(Platform.SALESFORCE), _reading(600), T0)[0]
    assert window_recovered(sf, _meta(Platform.SALESFORCE), _reading(400), T0)[0]


def test_hubspot_recovers_after_the_reset_that_followed_the_brake() -> None:
    hs = Connection(connection_id="c", platform="hubspot", secret_id="s")
    same_day = _reading(100, resets_at=T0 + timedelta(hours=23))
    next_day = _reading(10, resets_at=T0 + timedelta(hours=47))
    assert not window_recovered(hs, _meta(Platform.HUBSPOT), same_day, T0)[0]
    assert window_recovered(hs, _meta(Platform.HUBSPOT), next_day, T0 + timedelta(days=1))[0]


def test_stored_readings_decide_recovery_while_fresh() -> None:
    sf = Connection(connection_id="c", platform="salesforce", secret_id="s", release_below=50)
    meta = _meta(Platform.SALESFORCE)
    later = T0 + timedelta(minutes=10)
    assert recovery_from_stored(sf, meta, [_reading(600)], later) == (
        False,
        "usage 60.0% is not yet below release_below 50%",
    )
    assert recovery_from_stored(sf, meta, [_reading(600), _reading(400)], later) is not None
    assert recovery_from_stored(sf, meta, [_reading(400)], T0 + timedelta(minutes=16)) is None
    assert recovery_from_stored(sf, meta, [], later) is None


def test_stored_hubspot_decision_needs_no_reading_before_the_recorded_reset() -> None:
    hs = Connection(connection_id="c", platform="hubspot", secret_id="s")
    meta = _meta(Platform.HUBSPOT).model_copy(update={"resets_at": T0 + timedelta(hours=20)})
    waiting = recovery_from_stored(hs, meta, [], T0 + timedelta(hours=19))
    assert waiting is not None
    assert not waiting[0]
    assert "reset" in waiting[1]
    old_day = _reading(900, resets_at=T0 + timedelta(hours=20))
    # A reading from before the reset no longer describes the day: ask the platform.
    assert recovery_from_stored(hs, meta, [old_day], T0 + timedelta(hours=20, minutes=5)) is None


@pytest.mark.parametrize("path", sorted(EVENTS.glob("incident_brake*.json")))
def test_brake_events_validate(path: Path) -> None:
    assert isinstance(parse_event(BrakeEvent, json.loads(path.read_text())), BrakeEvent)


@pytest.mark.parametrize("path", sorted(EVENTS.glob("restore_*.json")))
def test_restore_events_validate(path: Path) -> None:
    event = json.loads(path.read_text())
    model = ReleaseEvent if event["action"] == "release" else ReleaseRecoveredEvent
    assert isinstance(parse_event(model, event), model)


def test_a_bad_event_is_answered_with_the_field() -> None:
    app = importlib.import_module("functions.incident_responder.app")
    answer = app.handle({"action": "brake", "dry_run": "maybe"})
    assert answer["error"] == "invalid_event"
    assert answer["field"] == "dry_run"
    restore = importlib.import_module("functions.restore.app")
    assert restore.handle({"action": "release"})["field"] == "incident_id"
    assert isinstance(parse_event(BrakeEvent, {"action": "stop"}), InvalidInput)

"""What a tick stores for the next one: a check that happened moves the cadence on, one
that did not leaves the connection due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.cadence import CadenceState, Temperature
from apibrake.models.connection import Connection
from apibrake.watch.report import ConnectionCheck
from apibrake.watch.tick import next_state, plan_tick

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
EARLIER = CadenceState("c", NOW - timedelta(minutes=3), Temperature.WARM)
C = Connection(connection_id="c", platform="hubspot", secret_id="s")


def row(**fields: object) -> ConnectionCheck:
    return ConnectionCheck.model_validate({"connection_id": "c", "platform": "hubspot", **fields})


@pytest.mark.parametrize(
    ("case", "check", "stored"),
    [
        ("checked: hot now", row(temperature="hot"), CadenceState("c", NOW, Temperature.HOT)),
        ("not due", row(not_due=True), None),
        ("not reached before the deadline", row(not_reached=True), None),
        ("a platform error: due on the next tick", row(error="503"), None),
        (
            "its secret: waits its interval",
            row(error="secret missing", error_field="secret_id"),
            CadenceState(
                "c", EARLIER.checked_at, Temperature.WARM, deferred_until=NOW + timedelta(minutes=5)
            ),
        ),
        (
            "an item that does not validate: the calm cadence",
            ConnectionCheck(connection_id="c", error="invalid"),
            CadenceState("c", NOW, Temperature.CALM),
        ),
    ],
)
def test_next_state(case: str, check: ConnectionCheck, stored: CadenceState | None) -> None:
    plan = plan_tick([C], [], {"c": EARLIER}, NOW, scheduled=True)
    assert next_state(check, plan, NOW) == stored, case


def test_a_scheduled_tick_splits_due_from_not_due_and_an_operator_run_takes_all() -> None:
    calm = Connection(connection_id="calm", platform="hubspot", secret_id="s")
    states = {
        "c": EARLIER,  # warm, 3 minutes ago: not due
        "calm": CadenceState("calm", NOW - timedelta(minutes=16), Temperature.CALM),
    }
    tick = plan_tick([C, calm], [], states, NOW, scheduled=True)
    assert [c.connection_id for c in tick.due] == ["calm"]
    (waiting,) = tick.not_due
    assert waiting.not_due
    assert waiting.next_check_at == NOW + timedelta(minutes=2)
    forced = plan_tick([C, calm], [], states, NOW, scheduled=False)
    assert {c.connection_id for c in forced.due} == {"c", "calm"}

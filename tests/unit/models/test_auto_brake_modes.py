"""`auto_brake` takes true, false or "shadow" (docs/configuration.md): items stored before
shadow mode (bools) read as they did, shadow never brakes for real, and a bad value is
refused naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from apibrake.models.connection import AutoBrake, Connection
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import BrakeEvent
from apibrake.models.validation import describe

ITEM = {"connection_id": "sf-prod", "platform": "salesforce", "secret_id": "apibrake/sf-prod"}


def connection(**fields: object) -> Connection:
    return Connection.model_validate({**ITEM, **fields})


@pytest.mark.parametrize(
    ("stored", "mode"),
    [
        (True, AutoBrake.ON),
        (False, AutoBrake.OFF),
        ("shadow", AutoBrake.SHADOW),
        ("Shadow ", AutoBrake.SHADOW),
        ("true", AutoBrake.ON),  # a hand-written item, as pydantic read it when it was a bool
        ("off", AutoBrake.OFF),
        (Decimal(1), AutoBrake.ON),  # a DynamoDB number
        (0, AutoBrake.OFF),
    ],
)
def test_stored_values_read_as_a_mode(stored: object, mode: AutoBrake) -> None:
    assert connection(auto_brake=stored).auto_brake is mode


def test_the_default_is_the_real_auto_brake() -> None:
    assert connection().auto_brake is AutoBrake.ON
    assert connection().brakes_automatically


@pytest.mark.parametrize(
    ("mode", "written"),
    [(AutoBrake.ON, True), (AutoBrake.OFF, False), (AutoBrake.SHADOW, "shadow")],
)
def test_items_are_written_back_as_older_code_reads_them(mode: AutoBrake, written: object) -> None:
    stored = connection(auto_brake=mode)
    assert stored.model_dump(mode="json")["auto_brake"] == written
    assert stored.model_dump()["auto_brake"] == written
    assert Connection.model_validate(stored.model_dump()).auto_brake is mode  # a round trip


def test_shadow_never_reads_as_a_real_brake() -> None:
    shadow = connection(auto_brake="shadow")
    assert shadow.brakes_in_shadow
    assert not shadow.brakes_automatically
    # Code written when auto_brake was a bool (`if connection.auto_brake:`) must not brake.
    assert not shadow.auto_brake
    assert not connection(auto_brake=False).auto_brake
    assert connection(auto_brake=True).auto_brake


@pytest.mark.parametrize("bad", ["maybe", "shadows", 2, None, ["shadow"]])
def test_a_bad_value_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        connection(auto_brake=bad)
    field, message = describe(caught.value)
    assert field == "auto_brake"
    assert message.startswith('must be true, false or "shadow"; got ')


def test_a_shadow_brake_event_is_a_dry_run() -> None:
    event = {"action": "brake", "connection_id": "sf-prod", "dry_run": True, "shadow": True}
    assert BrakeEvent.model_validate(event).shadow
    refused = parse_event(BrakeEvent, {**event, "dry_run": False})
    assert isinstance(refused, InvalidInput)
    assert refused.field == "dry_run"
    assert not BrakeEvent.model_validate({"action": "brake"}).shadow  # older events

"""The user-facing contracts of docs/configuration.md: defaults, validation, and errors that
name the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection, Platform
from apibrake.models.credentials import HUBSPOT_CREDENTIALS, SALESFORCE_CREDENTIALS
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import BrakeEvent, MonitorEvent, ReleaseEvent
from apibrake.models.validation import describe
from apibrake.runtime.settings import IncidentSettings, MonitorSettings, Settings


def test_connection_needs_only_three_fields_and_takes_design_defaults() -> None:
    connection = Connection.model_validate(
        {"connection_id": "sf-prod", "platform": "salesforce", "secret_id": "apibrake/sf-prod"}
    )
    assert connection.platform is Platform.SALESFORCE
    assert connection.warn_at == (70.0, 80.0)
    assert (connection.brake_at, connection.reserve_pct, connection.release_below) == (90, 5, 50)
    assert connection.enabled
    assert connection.auto_brake


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"platform": "zendesk"}, "platform"),
        ({"warn_at": [70, 95]}, "warn_at"),
        ({"release_below": 95}, "release_below"),
        ({"brake_at": 0}, "brake_at"),
        ({"connection_id": "has space"}, "connection_id"),
    ],
)
def test_bad_connection_fields_are_named(overrides: dict[str, object], field: str) -> None:
    item = {"connection_id": "c1", "platform": "hubspot", "secret_id": "s", **overrides}
    with pytest.raises(ValidationError) as caught:
        Connection.model_validate(item)
    assert field in str(caught.value)


def test_cadence_and_brake_ahead_defaults() -> None:
    connection = Connection.model_validate(
        {"connection_id": "sf-prod", "platform": "salesforce", "secret_id": "apibrake/sf-prod"}
    )
    assert (
        connection.check_hot_minutes,
        connection.check_warm_minutes,
        connection.check_calm_minutes,
    ) == (1, 5, 15)
    assert connection.brake_ahead
    assert connection.brake_lead_minutes == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"check_hot_minutes": 0}, "check_hot_minutes", "must be at least 1, got 0"),
        ({"check_calm_minutes": 1441}, "check_calm_minutes", "must be at most 1440, got 1441"),
        (
            {"check_warm_minutes": "often"},
            "check_warm_minutes",
            "must be a whole number, got 'often'",
        ),
        ({"check_warm_minutes": 20}, "check_calm_minutes", "at least check_warm_minutes"),
        ({"check_hot_minutes": 10}, "check_warm_minutes", "at least check_hot_minutes"),
        ({"brake_lead_minutes": -1}, "brake_lead_minutes", "must be at least 0, got -1"),
        ({"brake_ahead": "sometimes"}, "brake_ahead", "must be true or false, got 'sometimes'"),
        ({"warn_at": [70, 95]}, "warn_at", "below brake_at"),
    ],
)
def test_bad_cadence_fields_are_named_as_the_store_reports_them(
    overrides: dict[str, object], field: str, message: str
) -> None:
    # The connections store reports an invalid item by (field, message): a rule across
    # fields names its field too, not "(item)".
    item = {"connection_id": "c1", "platform": "hubspot", "secret_id": "s", **overrides}
    with pytest.raises(ValidationError) as caught:
        Connection.model_validate(item)
    named, said = describe(caught.value)
    assert named == field
    assert message in said


@pytest.mark.parametrize(
    ("automation", "kind", "name"),
    [
        ("flow:Account_Revenue_Rollup", AutomationKind.FLOW, "Account_Revenue_Rollup"),
        ("flow:acme__Managed_Flow", AutomationKind.FLOW, "acme__Managed_Flow"),
        (
            "scheduled_apex:Hourly Territory Recalc",
            AutomationKind.SCHEDULED_APEX,
            "Hourly Territory Recalc",
        ),
        ("workflow:587441203", AutomationKind.WORKFLOW, "587441203"),
    ],
)
def test_allowlist_entries_split_kind_and_name(
    automation: str, kind: AutomationKind, name: str
) -> None:
    entry = AllowlistEntry(connection_id="c", automation=automation)
    assert (entry.kind, entry.name, entry.tier) == (kind, name, 1)


@pytest.mark.parametrize(
    ("automation", "message"),
    [
        ("Account_Rollup", "KIND:NAME"),
        ("trigger:Foo", "unknown kind"),
        ("flow:has space", "not a flow DeveloperName"),
        ("workflow:abc", "HubSpot flow id"),
    ],
)
def test_malformed_allowlist_entries_say_why(automation: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AllowlistEntry(connection_id="c", automation=automation)


def test_secrets_never_show_in_repr_or_errors() -> None:
    secret = SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "client_credentials",
            "instance_url": "http://127.0.0.1:8701",
            "client_id": "id-value",
            "client_secret": "very-secret-value",
        }
    )
    assert "very-secret-value" not in repr(secret)
    assert secret.api_version == "62.0"
    with pytest.raises(ValidationError) as caught:
        HUBSPOT_CREDENTIALS.validate_python({"auth": "token", "access_token": 12})
    assert "access_token" in str(caught.value)


def test_parse_event_names_the_bad_field() -> None:
    answer = parse_event(BrakeEvent, {"action": "brake", "dry_run": "maybe"})
    assert isinstance(answer, InvalidInput)
    assert answer.field == "dry_run"
    assert isinstance(parse_event(ReleaseEvent, {"action": "release"}), InvalidInput)
    assert isinstance(parse_event(MonitorEvent, ["not", "an", "object"]), InvalidInput)
    assert parse_event(MonitorEvent, {"source": "aws.scheduler"}) == MonitorEvent()


def test_only_the_schedule_tick_leaves_the_choice_to_the_cadence() -> None:
    assert not MonitorEvent().scheduled  # an operator's {}: every connection, now
    assert parse_event(MonitorEvent, {"scheduled": True}) == MonitorEvent(scheduled=True)
    answer = parse_event(MonitorEvent, {"scheduled": "every minute"})
    assert isinstance(answer, InvalidInput)
    assert answer.field == "scheduled"


def test_settings_name_missing_variables() -> None:
    tables = {"CONNECTIONS_TABLE": "c", "ALLOWLIST_TABLE": "a", "STATE_TABLE": "s"}
    with pytest.raises(RuntimeError, match="CONNECTIONS_TABLE"):
        Settings.from_env({"ALLOWLIST_TABLE": "a", "STATE_TABLE": "s"})
    assert MonitorSettings.from_env(tables).forecast_horizon_minutes == 60


def test_incident_functions_require_the_idempotency_table_and_the_monitor_does_not() -> None:
    tables = {"CONNECTIONS_TABLE": "c", "ALLOWLIST_TABLE": "a", "STATE_TABLE": "s"}
    with pytest.raises(RuntimeError, match="IDEMPOTENCY_TABLE"):
        IncidentSettings.from_env(tables)
    assert IncidentSettings.from_env({**tables, "IDEMPOTENCY_TABLE": "i"}).idempotency_table == "i"
    assert MonitorSettings.from_env(tables).incident_function_name == ""

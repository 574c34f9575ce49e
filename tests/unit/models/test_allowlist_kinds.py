"""Allowlist entries of the `setting`, `user` and `app` kinds: names, options, the user tier rule;
every refusal names the field it is about."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry, AutomationKind


def _entry(automation: str, **options: Any) -> AllowlistEntry:
    return AllowlistEntry(connection_id="sf", automation=automation, **options)


@pytest.mark.parametrize(
    ("automation", "options", "kind_options"),
    [
        ("setting:Trigger_Switches__c.Disable_Rollups__c", {}, {"brake_value": True}),
        ("setting:pkg__Switches__c.pkg__Off__c", {"brake_value": False}, {"brake_value": False}),
        ("user:etl@acme.com", {"tier": 2}, {}),
        ("user:005000000000001AAA", {"tier": 3}, {}),
        ("user:etl@acme.com", {"freeze_at_tier_1": True}, {}),
        (
            "app:Acme ETL",
            {"permission_set": "ETL_Integration"},
            {"permission_set": "ETL_Integration"},
        ),
    ],
)
def test_valid_entries(automation: str, options: dict[str, Any], kind_options: Any) -> None:
    entry = _entry(automation, **options)
    assert entry.kind in (AutomationKind.SETTING, AutomationKind.USER, AutomationKind.APP)
    assert entry.kind_options() == kind_options


@pytest.mark.parametrize(
    ("automation", "options", "field", "says"),
    [
        ("user:etl@acme.com", {}, "tier", "tier 2 or higher"),
        ("user:etl@acme.com", {"tier": 1}, "tier", "freeze_at_tier_1"),
        ("flow:Rollup", {"brake_value": False}, "brake_value", "only for setting"),
        ("setting:A__c.B__c", {"freeze_at_tier_1": True}, "freeze_at_tier_1", "only for user"),
        ("setting:Trigger_Switches__c", {}, "automation", "Setting__c.Field__c"),
        ("setting:Switches.Disable", {}, "automation", "Setting__c.Field__c"),
        ("user:not-a-username", {"tier": 2}, "automation", "username"),
        ("user:a'b@acme.com", {"tier": 2}, "automation", "username"),
        ("app:Acme ETL", {}, "permission_set", "required for app entries"),
        ("app:Acme ETL", {"permission_set": "ETL Set"}, "permission_set", "API name"),
        ("flow:Rollup", {"permission_set": "ETL"}, "permission_set", "only for app"),
        ("app:a:b", {"permission_set": "ETL"}, "automation", "connected app's name"),
    ],
)
def test_refusals_name_the_field(
    automation: str, options: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        _entry(automation, **options)
    (error,) = raised.value.errors()
    assert error["loc"] == (field,)
    assert says in error["msg"]

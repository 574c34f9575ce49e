"""Allowlist entries: the only automations apibrake may ever touch."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from apibrake.models.automation_text import with_label


class AutomationKind(StrEnum):
    FLOW = "flow"  # Salesforce FlowDefinition DeveloperName (Process Builder too)
    SCHEDULED_APEX = "scheduled_apex"  # Salesforce CronJobDetail.Name
    WORKFLOW = "workflow"  # HubSpot flow id
    SETTING = (
        "setting"  # Salesforce hierarchy custom setting field, org default: Object__c.Field__c
    )
    USER = "user"  # Salesforce user to freeze (UserLogin.IsFrozen): username or 005 Id
    # Salesforce connected app: its access through one permission set (SetupEntityAccess)
    APP = "app"


_NAME_RULES: dict[AutomationKind, tuple[re.Pattern[str], str]] = {
    # Optional managed-package namespace: ns__Developer_Name.
    AutomationKind.FLOW: (
        re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]{0,79}$"),
        "a flow DeveloperName (letters, digits, underscores)",
    ),
    AutomationKind.SCHEDULED_APEX: (
        re.compile(r"^[^\x00-\x1f]{1,255}$"),
        "a scheduled job name (1-255 printable characters)",
    ),
    AutomationKind.WORKFLOW: (re.compile(r"^[0-9]{1,20}$"), "a HubSpot flow id (digits)"),
    AutomationKind.SETTING: (
        re.compile(
            r"^(?:[A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]{0,39}__c"
            r"\.(?:[A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]{0,39}__c$"
        ),
        "a hierarchy custom setting field, Setting__c.Field__c (API names)",
    ),
    AutomationKind.USER: (
        re.compile(r"^(?:005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?|[^@\s,']{1,80}@[^@\s,']{1,80})$"),
        "a Salesforce username (name@domain) or a User Id (005...)",
    ),
    AutomationKind.APP: (
        re.compile(r"^[^\x00-\x1f:,]{1,80}$"),
        "a connected app's name (ConnectedApplication.Name, up to 80 characters)",
    ),
}
# Kinds anonymous Apex can change: braked through the break-glass channel once Salesforce
# refuses REST for the daily limit (brake/break_glass.py). Flows cannot be (Apex has no
# way to deactivate one without an API callout).
BREAK_GLASS_KINDS = frozenset(
    {AutomationKind.SCHEDULED_APEX, AutomationKind.SETTING, AutomationKind.USER}
)
_SALESFORCE_USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")


def break_glass_takes(kind: AutomationKind, name: str) -> bool:
    """Whether the break-glass brake can brake this automation: a kind Apex can change, but
    not a user named by Id (its block finds users by username)."""
    if kind not in BREAK_GLASS_KINDS:
        return False
    return not (kind is AutomationKind.USER and _SALESFORCE_USER_ID.match(name))


# A permission set's API name: a letter first, then letters, digits, single underscores.
PERMISSION_SET_NAME = re.compile(r"^[A-Za-z](?:_?[A-Za-z0-9]){0,79}$")

# Options that mean something for one kind only: set on another kind, they are refused.
_KIND_OPTIONS: dict[str, AutomationKind] = {
    "brake_value": AutomationKind.SETTING,
    "freeze_at_tier_1": AutomationKind.USER,
    "permission_set": AutomationKind.APP,
}


def _field_error(field: str, message: str, value: Any) -> ValidationError:
    """An error located at `field` (a model check spanning fields would name none)."""
    error = PydanticCustomError("value_error", message)
    return ValidationError.from_exception_data(
        "AllowlistEntry", [InitErrorDetails(type=error, loc=(field,), input=value)]
    )


def checked_automation_key(value: str) -> str:
    """`value` when it is a well-formed allowlist key (KIND:NAME, the name as its kind
    names it); ValueError saying what is wrong otherwise."""
    kind_text, sep, name = value.partition(":")
    if not sep:
        raise ValueError("must be KIND:NAME, e.g. flow:Account_Rollup")
    try:
        kind = AutomationKind(kind_text)
    except ValueError:
        kinds = ", ".join(k.value for k in AutomationKind)
        raise ValueError(f"unknown kind {kind_text!r} (one of: {kinds})") from None
    pattern, expected = _NAME_RULES[kind]
    if not pattern.match(name):
        raise ValueError(f"name {name!r} is not {expected}")
    return value


# The connections table's own rule for connection_id.
ConnectionRef = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")]


class AllowlistEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: Annotated[str, Field(min_length=1)]
    automation: str
    tier: Annotated[int, Field(ge=1, le=9)] = 1
    note: str = ""
    added_by: str = ""
    # The name the platform shows when the key does not say it (a HubSpot workflow's name
    # beside its id), read when the entry was added and checked; alerts print it beside
    # the key, so a person reads a name, not an id.
    label: str = ""
    # Managed-package (namespaced) flows are only attempted when the entry says so.
    allow_managed: bool = False
    # A scheduled Apex job apibrake cannot re-create exactly (another time zone or owner,
    # a managed class) is aborted only when the entry says so, in calm time.
    allow_inexact_restore: bool = False
    # Other connections whose API calls this automation also spends (a HubSpot workflow
    # writing to Salesforce): their brake brakes it too, and it is released only once
    # they have recovered as well.
    drives: tuple[ConnectionRef, ...] = ()
    # What the brake sets a `setting` entry's field to (a kill switch: true by default).
    brake_value: bool | None = None
    # A `user` entry freezes a login: tier 2 or higher unless the entry says so.
    freeze_at_tier_1: bool = False
    # An `app` entry: the permission set (API name) whose access to the app the brake removes.
    permission_set: str | None = None
    # A rehearsal canary (`apibrake rehearse`): a harmless automation that only a brake
    # naming it in its event's `only` touches, so a real brake never spends calls on it.
    canary: bool = False

    @field_validator("automation")
    @classmethod
    def _kind_and_name(cls, value: str) -> str:
        return checked_automation_key(value)

    @field_validator("drives")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _drives_others(self) -> AllowlistEntry:
        if self.connection_id in self.drives:
            raise ValueError("drives: must name other connections, not the entry's own")
        return self

    @model_validator(mode="after")
    def _kind_options(self) -> AllowlistEntry:
        kind = self.kind
        for option, only in _KIND_OPTIONS.items():
            value = getattr(self, option)
            if kind is not only and value != type(self).model_fields[option].default:
                raise _field_error(
                    option, f"only for {only.value} entries, not {kind.value}", value
                )
        if kind is AutomationKind.APP:
            self._check_permission_set()
        if kind is AutomationKind.USER and self.tier < 2 and not self.freeze_at_tier_1:
            raise _field_error(
                "tier",
                "a user entry freezes a login (every integration using it stops), so it must "
                "be tier 2 or higher; set freeze_at_tier_1 to allow tier 1",
                self.tier,
            )
        return self

    def _check_permission_set(self) -> None:
        if self.permission_set is None:
            raise _field_error(
                "permission_set",
                "required for app entries: the permission set (API name) whose access to the "
                "app the brake removes",
                None,
            )
        if not PERMISSION_SET_NAME.match(self.permission_set):
            raise _field_error(
                "permission_set",
                "not a permission set API name (a letter, then letters, digits and single "
                "underscores, up to 80)",
                self.permission_set,
            )

    @property
    def named_automation(self) -> str:
        """The key with the platform's name beside it: `workflow:2001 (Enrichment)`."""
        return with_label(self.automation, self.label or None)

    @property
    def kind(self) -> AutomationKind:
        return AutomationKind(self.automation.partition(":")[0])

    @property
    def name(self) -> str:
        return self.automation.partition(":")[2]

    def kind_options(self) -> dict[str, Any]:
        """What the brake of this entry's kind needs from the entry (journalled on its row)."""
        if self.kind is AutomationKind.SETTING:
            return {"brake_value": True if self.brake_value is None else self.brake_value}
        if self.kind is AutomationKind.APP:
            return {"permission_set": self.permission_set}
        return {}

"""A connection: one Salesforce org or one HubSpot portal (an item in the connections table)."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from apibrake.models.protected import ProtectedConsumers

Percent = Annotated[float, Field(gt=0, le=200)]
# Whole minutes: the schedule ticks once a minute, so a finer interval could not be kept.
CheckMinutes = Annotated[int, Field(ge=1, le=24 * 60)]
# A username, a User Id or a connected app name, as the platform's logs spell it.
_CONSUMER_NAME = re.compile(r"^[^\x00-\x1f,]{1,255}$")
SALESFORCE_TAIL_MINUTES = 30.0  # see Connection.tail_minutes


class Platform(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


class AutoBrake(StrEnum):
    """What the monitor does where the automatic brake starts (brake_at, or ahead of it).

    Stored as `true`, `false` or `"shadow"`: items written before shadow mode hold a bool."""

    ON = "on"  # brake without a human
    OFF = "off"  # alert only: a person brakes by hand
    SHADOW = "shadow"  # plan the brake, journal the plan, alert "would have braked"; change nothing

    def __bool__(self) -> bool:
        # `auto_brake` used to be a bool, and any str is truthy: code still reading it as
        # `if connection.auto_brake:` must take shadow mode for "no real brake", never "brake".
        return self is AutoBrake.ON


_AUTO_BRAKE_STORED: dict[AutoBrake, bool | str] = {
    AutoBrake.ON: True,
    AutoBrake.OFF: False,
    AutoBrake.SHADOW: AutoBrake.SHADOW.value,
}

# What an item may hold besides a bool: the words and numbers pydantic read as a bool when
# the field was one (a hand-written item), and "shadow".
_AUTO_BRAKE_WORDS = {
    **dict.fromkeys(("true", "t", "yes", "y", "on", "1"), AutoBrake.ON),
    **dict.fromkeys(("false", "f", "no", "n", "off", "0"), AutoBrake.OFF),
    "shadow": AutoBrake.SHADOW,
}


class Connection(BaseModel):
    """Only `connection_id`, `platform` and `secret_id` are required."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")]
    platform: Platform
    secret_id: Annotated[str, Field(min_length=1, max_length=512)]
    enabled: bool = True
    warn_at: tuple[Percent, ...] = (70.0, 80.0)
    brake_at: Percent = 90.0
    auto_brake: AutoBrake = AutoBrake.ON
    # The tiers the automatic brake takes (1..N): 2 lets it freeze tier-2 `user` entries.
    auto_brake_tier: Annotated[int, Field(ge=1, le=9)] = 1
    reserve_pct: Annotated[float, Field(ge=0, lt=50)] = 5.0
    release_below: Percent = 50.0
    label: str = ""
    # Adaptive cadence (watch/cadence.py): how often a calm, warm or hot connection is checked.
    check_hot_minutes: CheckMinutes = 1
    check_warm_minutes: CheckMinutes = 5
    check_calm_minutes: CheckMinutes = 15
    # Brake before the threshold when a sustained rate will cross it before the next check
    # plus the time a brake takes to land (watch/ahead.py).
    brake_ahead: bool = True
    brake_lead_minutes: Annotated[float, Field(ge=0, le=60)] = 1.0
    # How long consumers keep burning after a brake lands (None: the platform's default,
    # see `tail_minutes`). Brake ahead keeps brake plus tail under 100 % (watch/ahead.py);
    # the outside-reach alert waits it out.
    brake_tail_minutes: Annotated[float, Field(ge=0, le=240)] | None = None
    # Consumers apibrake never freezes, blocks or suggests stopping (models/protected.py):
    # the HubSpot connector's integration user, found by `apibrake discover`.
    protected_consumers: tuple[str, ...] = ()

    @field_validator("warn_at", mode="before")
    @classmethod
    def _sorted_unique(cls, value: object) -> object:
        if isinstance(value, list | tuple | set):
            try:
                return tuple(sorted({float(v) for v in value}))
            except (TypeError, ValueError):
                return value  # the field's own validation names the bad element
        return value

    @field_validator("auto_brake", mode="before")
    @classmethod
    def _auto_brake_mode(cls, value: object) -> object:
        # A bool (every item stored before shadow mode, and the CLI's --auto-brake flag) or
        # the word "shadow"; "on" and "off" read as they are written.
        if isinstance(value, AutoBrake):
            return value
        if isinstance(value, bool):
            return AutoBrake.ON if value else AutoBrake.OFF
        if isinstance(value, int | Decimal) and value in (0, 1):  # DynamoDB numbers: Decimal
            return AutoBrake.ON if value else AutoBrake.OFF
        if isinstance(value, str) and value.strip().lower() in _AUTO_BRAKE_WORDS:
            return _AUTO_BRAKE_WORDS[value.strip().lower()]
        raise ValueError(f'auto_brake: must be true, false or "shadow"; got {value!r}')

    @field_serializer("auto_brake")
    def _auto_brake_stored(self, value: AutoBrake) -> bool | str:
        # true/false as before, so an item without shadow mode reads the same to older code.
        return _AUTO_BRAKE_STORED[value]

    @field_validator("protected_consumers", mode="before")
    @classmethod
    def _consumer_names(cls, value: object) -> object:
        # Checked here, not by type: the error must name the field in plain words.
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple | set):
            raise ValueError("protected_consumers: must be a list of usernames or app names")
        names: dict[str, str] = {}
        for item in value:
            if not isinstance(item, str) or not _CONSUMER_NAME.match(item.strip()):
                raise ValueError(
                    "protected_consumers: each one must be a username, a User Id or a "
                    f"connected app name (1-255 characters, no commas); got {item!r}"
                )
            names.setdefault(item.strip().lower(), item.strip())
        return tuple(names.values())

    @model_validator(mode="after")
    def _thresholds_are_ordered(self) -> Connection:
        if any(w >= self.brake_at for w in self.warn_at):
            raise ValueError("warn_at: every warning threshold must be below brake_at")
        if self.release_below >= self.brake_at:
            raise ValueError("release_below: must be below brake_at, or release would re-trip")
        if self.check_warm_minutes < self.check_hot_minutes:
            raise ValueError("check_warm_minutes: must be at least check_hot_minutes")
        if self.check_calm_minutes < self.check_warm_minutes:
            raise ValueError("check_calm_minutes: must be at least check_warm_minutes")
        return self

    @property
    def effective_brake_at(self) -> float:
        """Where the brake really trips: early enough that `reserve_pct` of the limit is
        still left for the brake's own calls (brake_at 98 with reserve_pct 5 trips at 95)."""
        return min(self.brake_at, 100.0 - self.reserve_pct)

    @property
    def brakes_automatically(self) -> bool:
        """The monitor starts the real brake at the effective brake threshold."""
        return self.auto_brake is AutoBrake.ON

    @property
    def brakes_in_shadow(self) -> bool:
        """Shadow mode: where the real brake would start, the brake is only planned."""
        return self.auto_brake is AutoBrake.SHADOW

    @property
    def tail_minutes(self) -> float:
        """Salesforce: the HubSpot connector picks up the records changed before the brake
        at its next check (every 15 min, documented) and a triggered sync is not completed
        at once: two cycles, an estimate. HubSpot: a switched-off workflow's custom code
        stops at once, so no tail (docs/platform-notes.md S6)."""
        if self.brake_tail_minutes is not None:
            return self.brake_tail_minutes
        return SALESFORCE_TAIL_MINUTES if self.platform is Platform.SALESFORCE else 0.0

    @property
    def protected(self) -> ProtectedConsumers:
        return ProtectedConsumers.of(self.protected_consumers)

    @property
    def display_name(self) -> str:
        return self.label or self.connection_id

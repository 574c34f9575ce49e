"""A connection: one Salesforce org or one HubSpot portal (an item in the connections table)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Percent = Annotated[float, Field(gt=0, le=200)]


class Platform(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


class Connection(BaseModel):
    """Only `connection_id`, `platform` and `secret_id` are required."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")]
    platform: Platform
    secret_id: Annotated[str, Field(min_length=1, max_length=512)]
    enabled: bool = True
    warn_at: tuple[Percent, ...] = (70.0, 80.0)
    brake_at: Percent = 90.0
    auto_brake: bool = True
    # The tiers the automatic brake takes (1..N): 2 lets it freeze tier-2 `user` entries.
    auto_brake_tier: Annotated[int, Field(ge=1, le=9)] = 1
    reserve_pct: Annotated[float, Field(ge=0, lt=50)] = 5.0
    release_below: Percent = 50.0
    label: str = ""

    @field_validator("warn_at", mode="before")
    @classmethod
    def _sorted_unique(cls, value: object) -> object:
        if isinstance(value, list | tuple | set):
            try:
                return tuple(sorted({float(v) for v in value}))
            except (TypeError, ValueError):
                return value  # the field's own validation names the bad element
        return value

    @model_validator(mode="after")
    def _thresholds_are_ordered(self) -> Connection:
        if any(w >= self.brake_at for w in self.warn_at):
            raise ValueError("warn_at: every warning threshold must be below brake_at")
        if self.release_below >= self.brake_at:
            raise ValueError("release_below: must be below brake_at, or release would re-trip")
        return self

    @property
    def effective_brake_at(self) -> float:
        """Where the brake really trips: early enough that `reserve_pct` of the limit is
        still left for the brake's own calls (brake_at 98 with reserve_pct 5 trips at 95)."""
        return min(self.brake_at, 100.0 - self.reserve_pct)

    @property
    def display_name(self) -> str:
        return self.label or self.connection_id

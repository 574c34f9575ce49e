"""The functions' environment, parsed once (set by template.yaml; see design.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    connections_table: str = Field(min_length=1)
    allowlist_table: str = Field(min_length=1)
    state_table: str = Field(min_length=1)
    idempotency_table: str = ""
    alert_topic_arn: str = ""
    incident_function_name: str = ""
    secret_prefix: str = "apibrake/"  # noqa: S105 - a name prefix, not a secret
    forecast_horizon_minutes: int = Field(default=60, ge=1, le=24 * 60)
    reading_ttl_hours: int = Field(default=48, ge=25)  # > 24 h: burn rates span the window
    max_concurrency: int = Field(default=25, ge=1, le=200)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        fields = {name: source[name.upper()] for name in cls.model_fields if name.upper() in source}
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            names = ", ".join(str(err["loc"][0]).upper() for err in exc.errors())
            raise RuntimeError(f"missing or invalid environment variables: {names}") from None

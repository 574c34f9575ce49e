"""Each function's environment, parsed once (set by template.yaml; see docs/configuration.md).

`Settings` is what every function reads; `MonitorSettings` and `IncidentSettings` add
what only one kind of function needs, so a missing variable fails that function's first
invocation with the variable's name instead of a later, vaguer error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    connections_table: str = Field(min_length=1)
    allowlist_table: str = Field(min_length=1)
    state_table: str = Field(min_length=1)
    alert_topic_arn: str = ""
    secret_prefix: str = "apibrake/"  # noqa: S105 - a name prefix, not a secret
    reading_ttl_hours: int = Field(default=48, ge=25)  # > 24 h: burn rates span the window
    max_concurrency: int = Field(default=25, ge=1, le=200)
    # Alerts, brakes, releases and needs-human rows as events on the default bus.
    publish_events: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        source = os.environ if env is None else env
        fields = {name: source[name.upper()] for name in cls.model_fields if name.upper() in source}
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            names = ", ".join(str(err["loc"][0]).upper() for err in exc.errors())
            raise RuntimeError(f"missing or invalid environment variables: {names}") from None


class MonitorSettings(Settings):
    incident_function_name: str = ""  # empty: no auto-brake (alerts only)
    # Where the stack runs, so an alert's commands work as copied (`--stack`, `--region`);
    # Lambda sets AWS_REGION itself.
    stack_name: str = ""
    aws_region: str = ""
    forecast_horizon_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # How long a collected daily ApiTotalUsage summary stays in the state table.
    usage_summary_ttl_days: int = Field(default=30, ge=1, le=366)
    # Each connection's values as CloudWatch metrics too (PerConnectionMetrics); off, they
    # are structured log fields only (watch/log_fields.py).
    per_connection_metrics: bool = False


class PlannerSettings(Settings):
    """The fleet planner's: where it sends the check requests."""

    urgent_queue_url: str = Field(min_length=1)
    normal_queue_url: str = Field(min_length=1)


class IncidentSettings(Settings):
    idempotency_table: str = Field(min_length=1)  # brake and release run once per trigger

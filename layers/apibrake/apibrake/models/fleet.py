"""The check request: what the fleet's planner sends a worker through SQS, one message per
connection due (docs/fleet.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from apibrake.models.events import ConnectionId


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: ConnectionId
    # The lease: the `lease_until` the planner's conditional write set (epoch seconds). A
    # worker checks only while the cadence item still holds it; else it is a stale copy.
    lease: int = Field(ge=0)
    urgent: bool
    planned_at: datetime
    # When the cadence wanted it checked (the worker's delay is measured from it).
    due_since: datetime

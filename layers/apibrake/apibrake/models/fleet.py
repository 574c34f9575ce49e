"""The fleet's messages through SQS (docs/fleet.md): a check request, one per connection
due; a collect request, one per Salesforce connection for the daily usage-file collection."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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


class CollectRequest(BaseModel):
    """One connection's daily usage-file collection (the planner's `{"collect":
    "usage_files"}` run). No lease: a second copy finds the day already collected."""

    model_config = ConfigDict(extra="forbid")

    collect: Literal["usage_files"]
    connection_id: ConnectionId
    planned_at: datetime

"""A day's ApiTotalUsage in a few hundred bytes: what the daily collection keeps in the state
table (the file itself is gone a day after Salesforce creates it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from apibrake.attribution.caller import CallerKey
from apibrake.attribution.tally import UsageTally

TOP_CONSUMERS = 20


class CallerCalls(BaseModel):
    connected_app: str = ""
    client: str = ""
    user: str = ""
    calls: int = Field(ge=0)

    @property
    def key(self) -> CallerKey:
        return CallerKey(self.connected_app, self.client, self.user)


class DailySummary(BaseModel):
    connection_id: str
    day: date  # the UTC day the file covers (LogDate)
    collected_at: datetime
    total: int = Field(ge=0)  # calls that counted against the limit
    consumers: list[CallerCalls] = Field(default_factory=list)  # top first
    per_hour: list[int] = Field(default_factory=lambda: [0] * 24)  # UTC hours
    bad_rows: int = 0
    file_id: str = ""

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.day + timedelta(days=1), datetime.min.time()).replace(
            tzinfo=self.collected_at.tzinfo
        )

    @classmethod
    def from_tally(
        cls, connection_id: str, day: date, tally: UsageTally, *, collected_at: datetime,
        file_id: str = "",
    ) -> DailySummary:  # fmt: skip
        top = tally.calls.most_common(TOP_CONSUMERS)
        return cls(
            connection_id=connection_id,
            day=day,
            collected_at=collected_at,
            total=tally.total,
            consumers=[
                CallerCalls(
                    connected_app=key.connected_app, client=key.client, user=key.user, calls=n
                )
                for key, n in top
            ],
            per_hour=[tally.per_hour.get(hour, 0) for hour in range(24)],
            bad_rows=tally.bad_rows,
            file_id=file_id,
        )

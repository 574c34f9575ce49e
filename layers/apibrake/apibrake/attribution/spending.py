"""Running one paid source within the budget: count what it cost, remember a refusal."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from apibrake.attribution.budget import CallBudget
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.models.attribution import AttributionSource
from apibrake.platforms.salesforce.errors import not_available

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RefusalMemory(Protocol):
    def remember_unavailable(
        self, connection_id: str, source: AttributionSource, reason: str, *, now: datetime
    ) -> None: ...


@dataclass
class Spender:
    connection_id: str
    client: SalesforceClient
    budget: CallBudget
    memory: RefusalMemory
    now: datetime
    unavailable: dict[AttributionSource, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def may_try(self, source: AttributionSource) -> bool:
        return source not in self.unavailable and self.budget.allows()

    async def spend(self, source: AttributionSource, call: Callable[[], Awaitable[T]]) -> T | None:
        """The source's answer, or None when it failed (noted, and remembered when the org
        does not have it)."""
        before = self.client.http.billable_calls
        try:
            return await call()
        except DailyLimitExhausted:
            self.budget.refused = True
            self.notes.append(f"{source.value}: not read, the daily limit is exhausted")
        except PlatformError as error:
            await self._failed(source, error)
        finally:
            self.budget.charge(self.client.http.billable_calls - before)
        return None

    async def _failed(self, source: AttributionSource, error: PlatformError) -> None:
        if not_available(error):
            reason = f"not available to this connection ({error.code or error.status})"
            await self.remember(source, reason)
            return
        self.notes.append(f"{source.value}: failed ({type(error).__name__})")

    async def remember(self, source: AttributionSource, reason: str) -> None:
        """Skip the source for a while (the memory's TTL), here and in later checks."""
        self.unavailable[source] = reason
        self.notes.append(f"{source.value}: {reason}; not asked again for a while")
        try:  # a DynamoDB write: off the event loop
            await asyncio.to_thread(
                self.memory.remember_unavailable, self.connection_id, source, reason,
                now=self.now,
            )  # fmt: skip
        except Exception:  # memory is an optimisation: the alert must still go out
            logger.exception(
                "attribution refusal not remembered", extra={"connection_id": self.connection_id}
            )

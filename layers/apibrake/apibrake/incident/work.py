"""One connection's incident in one invocation: what brake and release policies share.

It holds the invocation's dependencies, its AWS worker threads (every DynamoDB, SNS and
Secrets Manager call leaves the event loop through them), the connection's outcome and
its incident's lifecycle (open, lease, resume, close: `lifecycle.py`), and runs the
engine's act-and-verify on a plan.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from apibrake.aws_threads import AwsThreads
from apibrake.deadline import Deadline
from apibrake.incident import engine
from apibrake.incident.deps import IncidentDeps, publish_safely
from apibrake.incident.lifecycle import IncidentLifecycle
from apibrake.incident.outcome import ConnectionOutcome
from apibrake.incident.records import Direction, JournalRow
from apibrake.models.alert import Alert
from apibrake.models.connection import Connection
from apibrake.models.reports import AutomationRow, ConnectionFailure, FailureCode

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

T = TypeVar("T")
logger = logging.getLogger(__name__)


class IncidentWork(ABC):
    action: ClassVar[str]  # brake | release, for the logs

    def __init__(
        self,
        deps: IncidentDeps,
        aws: AwsThreads,
        deadline: Deadline,
        outcome: ConnectionOutcome,
        *,
        dry_run: bool,
    ) -> None:
        self.deps = deps
        self.aws = aws
        self.deadline = deadline
        self.outcome = outcome
        self.dry_run = dry_run
        self.lifecycle = IncidentLifecycle(deps, Direction(self.action))

    @abstractmethod
    async def run(self) -> ConnectionOutcome: ...

    async def safely(self) -> ConnectionOutcome:
        """One broken connection or incident never stops the others."""
        try:
            return await self.run()
        except Exception as error:
            where = {
                "connection_id": self.outcome.connection_id,
                "incident_id": self.outcome.incident_id,
            }
            logger.exception(f"{self.action} failed", extra=where)
            self.outcome.complete = False
            return self.fail(FailureCode.FAILED, str(error))

    async def off_loop(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A blocking AWS call, in the invocation's worker threads."""
        return await self.aws.call(function, *args, **kwargs)

    def fail(self, code: FailureCode, error: str, field: str | None = None) -> ConnectionOutcome:
        self.outcome.failure = ConnectionFailure(
            connection_id=self.outcome.connection_id or str(self.outcome.incident_id),
            code=code,
            field=field,
            error=error,
        )
        return self.outcome

    async def open_client(self, connection: Connection) -> PlatformClient | None:
        """The connection's platform client; None (and the failure recorded) when its secret
        cannot be read. The error names the field, never a value."""
        try:
            return await self.off_loop(self.deps.open_client, connection)
        except Exception as error:
            self.fail(FailureCode.SECRET, str(error), "secret_id")
            return None

    async def journal(self, rows: list[JournalRow]) -> None:
        if rows and not self.dry_run and self.outcome.incident_id:
            await self.off_loop(self.deps.journal.put_rows, self.outcome.incident_id, rows)

    async def act_and_verify(self, client: PlatformClient, work: engine.Plan) -> engine.Execution:
        """Journals what needs no change, then changes and verifies the rest."""
        acting = {row.automation for row in work.acting}
        await self.journal([row for row in work.rows if row.automation not in acting])
        execution = await engine.execute(
            work, client, self.deadline, self.journal, concurrency=self.deps.concurrency
        )
        self.outcome.complete = self.outcome.complete and execution.complete
        await engine.verify(work, execution, client, self.deadline)
        return execution

    def announce_needs_human(self, rows: list[AutomationRow], incident_id: str | None) -> None:
        """Each row a person must handle as an event (blocking: PutEvents). Never fails the
        work: the publisher logs and counts what did not go out."""
        if self.dry_run or self.deps.events is None:
            return
        self.deps.events.needs_human(rows, action=self.action, incident_id=incident_id)

    def publish(self, alert: Alert) -> None:
        """An alert that cannot go out never undoes or stops the work: it is reported."""
        problem = publish_safely(self.deps, alert)
        if problem is not None and self.outcome.failure is None:
            self.fail(FailureCode.ALERT, problem, "alert_topic")

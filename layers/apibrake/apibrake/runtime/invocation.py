"""One invocation of an incident function (brake or release), shared by both handlers.

It builds the platform clients for the run, keeps Powertools Idempotency around the
side effects (a dry run changes nothing and skips it), answers an unfinished or
concurrent run, and records the run's metrics. The handler only parses the event.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Set
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from pydantic import BaseModel

from apibrake.deadline import Deadline
from apibrake.http.transport import platform_client
from apibrake.incident.deps import IncidentDeps
from apibrake.incident.keys import IncompleteRun
from apibrake.incident.records import utcnow
from apibrake.models.reports import IncidentReport, RowStatus
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import incident_deps

Clock = Callable[[], datetime]
logger = logging.getLogger(__name__)


class IncidentRequest(Protocol):
    @property
    def dry_run(self) -> bool: ...

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


class RunKey(Protocol):
    """An idempotency key (a pydantic model) that can say what is already running."""

    def already_running(self) -> dict[str, str]: ...


RequestT = TypeVar("RequestT", bound=IncidentRequest)
Work = Callable[[RequestT, IncidentDeps, Deadline], Awaitable[IncidentReport]]


class IncidentInvocation(Generic[RequestT]):
    def __init__(
        self,
        name: str,
        work: Work[RequestT],
        *,
        key: Callable[[RequestT, datetime], RunKey],
        window_seconds: int,
        settled: Callable[[IncidentReport], bool],
        counted: Mapping[str, Set[RowStatus]],
        metrics: Metrics,
    ) -> None:
        """`settled`: whether a report may be cached (else the next trigger runs again);
        `counted`: metric name -> the row statuses it counts."""
        self.name = name
        self._work = work
        self._key = key
        self._settled = settled
        self._counted = counted
        self._metrics = metrics
        self.config = IdempotencyConfig(expires_after_seconds=window_seconds)
        # Built on first use (it needs settings); a cold start, or a test, clears it.
        self.idempotent = functools.cache(self._idempotent)
        container.on_forget(self.idempotent.cache_clear)

    def __call__(
        self, request: RequestT, context: Any, clock: Clock | None = None
    ) -> dict[str, Any]:
        clock = clock or utcnow
        logger.info(f"{self.name} requested", extra={"request": request.model_dump(mode="json")})
        deadline = Deadline.from_context(context)
        if request.dry_run:  # changes nothing: no idempotency needed
            return self._run(request, deadline, clock).model_dump(mode="json")
        if context is not None:
            self.config.register_lambda_context(context)
        key = self._key(request, clock())
        try:
            result: dict[str, Any] = self.idempotent()(
                key=key, request=request, deadline=deadline, clock=clock
            )
        except IncompleteRun as incomplete:
            return incomplete.report
        except IdempotencyAlreadyInProgressError:
            return key.already_running()
        return result

    def _idempotent(self) -> Callable[..., dict[str, Any]]:
        store = DynamoDBPersistenceLayer(
            table_name=container.incident_settings().idempotency_table,
            boto3_client=aws.aws_client("dynamodb"),
        )

        def run_once(
            *, key: BaseModel, request: RequestT, deadline: Deadline, clock: Clock
        ) -> dict[str, Any]:
            report = self._run(request, deadline, clock)
            result = report.model_dump(mode="json")
            if not self._settled(report):
                raise IncompleteRun(result)  # not cached: the next trigger resumes
            return result

        # The prefix keeps brake's and release's records apart in the one table.
        once = idempotent_function(
            data_keyword_argument="key",
            persistence_store=store,
            config=self.config,
            key_prefix=f"apibrake-{self.name}",
        )
        return once(run_once)  # type: ignore[no-any-return]

    def _run(self, request: RequestT, deadline: Deadline, clock: Clock) -> IncidentReport:
        started = time.monotonic()
        report = asyncio.run(self._with_clients(request, deadline, clock))
        if not report.dry_run:
            self._record(report, time.monotonic() - started)
        return report

    async def _with_clients(
        self, request: RequestT, deadline: Deadline, clock: Clock
    ) -> IncidentReport:
        async with platform_client() as http_client:
            settings = container.incident_settings()
            deps = incident_deps(
                settings,
                dynamodb=aws.aws_client("dynamodb"),
                sns=aws.aws_client("sns"),
                events=aws.aws_client("events") if settings.publish_events else None,
                load_secret=aws.secret_loader(),
                http_client=http_client,
                now=clock,
            )
            return await self._work(request, deps, deadline)

    def _record(self, report: IncidentReport, seconds: float) -> None:
        prefix = self.name.capitalize()
        for metric, statuses in self._counted.items():
            count = sum(row.status in statuses for row in report.rows)
            self._metrics.add_metric(metric, MetricUnit.Count, count)
        calls = sum(report.api_calls.values())
        self._metrics.add_metric(f"{prefix}ApiCalls", MetricUnit.Count, calls)
        self._metrics.add_metric(f"{prefix}Duration", MetricUnit.Seconds, round(seconds, 3))

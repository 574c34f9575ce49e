"""The usage monitor: one tick reads what is due, checks those connections concurrently,
and stores what it learnt for the next tick.

read → assess → act: a check reads usage over HTTP (watch/check.py), the decision is one
pure function (watch/decide.py), the actions claim, brake and send (watch/act.py). Platform
calls run concurrently on one shared httpx.AsyncClient, bounded by a semaphore; AWS calls
(boto3, blocking) run in worker threads so they never stall the event loop. A connection
that fails in any way becomes an error row; the others carry on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from apibrake.attribution import AttributionMemory
from apibrake.aws_threads import AWS_THREADS, AwsThreads
from apibrake.deadline import Deadline
from apibrake.http import transport
from apibrake.http.retry import RetryBudget
from apibrake.models.connection import Connection
from apibrake.warn.dispatch import Publisher
from apibrake.warn.rules import DueAlert
from apibrake.warn.trigger import Invoker
from apibrake.watch.check import Checker, not_reached, unexpected
from apibrake.watch.failures import FailureActions
from apibrake.watch.ports import AllowlistSource, ConnectionSource, MetricsSink, ReadingStore
from apibrake.watch.report import ConnectionCheck, MonitorReport
from apibrake.watch.tick import TickPlan, next_state, plan_tick, schedule_next
from apibrake.watch.tools import MonitorOptions, RunTools

logger = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UsageMonitor:
    def __init__(
        self,
        *,
        connections: ConnectionSource,
        state: ReadingStore,
        allowlist: AllowlistSource,
        publisher: Publisher,
        secrets: Callable[[str], Mapping[str, Any]],
        invoker: Invoker | None = None,
        metrics: MetricsSink | None = None,
        options: MonitorOptions | None = None,
        clock: Callable[[], datetime] = _utcnow,
        http_client: Callable[[], httpx.AsyncClient] | None = None,
        attribution: AttributionMemory | None = None,
    ) -> None:
        self._connections = connections
        self._state = state
        self._secrets = secrets
        self._invoker = invoker
        self._metrics = metrics
        self._options = options or MonitorOptions()
        self._clock = clock
        self._http_client = http_client or transport.platform_client
        self._allowlist = allowlist
        self._publisher = publisher
        self._attribution = attribution

    def check_connections(
        self, connection_ids: Sequence[str], deadline: Deadline | None = None
    ) -> MonitorReport:
        """Checks these connections now, whatever their cadence says, and stores their
        cadence: the entry point for a worker handed a batch of due connections."""
        return self.run(list(connection_ids), deadline)

    def run(
        self,
        connection_ids: list[str] | None = None,
        deadline: Deadline | None = None,
        *,
        scheduled: bool = False,
    ) -> MonitorReport:
        return asyncio.run(self.check(connection_ids, deadline, scheduled=scheduled))

    async def check(
        self,
        connection_ids: list[str] | None = None,
        deadline: Deadline | None = None,
        *,
        scheduled: bool = False,
    ) -> MonitorReport:
        """Checks the connections; once `deadline` has no time left, the ones not started
        yet are reported as not reached (the next scheduled run checks them). A scheduled
        tick checks only the connections its cadence says are due, most urgent first; any
        other run checks every one of them now."""
        checked_at = self._clock()
        deadline = deadline or Deadline()
        tools = RunTools.for_run(
            state=self._state,
            publisher=self._publisher,
            allowlist=self._allowlist,
            invoker=self._invoker,
            attribution=self._attribution,
            options=self._options,
            clock=self._clock,
        )
        with AwsThreads(min(self._options.max_concurrency, AWS_THREADS)) as threads:
            # Two reads, side by side: all a tick with nothing due costs.
            (connections, failures), states = await asyncio.gather(
                threads.call(self._connections.load, connection_ids),
                threads.call(self._state.cadence_states),
            )
            plan = plan_tick(connections, failures, states, checked_at, scheduled=scheduled)
            checks = list(plan.not_due)
            if plan.due:
                checks += await self._check_due(plan.due, deadline, tools, threads)
            invalid = FailureActions(tools)
            checks += await asyncio.gather(
                *(threads.call(invalid.invalid_item, failure) for failure in plan.invalid)
            )
            schedule_next(checks, plan, checked_at)
            if plan.due or plan.invalid:
                await threads.call(self._save_cadence, checks, plan, checked_at)
        report = MonitorReport(
            checked_at=checked_at,
            connections=sorted(checks, key=lambda check: check.connection_id),
            overdue=plan.overdue,
        )
        self._log_and_meter(report)
        return report

    async def _check_due(
        self,
        connections: list[Connection],
        deadline: Deadline,
        tools: RunTools,
        threads: AwsThreads,
    ) -> list[ConnectionCheck]:
        budget = RetryBudget(self._options.max_retries_per_run)
        gate = asyncio.Semaphore(self._options.max_concurrency)
        async with self._http_client() as client:
            checker = Checker(tools, threads, client, budget, self._secrets)

            async def bounded(connection: Connection) -> ConnectionCheck:
                async with gate:
                    if not deadline.has_time():
                        return not_reached(connection)
                    try:
                        return await checker.check(connection)
                    except Exception as error:  # a bug in one check must not stop the rest
                        logger.exception(
                            "connection check failed",
                            extra={"connection_id": connection.connection_id},
                        )
                        return unexpected(connection, error)

            return list(await asyncio.gather(*(bounded(c) for c in connections)))

    def _save_cadence(
        self, checks: list[ConnectionCheck], plan: TickPlan, checked_at: datetime
    ) -> None:
        """What this tick learnt; a connection whose check did not happen keeps its old
        state, so it is still due on the next tick."""
        try:
            states = [next_state(check, plan, checked_at) for check in checks]
            self._state.put_cadence_states(
                [state for state in states if state is not None], now=checked_at
            )
        except Exception:  # the checks stand; the next tick only checks them again
            logger.exception("cadence state not saved")

    def _log_and_meter(self, report: MonitorReport) -> None:
        if not report.complete:
            skipped = [check.connection_id for check in report.connections if check.not_reached]
            logger.warning("deadline: connections left unchecked", extra={"connections": skipped})
        if report.overdue:
            logger.warning("hot connections checked late", extra={"overdue": report.overdue})
        if self._metrics is not None:
            for check in report.connections:
                if not (check.not_reached or check.not_due):  # no reading: no data point
                    self._metrics.record(check)


__all__ = ["DueAlert", "MonitorOptions", "UsageMonitor"]

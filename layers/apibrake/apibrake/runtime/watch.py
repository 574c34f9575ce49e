"""The usage monitor's work (usage_monitor): one call for its handler.

Loaded on the monitor's first invocation, not at import: its cold start pays for the
watch and warn code only, never for brake or release.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from apibrake.deadline import Deadline
from apibrake.models.events import MonitorEvent
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import usage_file_collector, usage_monitor
from apibrake.warn.trigger import Invoker, LambdaInvoker
from apibrake.watch.log_fields import UsageLogFields
from apibrake.watch.metrics import UsageMetrics

_metrics = Metrics()  # Powertools metrics share one set per process: the handler flushes it


def check_usage(
    request: MonitorEvent,
    context: Any,
    logger: Logger,
    *,
    clock: Callable[[], datetime] | None = None,
    invoker: Invoker | None = None,
) -> dict[str, Any]:
    """One monitor run: every due connection checked, warned about and braked if needed;
    or, for the daily schedule's input, yesterday's usage files collected."""
    settings = container.monitor_settings()
    if request.collect == "usage_files":
        return collect_usage_files(request, context, logger, clock=clock)
    if invoker is None and settings.incident_function_name:
        invoker = LambdaInvoker(aws.aws_client("lambda"), settings.incident_function_name)
    monitor = usage_monitor(
        settings,
        dynamodb=aws.aws_client("dynamodb"),
        sns=aws.aws_client("sns"),
        events=aws.aws_client("events") if settings.publish_events else None,
        load_secret=aws.secret_loader(),
        invoker=invoker,
        metrics=connection_sink(settings.per_connection_metrics),
        clock=clock,
    )
    report = monitor.run(
        request.connection_ids, Deadline.from_context(context), scheduled=request.scheduled
    )
    summary = report.summary()
    if report.complete:
        logger.info("usage check done", extra=summary)
    else:
        logger.warning("usage check stopped at the deadline", extra=summary)
    _count_check(summary)
    return {"summary": summary, "complete": report.complete, **report.model_dump(mode="json")}


def connection_sink(per_connection_metrics: bool) -> UsageLogFields:
    """Each check as log fields; as custom metrics too only when opted in."""
    metrics = UsageMetrics(
        namespace=_metrics.namespace or "ApiBrake", service=_metrics.service or "apibrake"
    )
    return UsageLogFields(metrics if per_connection_metrics else None)


def collect_usage_files(
    request: MonitorEvent,
    context: Any,
    logger: Logger,
    *,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """Every Salesforce connection (or `connection_ids`) in this one run, within its
    deadline: the operator's direct invoke; the schedule fans out (runtime/fleet_collect.py)."""
    collector = usage_file_collector(
        container.monitor_settings(),
        dynamodb=aws.aws_client("dynamodb"),
        load_secret=aws.secret_loader(),
        clock=clock,
    )
    results = collector.run(request.connection_ids, Deadline.from_context(context))
    counts = Counter(result.status.value for result in results)
    logger.info("usage files collected", extra={"statuses": dict(counts)})
    return {
        "collected": [result.model_dump(mode="json") for result in results],
        "summary": dict(counts),
    }


def _count_check(summary: dict[str, Any]) -> None:
    # Per invocation; the missing-data alarm watches ChecksCompleted, OverdueChecksAlarm
    # OverdueChecks (hot connections checked later than their interval plus one tick).
    _metrics.add_metric(name="ChecksCompleted", unit=MetricUnit.Count, value=1)
    for name, key in (
        ("ConnectionsChecked", "checked"),
        ("ConnectionsFailing", "errors"),
        ("ConnectionsNotReached", "not_reached"),
        ("ConnectionsNotDue", "not_due"),
        ("OverdueChecks", "overdue"),
        ("AlertsSent", "alerts_sent"),
        ("BrakesStarted", "auto_brakes"),
    ):
        _metrics.add_metric(name=name, unit=MetricUnit.Count, value=summary[key])


__all__ = ["Invoker", "check_usage"]

"""usage_monitor: on each schedule tick, check every connection's API usage, warn, brake.

Thin on purpose: parse the event, wire AWS clients, run the domain, return its report.
Only Powertools' logger and metrics load at import; the domain (pydantic, httpx, boto3)
loads on the first invocation, and X-Ray only when tracing is switched on.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from apibrake.warn.trigger import Invoker
    from apibrake.watch.monitor import UsageMonitor

Handler = TypeVar("Handler", bound=Callable[..., Any])

logger = Logger()
metrics = Metrics()


def _tracing(handler: Handler) -> Handler:
    """Tracer imports the X-Ray SDK even when disabled: only build it when asked for."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() in {"1", "true"}
    if disabled or importlib.util.find_spec("aws_xray_sdk") is None:
        return handler
    from aws_lambda_powertools import Tracer

    return cast(Handler, Tracer().capture_lambda_handler(handler, capture_response=False))


@logger.inject_lambda_context(log_event=False)
@_tracing
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    result = handle(event, context)
    summary = result.get("summary")
    if summary:
        # Per invocation; the missing-data alarm watches ChecksCompleted.
        metrics.add_metric(name="ChecksCompleted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="ConnectionsChecked", unit=MetricUnit.Count, value=summary["checked"]
        )
        metrics.add_metric(
            name="ConnectionsFailing", unit=MetricUnit.Count, value=summary["errors"]
        )
        metrics.add_metric(
            name="ConnectionsNotReached", unit=MetricUnit.Count, value=summary["not_reached"]
        )
    return result


def handle(
    event: Any,
    context: Any = None,
    *,
    clock: Callable[[], datetime] | None = None,
    invoker: Invoker | None = None,
) -> dict[str, Any]:
    """The handler without the Lambda decorators; tests pass the sandbox clock and a fake
    invoker here. `context` gives the remaining time (no context: no deadline)."""
    from apibrake.deadline import Deadline
    from apibrake.models.errors import InvalidInput, parse_event
    from apibrake.models.events import MonitorEvent

    parsed = parse_event(MonitorEvent, {} if event is None else event)
    if isinstance(parsed, InvalidInput):
        logger.warning("invalid event", extra={"field": parsed.field})
        return parsed.model_dump()
    monitor = build_monitor(clock=clock, invoker=invoker)
    report = monitor.run(parsed.connection_ids, Deadline.from_context(context))
    summary = report.summary()
    if report.complete:
        logger.info("usage check done", extra=summary)
    else:
        logger.warning("usage check stopped at the deadline", extra=summary)
    return {"summary": summary, "complete": report.complete, **report.model_dump(mode="json")}


def build_monitor(
    *, clock: Callable[[], datetime] | None = None, invoker: Invoker | None = None
) -> UsageMonitor:
    from apibrake import wiring
    from apibrake.store.allowlist import AllowlistStore
    from apibrake.store.connections import ConnectionStore
    from apibrake.store.state import StateStore
    from apibrake.warn.publisher import AlertPublisher
    from apibrake.warn.trigger import LambdaInvoker
    from apibrake.watch.metrics import UsageMetrics
    from apibrake.watch.monitor import MonitorOptions, UsageMonitor

    settings = wiring.settings()
    dynamodb = wiring.aws_client("dynamodb")
    if invoker is None and settings.incident_function_name:
        invoker = LambdaInvoker(wiring.aws_client("lambda"), settings.incident_function_name)
    options = MonitorOptions(
        forecast_horizon_minutes=settings.forecast_horizon_minutes,
        max_concurrency=settings.max_concurrency,
        secret_prefix=settings.secret_prefix,
        incident_function_name=settings.incident_function_name or "<IncidentResponderFunction>",
    )
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    return UsageMonitor(
        connections=ConnectionStore(dynamodb, settings.connections_table),
        state=StateStore(
            dynamodb,
            settings.state_table,
            reading_ttl=timedelta(hours=settings.reading_ttl_hours),
        ),
        allowlist=AllowlistStore(dynamodb, settings.allowlist_table),
        publisher=AlertPublisher(wiring.aws_client("sns"), settings.alert_topic_arn),
        secrets=wiring.secret_loader(),
        invoker=invoker,
        metrics=UsageMetrics(
            namespace=metrics.namespace or "ApiBrake", service=metrics.service or "apibrake"
        ),
        options=options,
        **extra,
    )

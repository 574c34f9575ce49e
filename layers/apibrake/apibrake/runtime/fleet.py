"""The fleet's two functions (check_planner, check_worker): one call each for its handler.

The planner's tick leases what is due and queues it; the worker checks a batch of check
requests with the monitor, reporting only the requests SQS should deliver again
(Powertools' batch utility: partial batch failures).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from apibrake.deadline import Deadline
from apibrake.fleet.planner import CheckPlanner
from apibrake.fleet.queues import SqsCheckQueues
from apibrake.fleet.worker import BatchOutcome, BatchState, CheckWorker
from apibrake.models.cadence import CadenceState
from apibrake.models.fleet import CheckRequest
from apibrake.models.validation import describe
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import usage_monitor
from apibrake.runtime.watch import connection_sink
from apibrake.store.cadence import CadenceStore
from apibrake.store.connections import ConnectionStore
from apibrake.warn.trigger import Invoker, LambdaInvoker
from apibrake.watch.monitor import ConnectionSource, ReadingStore

_metrics = Metrics()  # one metric set per process: the handler flushes it


class CheckNotDone(Exception):
    """A request SQS should deliver again (its batch's check raised)."""


def plan_checks(
    context: Any, logger: Logger, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """One planner tick."""
    settings = container.planner_settings()
    dynamodb = aws.aws_client("dynamodb")
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    planner = CheckPlanner(
        index=CadenceStore(dynamodb, settings.state_table),
        connections=ConnectionStore(dynamodb, settings.connections_table),
        queues=SqsCheckQueues(
            aws.aws_client("sqs"),
            urgent_url=settings.urgent_queue_url,
            normal_url=settings.normal_queue_url,
        ),
        **extra,
    )
    report = planner.tick(Deadline.from_context(context))
    summary = report.summary()
    logger.info("check tick planned", extra=summary)
    # The missing-data alarm watches ChecksCompleted (one per tick); OverdueChecksAlarm
    # OverdueChecks: hot connections still unchecked a tick after their interval.
    _metrics.add_metric(name="ChecksCompleted", unit=MetricUnit.Count, value=1)
    _metrics.add_metric(name="OverdueChecks", unit=MetricUnit.Count, value=len(report.overdue))
    queued = summary["urgent"] + summary["normal"]
    _metrics.add_metric(name="ChecksQueued", unit=MetricUnit.Count, value=queued)
    return {
        "summary": summary,
        "urgent": report.urgent,
        "normal": report.normal,
        "overdue": report.overdue,
        "not_sent": report.not_sent,
    }


def check_batch(
    event: dict[str, Any],
    context: Any,
    logger: Logger,
    *,
    clock: Callable[[], datetime] | None = None,
    invoker: Invoker | None = None,
) -> dict[str, Any]:
    """One SQS batch: the `batchItemFailures` answer, naming only the requests to retry."""
    requests: dict[str, CheckRequest] = {}
    for record in event.get("Records", []):
        request = _parse(record, logger)
        if request is not None:
            requests[record["messageId"]] = request
    outcome = _worker(invoker, clock).run(list(requests.values()), Deadline.from_context(context))
    _count_batch(outcome)
    logger.info(
        "check batch done",
        extra={
            "checked": len(outcome.report.connections) if outcome.report else 0,
            "stale": len(outcome.stale),
            "dropped": len(outcome.dropped),
            "released": len(outcome.released),
            "failed": len(outcome.failed),
            "max_delay_s": round(max(outcome.delays.values(), default=0.0), 1),
        },
    )
    retry = set(outcome.failed)

    def record_handler(record: SQSRecord) -> None:
        request = requests.get(record.message_id)
        if request is not None and request.connection_id in retry:
            raise CheckNotDone(request.connection_id)

    processor = BatchProcessor(event_type=EventType.SQS)
    answer = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(answer)


def _parse(record: dict[str, Any], logger: Logger) -> CheckRequest | None:
    """A body that is no check request can never succeed: logged with its field, dropped."""
    try:
        return CheckRequest.model_validate_json(record.get("body", ""))
    except ValidationError as error:
        field, message = describe(error)
        logger.error(
            "check request rejected",
            extra={"message_id": record.get("messageId"), "field": field, "error": message},
        )
        return None


def _worker(invoker: Invoker | None, clock: Callable[[], datetime] | None) -> CheckWorker:
    settings = container.monitor_settings()
    dynamodb = aws.aws_client("dynamodb")
    if invoker is None and settings.incident_function_name:
        invoker = LambdaInvoker(aws.aws_client("lambda"), settings.incident_function_name)

    def monitor(connections: ConnectionSource, state: ReadingStore) -> Any:
        return usage_monitor(
            settings,
            dynamodb=dynamodb,
            sns=aws.aws_client("sns"),
            events=aws.aws_client("events") if settings.publish_events else None,
            load_secret=aws.secret_loader(),
            invoker=invoker,
            metrics=connection_sink(settings.per_connection_metrics),
            clock=clock,
            connections=connections,
            state=state,
        )

    def state(states: dict[str, CadenceState]) -> BatchState:
        return BatchState(
            dynamodb,
            settings.state_table,
            reading_ttl=timedelta(hours=settings.reading_ttl_hours),
            states=states,
        )

    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    return CheckWorker(
        index=CadenceStore(dynamodb, settings.state_table),
        connections=ConnectionStore(dynamodb, settings.connections_table),
        monitor=monitor,
        state=state,
        **extra,
    )


def _count_batch(outcome: BatchOutcome) -> None:
    summary = outcome.report.summary() if outcome.report else {}
    for name, value in (
        ("ConnectionsChecked", summary.get("checked", 0)),
        ("ConnectionsFailing", summary.get("errors", 0)),
        ("ConnectionsNotReached", summary.get("not_reached", 0)),
        ("AlertsSent", summary.get("alerts_sent", 0)),
        ("BrakesStarted", summary.get("auto_brakes", 0)),
        ("CheckBatchesFailed", int(bool(outcome.failed))),
    ):
        _metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

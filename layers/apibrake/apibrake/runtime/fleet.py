"""The fleet's two functions (check_planner, check_worker): one call each for its handler.

The planner's tick leases what is due and queues it; the worker checks a batch of check
requests with the monitor, and collects the usage files of its collect requests
(runtime/fleet_collect.py), reporting only the messages SQS should deliver again
(Powertools' batch utility: partial batch failures).
"""

from __future__ import annotations

import json
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
from apibrake.models.fleet import CheckRequest, CollectRequest
from apibrake.models.validation import describe
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import usage_monitor
from apibrake.runtime.fleet_collect import collect_requests
from apibrake.runtime.watch import connection_sink
from apibrake.store.cadence import CadenceStore
from apibrake.store.connections import ConnectionStore
from apibrake.warn.trigger import Invoker, LambdaInvoker
from apibrake.watch.ports import ConnectionSource, ReadingStore

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
    """One SQS batch of check requests and collect requests (the daily collection's): the
    `batchItemFailures` answer, naming only the messages to deliver again."""
    checks: dict[str, CheckRequest] = {}
    collects: dict[str, CollectRequest] = {}
    for record in event.get("Records", []):
        request = _parse(record, logger)
        if isinstance(request, CollectRequest):
            collects[record["messageId"]] = request
        elif request is not None:
            checks[record["messageId"]] = request
    retry: set[str] = set()
    if checks:
        retry |= _check(checks, context, logger, clock=clock, invoker=invoker)
    if collects:
        outcome = collect_requests(list(collects.values()), context, logger, clock=clock)
        failed = set(outcome.failed)
        retry |= {mid for mid, request in collects.items() if request.connection_id in failed}

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in retry:
            raise CheckNotDone(record.message_id)

    processor = BatchProcessor(event_type=EventType.SQS)
    answer = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(answer)


def _check(
    requests: dict[str, CheckRequest],
    context: Any,
    logger: Logger,
    *,
    clock: Callable[[], datetime] | None,
    invoker: Invoker | None,
) -> set[str]:
    """The check requests of a batch; the message ids of the ones to retry."""
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
    failed = set(outcome.failed)
    return {mid for mid, request in requests.items() if request.connection_id in failed}


def _parse(record: dict[str, Any], logger: Logger) -> CheckRequest | CollectRequest | None:
    """A body that is no request can never succeed: logged with its field, dropped. A body
    naming `collect` is a collect request; any other, a check request."""
    body = record.get("body", "")
    try:
        if _names_collect(body):
            return CollectRequest.model_validate_json(body)
        return CheckRequest.model_validate_json(body)
    except ValidationError as error:
        field, message = describe(error)
        logger.error(
            "check request rejected",
            extra={"message_id": record.get("messageId"), "field": field, "error": message},
        )
        return None


def _names_collect(body: str) -> bool:
    try:
        decoded = json.loads(body)
    except ValueError:
        return False  # the check request's parse names what is wrong
    return isinstance(decoded, dict) and "collect" in decoded


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

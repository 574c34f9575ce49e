"""The daily collection's fan-out (fleet/collection.py) for the fleet's two functions:
check_planner sends the collect requests on `{"collect": "usage_files"}`, check_worker
collects the ones a batch holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from apibrake.deadline import Deadline
from apibrake.fleet import collection
from apibrake.fleet.collection import CollectOutcome
from apibrake.fleet.queues import SqsCheckQueues
from apibrake.models.fleet import CollectRequest
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import usage_file_collector
from apibrake.store.connections import ConnectionStore

_metrics = Metrics()  # one metric set per process: the handler flushes it


def plan_collection(
    context: Any, logger: Logger, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """One collect request per enabled Salesforce connection, on the normal queue."""
    settings = container.planner_settings()
    queue = SqsCheckQueues(
        aws.aws_client("sqs"),
        urgent_url=settings.urgent_queue_url,
        normal_url=settings.normal_queue_url,
    )
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    plan = collection.plan_collection(
        ConnectionStore(aws.aws_client("dynamodb"), settings.connections_table),
        queue,
        Deadline.from_context(context),
        **extra,
    )
    summary = plan.summary()
    logger.info("usage file collection queued", extra=summary)
    _metrics.add_metric(name="CollectionsQueued", unit=MetricUnit.Count, value=len(plan.queued))
    return {
        "summary": summary,
        "queued": plan.queued,
        "not_sent": plan.not_sent,
        "not_queued": plan.not_queued,
    }


def collect_requests(
    requests: list[CollectRequest],
    context: Any,
    logger: Logger,
    *,
    clock: Callable[[], datetime] | None = None,
) -> CollectOutcome:
    """The collect requests of one batch; the outcome names the connections to retry."""
    if not requests:
        return CollectOutcome()
    collector = usage_file_collector(
        container.monitor_settings(),
        dynamodb=aws.aws_client("dynamodb"),
        load_secret=aws.secret_loader(),
        clock=clock,
    )
    outcome = collection.collect_batch(requests, collector, Deadline.from_context(context))
    statuses = Counter(result.status.value for result in outcome.collected)
    logger.info(
        "usage files collected", extra={"statuses": dict(statuses), "failed": outcome.failed}
    )
    _metrics.add_metric(name="CollectionsFailed", unit=MetricUnit.Count, value=len(outcome.failed))
    return outcome

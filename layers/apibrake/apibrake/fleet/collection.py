"""The daily usage-file collection, fanned out like the checks (docs/fleet.md): the planner's
`{"collect": "usage_files"}` run sends one collect request per enabled Salesforce connection
to the normal queue; the worker collects the connections of its batch and names the ones to
deliver again.

- Sending costs one scan of the connections table (three attributes) and one SendMessageBatch
  per ten connections, eight at a time; requests not sent before the deadline are counted,
  not retried (the late-file catch-up of the next day's collection looks for the day again).
- No lease: a second copy of a request (SQS delivers at least once, docs/platform-notes.md W2)
  finds the day already collected and spends nothing.
- Only a FAILED collection is retried (a platform or credential error, the deadline). An org
  without the files or the permission, or one in its reserve, is an answer, not a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from apibrake.attribution import Collected, CollectStatus
from apibrake.deadline import Deadline
from apibrake.fleet.queues import SEND_BATCH_MAX
from apibrake.models.connection import Platform
from apibrake.models.fleet import CollectRequest

logger = logging.getLogger(__name__)
SEND_THREADS = 8


class SalesforceIds(Protocol):
    def enabled_ids(self, platform: Platform | None = None) -> set[str]: ...


class CollectQueue(Protocol):
    def send(self, requests: Sequence[CollectRequest], *, urgent: bool) -> list[str]:
        """Sends; the connection ids it could not send."""
        ...


class Collector(Protocol):
    def run(
        self, connection_ids: list[str] | None = None, deadline: Deadline | None = None
    ) -> list[Collected]: ...


@dataclass
class CollectionPlan:
    planned_at: datetime
    queued: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)  # SQS refused them
    not_queued: list[str] = field(default_factory=list)  # the deadline came first

    def summary(self) -> dict[str, int]:
        return {
            "queued": len(self.queued),
            "not_sent": len(self.not_sent),
            "not_queued": len(self.not_queued),
        }


def plan_collection(
    connections: SalesforceIds,
    queue: CollectQueue,
    deadline: Deadline,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> CollectionPlan:
    """One collect request per enabled Salesforce connection, on the normal queue (calm
    work: its concurrency cap keeps the collection from starving hot checks)."""
    now = clock()
    plan = CollectionPlan(planned_at=now)
    ids = sorted(connections.enabled_ids(Platform.SALESFORCE))
    chunks = [ids[start : start + SEND_BATCH_MAX] for start in range(0, len(ids), SEND_BATCH_MAX)]

    def send(chunk: list[str]) -> tuple[list[str], set[str]] | None:
        if not deadline.has_time():
            return None
        requests = [
            CollectRequest(collect="usage_files", connection_id=cid, planned_at=now)
            for cid in chunk
        ]
        return chunk, set(queue.send(requests, urgent=False))

    # Several sends at once: 1,000 calls at 10,000 connections fit the deadline.
    with ThreadPoolExecutor(SEND_THREADS) as pool:
        for chunk, sent in zip(chunks, pool.map(send, chunks), strict=True):
            if sent is None:
                plan.not_queued += chunk
                continue
            refused = sent[1]
            plan.queued += [cid for cid in chunk if cid not in refused]
            plan.not_sent += [cid for cid in chunk if cid in refused]
    if plan.not_sent or plan.not_queued:
        logger.warning(
            "usage file collection not queued for every connection",
            extra={"not_sent": plan.not_sent, "not_queued": plan.not_queued},
        )
    return plan


@dataclass
class CollectOutcome:
    collected: list[Collected] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # SQS delivers these again


def collect_batch(
    requests: list[CollectRequest], collector: Collector, deadline: Deadline
) -> CollectOutcome:
    """The batch's connections collected together (the collector bounds how many at once
    and each one by the deadline). A connection deleted, disabled or no longer Salesforce
    since it was queued has nothing to collect: done, not retried."""
    if not requests:
        return CollectOutcome()
    ids = list(dict.fromkeys(request.connection_id for request in requests))
    try:
        collected = collector.run(ids, deadline)
    except Exception:  # the state or connections table unreachable, say: all retried
        logger.exception("usage file batch failed", extra={"connections": ids})
        return CollectOutcome(failed=sorted(ids))
    failed = sorted({r.connection_id for r in collected if r.status is CollectStatus.FAILED})
    return CollectOutcome(collected=collected, failed=failed)

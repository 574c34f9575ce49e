"""Benchmark of the daily collection's fan-out: the planner's `{"collect": "usage_files"}`
run over 1,000 Salesforce connections (plus as many HubSpot ones, which it must leave out)
in the local AWS emulator (moto).

Run: .venv/bin/python -m benchmarks.collection_fanout   (prints a table; asserts nothing)
     COLLECT_SIZES=200,1000 ... for other sizes. moto's SendMessageBatch slows as its queue
     grows (about 110 ms a call at 200 requests queued, 150 ms at 1,000 here): 10,000 takes
     many minutes in moto, not in SQS.

Measured: the planner's wall time (one scan of the connections table, one SendMessageBatch
per ten Salesforce connections), its DynamoDB and SQS calls, and the requests queued. The
collection itself (one connection a request, the worker against the sandbox) is what the
integration tests run; its cost per connection is the in-process collection's.
Times are moto's: a Python process answering each call (SQS answers in milliseconds).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = [int(size) for size in os.environ.get("COLLECT_SIZES", "1000").split(",")]
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def seed(aws: Any, salesforce: int) -> None:
    """`salesforce` Salesforce connections and as many HubSpot ones (no secrets: nothing is
    collected here)."""
    from apibrake.store.items import batch_write, to_item

    items = [
        {
            "PutRequest": {
                "Item": to_item(
                    {
                        "connection_id": f"{platform[:2]}{index:05d}",
                        "platform": platform,
                        "secret_id": f"apibrake/{platform[:2]}{index:05d}",
                    }
                )
            }
        }
        for platform in ("salesforce", "hubspot")
        for index in range(salesforce)
    ]
    batch_write(aws.client("dynamodb"), aws.table_name("ConnectionsTable"), items)


class Counting:
    """A boto3 client counting its calls by operation, and the pages of its scans."""

    def __init__(self, client: Any, counts: Counter[str]) -> None:
        self._client = client
        self._counts = counts

    def get_paginator(self, operation: str) -> Any:
        return _CountingPaginator(self._client.get_paginator(operation), self._counts)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._counts[name] += 1
            return attribute(*args, **kwargs)

        return call


class _CountingPaginator:
    def __init__(self, paginator: Any, counts: Counter[str]) -> None:
        self._paginator = paginator
        self._counts = counts

    def paginate(self, **kwargs: Any) -> Any:
        for page in self._paginator.paginate(**kwargs):
            self._counts["scan page"] += 1
            yield page


def run_size(aws: Any, size: int) -> dict[str, Any]:
    from apibrake.deadline import Deadline
    from apibrake.fleet.collection import plan_collection
    from apibrake.fleet.queues import SqsCheckQueues
    from apibrake.store.connections import ConnectionStore

    seed(aws, size)
    counts: Counter[str] = Counter()
    queue = SqsCheckQueues(
        Counting(aws.client("sqs"), counts),
        urgent_url=aws.queue_url("UrgentCheckQueue"),
        normal_url=aws.queue_url("NormalCheckQueue"),
    )
    connections = ConnectionStore(
        Counting(aws.client("dynamodb"), counts), aws.table_name("ConnectionsTable")
    )
    started = time.perf_counter()
    plan = plan_collection(connections, queue, Deadline(), clock=lambda: NOW)
    wall = time.perf_counter() - started
    return {"size": size, "wall": wall, "queued": len(plan.queued), "counts": counts}


def main() -> None:
    sys.path[:0] = [str(ROOT / "layers/apibrake"), str(ROOT)]
    from localaws import LocalAws

    rows = []
    for size in SIZES:
        with LocalAws() as aws:
            rows.append(run_size(aws, size))
    print("\nDaily collection fan-out: the planner's run (moto), as many HubSpot connections")
    print("in the table as Salesforce ones\n")
    print("| Salesforce connections | wall s | scan pages | SendMessageBatch | queued |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        counts = row["counts"]
        print(
            f"| {row['size']:,} | {row['wall']:.2f} | {counts['scan page']} "
            f"| {counts['send_message_batch']} | {row['queued']:,} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark of the fleet fan-out: 1,000, 5,000 and 10,000 connections on one stack.

Run: .venv/bin/python -m benchmarks.fleet   (prints tables; asserts nothing; ~3-6 min here)
     FLEET_SIZES=1000 FLEET_TICKS=2 ... for a shorter run.

What is real and what is sampled (a 2-core machine cannot check 10,000 connections a
minute against one sandbox):
- real, at full size: the connections table and every cadence item (the due index) in the
  local AWS emulator (moto), and the planner's ticks over them: its due queries, leases and
  SQS sends, timed and counted call by call;
- sampled: SAMPLE connections a tick are checked for real by the worker (check_worker's
  handler on SQS batches from moto, the sandbox over HTTP with LATENCY_MS per request):
  CPU, DynamoDB calls and wall time per check come from them. The other queued requests
  are taken off the queues and their next cadence state written as a worker would (its
  cadence write, counted), so the fleet stays in its steady state tick after tick;
- extrapolated: monthly counts (checks a minute x 43,200) and cost, from the measured
  counts per check and per tick, at the us-east-1 prices below.
Fleet mix (stated, not measured): HOT_SHARE hot, WARM_SHARE warm, the rest calm, each due
at a uniformly spread moment of its interval (1, 5 and 15 minutes).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SIZES = tuple(int(n) for n in os.environ.get("FLEET_SIZES", "1000,5000,10000").split(","))
TICKS = int(os.environ.get("FLEET_TICKS", "3"))
SAMPLE = int(os.environ.get("FLEET_SAMPLE", "60"))  # connections really checked a tick
LATENCY_MS = 100
HOT_SHARE, WARM_SHARE = 0.02, 0.08
INTERVAL_MINUTES = {"hot": 1, "warm": 5, "calm": 15}
SQS_POLL_S = 1.0  # assumed: an SQS event source's long poll hands a message over within ~1 s
MINUTES_A_MONTH = 43_200

# us-east-1 list prices, December 2026 (docs/deploy.md; check before relying on them).
PRICE = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s": 0.0000133334,  # arm64
    "ddb_write_unit": 0.625 / 1e6,  # on demand
    "ddb_read_unit": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,  # standard queue, after the first million
    "kms_request": 0.03 / 1e4,  # SSM SecureString decryption
    "logs_gb": 0.50,
    "metric_month": 0.30,
    "secret_month": 0.40,  # Secrets Manager, for comparison
}
LAMBDA_GB = 0.25  # 256 MB
LOG_BYTES_PER_INVOCATION = 350  # Lambda's START, END and REPORT lines
FLEET_METRICS = 12  # ChecksCompleted, OverdueChecks, ChecksQueued, ConnectionsChecked, ...
# Fixed a month whatever the fleet's size: dashboard, 9 alarms, the stack's KMS key, the
# queues' idle long polling (~1.3 M requests, the first million free).
FIXED_MONTH = 3.00 + 9 * 0.10 + 1.00 + 0.12 + FLEET_METRICS * 0.30


@dataclass
class Calls:
    """AWS calls and DynamoDB capacity units, counted from boto3's events."""

    calls: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0

    def dynamodb(self) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith("dynamodb."))

    def sqs(self) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith("sqs."))


class Meter:
    """Counts what the clients of this process send (boto3's before/after-call events)."""

    def __init__(self) -> None:
        self.current: Calls | None = None
        self._attached: set[int] = set()

    def attach(self, client: Any) -> None:
        if id(client) in self._attached:
            return
        self._attached.add(id(client))
        service = client.meta.service_model.service_name
        client.meta.events.register(f"provide-client-params.{service}.*", self._before)
        client.meta.events.register(f"after-call.{service}.*", self._after)

    @contextmanager
    def counting(self) -> Iterator[Calls]:
        calls = Calls()
        self.current = calls
        try:
            yield calls
        finally:
            self.current = None

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None:
            return
        name = f"{model.service_model.service_name}.{model.name}"
        self.current.calls[name] += 1
        if model.name in {"PutItem", "UpdateItem", "DeleteItem"}:
            self.current.write_units += 1  # items here are far below 1 KB
        elif model.name == "BatchWriteItem":
            self.current.write_units += sum(len(r) for r in params["RequestItems"].values())

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None or model.service_model.service_name != "dynamodb":
            return
        if model.name in {"Query", "Scan"}:
            size = len(json.dumps(parsed.get("Items", [])))
            self.current.read_units += max(1, -(-size // 4096)) * 0.5
        elif model.name == "GetItem":
            self.current.read_units += 1
        elif model.name == "BatchGetItem":
            self.current.read_units += sum(len(v) for v in parsed.get("Responses", {}).values())


@dataclass
class SizeResult:
    size: int
    tick_s: list[float] = field(default_factory=list)
    urgent_sent_s: list[float] = field(default_factory=list)
    tick_calls: list[Calls] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    urgent: list[int] = field(default_factory=list)
    sweep_s: float = 0.0
    checks: int = 0
    check_cpu_s: float = 0.0
    batch_wall_s: list[float] = field(default_factory=list)
    worker_calls: Calls = field(default_factory=Calls)
    worker_batches: int = 0
    hot_delays_s: list[float] = field(default_factory=list)
    secret_reads: int = 0
    log_bytes: int = 0
    errors: int = 0
    simulated_calls: Calls = field(default_factory=Calls)
    simulated_checks: int = 0
    # The same sampled connections checked by today's in-process run (usage_monitor).
    inprocess_cpu_s: float = 0.0
    inprocess_checks: int = 0


def temperature_of(index: int, size: int) -> str:
    if index < size * HOT_SHARE:
        return "hot"
    if index < size * (HOT_SHARE + WARM_SHARE):
        return "warm"
    return "calm"


def seed_fleet(aws: Any, sandbox: Any, size: int, now: datetime, sampled: set[str]) -> list[str]:
    """The connections table and each connection's cadence item (a steady state: each due
    at a uniform moment of its interval); secrets only for the sampled ones."""
    from apibrake.models.cadence import CadenceState, Temperature
    from apibrake.store.cadence import CadenceStore
    from apibrake.store.items import batch_write, to_item

    dynamodb = aws.client("dynamodb")
    ids = [f"c{index:05d}" for index in range(size)]
    hubspot = sandbox.hubspot.settings
    items = [
        {
            "PutRequest": {
                "Item": to_item(
                    {
                        "connection_id": cid,
                        "platform": "hubspot",
                        "secret_id": f"apibrake/{cid}",
                        "auto_brake": False,
                    }
                )
            }
        }
        for cid in ids
    ]
    batch_write(dynamodb, aws.table_name("ConnectionsTable"), items)
    for cid in sampled:
        aws.create_secret(
            f"apibrake/{cid}",
            {"auth": "token", "base_url": sandbox.hubspot_url, "access_token": hubspot.token},
        )
    rng = random.Random(size)
    states = []
    for index, cid in enumerate(ids):
        heat = temperature_of(index, size)
        interval = timedelta(minutes=INTERVAL_MINUTES[heat])
        due = now + interval * rng.random()
        states.append(CadenceState(cid, due - interval, Temperature(heat), due_at=due))
    CadenceStore(dynamodb, aws.table_name("StateTable")).put(states, now=now)
    return ids


def run_size(aws: Any, sandbox: Any, size: int, meter: Meter) -> SizeResult:
    from apibrake.fleet.planner import CheckPlanner
    from apibrake.fleet.queues import SqsCheckQueues
    from apibrake.models.cadence import CadenceState, Temperature
    from apibrake.models.fleet import CheckRequest
    from apibrake.runtime import aws as runtime_aws
    from apibrake.store.cadence import CadenceStore
    from apibrake.store.connections import ConnectionStore
    from localaws import sqs_source

    result = SizeResult(size)
    aws.reset()
    sandbox.hubspot.settings.burst_limit = 10**9  # a portal each: no shared burst window
    start = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    rng = random.Random(7)
    hot = [f"c{i:05d}" for i in range(int(size * HOT_SHARE))]
    others = [f"c{i:05d}" for i in range(int(size * HOT_SHARE), size)]
    sampled = set(rng.sample(hot, min(len(hot), SAMPLE // 2)))
    sampled |= set(rng.sample(others, SAMPLE - len(sampled)))
    seed_fleet(aws, sandbox, size, start, sampled)

    dynamodb, sqs = aws.client("dynamodb"), aws.client("sqs")
    for client in (dynamodb, sqs):
        meter.attach(client)
    cadence = CadenceStore(dynamodb, aws.table_name("StateTable"))
    connections = ConnectionStore(dynamodb, aws.table_name("ConnectionsTable"))
    urgent_url, normal_url = aws.queue_url("UrgentCheckQueue"), aws.queue_url("NormalCheckQueue")
    queues = SqsCheckQueues(sqs, urgent_url=urgent_url, normal_url=normal_url)

    # The sweep compares every connection with every cadence item: timed once.
    sweep_started = time.perf_counter()
    CheckPlanner(index=cadence, connections=connections, queues=queues).tick(sweep=True)
    result.sweep_s = time.perf_counter() - sweep_started
    for url in (urgent_url, normal_url):
        sqs.purge_queue(QueueUrl=url)
    os.environ.update(aws.function_environment("CheckWorkerFunction"))
    os.environ |= {"INCIDENT_FUNCTION_NAME": "", "POWERTOOLS_LOG_LEVEL": "INFO"}
    worker = _worker_app()
    from apibrake.runtime import container

    container.forget()  # a cold worker container for this size
    for service in ("dynamodb", "sqs", "secretsmanager", "ssm", "sns", "events"):
        meter.attach(runtime_aws.aws_client(service))

    # Tick 0 takes the seeded fleet into its steady state (each connection then checked at
    # a tick, due at a later one); ticks 1..TICKS are measured.
    for tick in range(TICKS + 1):
        base = start + timedelta(minutes=tick)
        real = time.perf_counter()

        def clock(base: datetime = base, real: float = real) -> datetime:
            return base + timedelta(seconds=time.perf_counter() - real)

        planner = CheckPlanner(index=cadence, connections=connections, queues=queues, clock=clock)
        with meter.counting() as calls:
            report = planner.tick(sweep=False)
        measured = tick > 0
        if measured:
            result.tick_s.append(time.perf_counter() - real)
            result.urgent_sent_s.append(report.urgent_sent_s)
            result.tick_calls.append(calls)
            result.queued.append(len(report.urgent) + len(report.normal))
            result.urgent.append(len(report.urgent))

        # Sampled requests to the real worker; the rest written as a worker would.
        for logical_id, url in (("UrgentCheckQueue", urgent_url), ("NormalCheckQueue", normal_url)):
            arn = aws.resolve({"Fn::GetAtt": [logical_id, "Arn"]})
            chosen: list[dict[str, Any]] = []

            def take(
                event: dict[str, Any], chosen: list[dict[str, Any]] = chosen
            ) -> dict[str, Any]:
                records = event["Records"]
                mine = [r for r in records if json.loads(r["body"])["connection_id"] in sampled]
                chosen.extend(mine)
                rest = [
                    CheckRequest.model_validate_json(r["body"]) for r in records if r not in mine
                ]
                with meter.counting() as simulated:
                    states = [
                        CadenceState(
                            r.connection_id,
                            clock(),
                            Temperature(temperature_of(int(r.connection_id[1:]), size)),
                            due_at=clock()
                            + timedelta(
                                minutes=INTERVAL_MINUTES[
                                    temperature_of(int(r.connection_id[1:]), size)
                                ]
                            ),
                        )
                        for r in rest
                    ]
                    cadence.put(states, now=clock())
                _add(result.simulated_calls, simulated)
                result.simulated_checks += len(rest)
                return {"batchItemFailures": []}

            sqs_source.drain(sqs, url, arn, take)
            for first in range(0, len(chosen), 10):
                batch = chosen[first : first + 10]
                if measured:
                    _run_worker_batch(worker, batch, clock, meter, result, report)
                else:
                    worker.handle({"Records": batch}, clock=clock)
                    worker.metrics.clear_metrics()
    _inprocess_reference(sorted(sampled), clock, result)
    return result


def _inprocess_reference(ids: list[str], clock: Callable[[], datetime], result: SizeResult) -> None:
    """CPU a check of the in-process run (functions/usage_monitor, as before the fan-out)
    over the same connections, in the same process: the per-check CPU to compare with."""
    import importlib

    monitor = importlib.import_module("functions.usage_monitor.app")
    for first in range(0, len(ids), 10):
        cpu = time.process_time()
        report = monitor.handle({"connection_ids": ids[first : first + 10]}, clock=clock)
        result.inprocess_cpu_s += time.process_time() - cpu
        result.inprocess_checks += report["summary"]["checked"]
        monitor.metrics.clear_metrics()


def _worker_app() -> Any:
    import importlib

    sys.path.insert(0, str(ROOT))
    return importlib.import_module("functions.check_worker.app")


def _run_worker_batch(
    worker: Any,
    records: list[dict[str, Any]],
    clock: Callable[[], datetime],
    meter: Meter,
    result: SizeResult,
    report: Any,
) -> None:
    import io
    import logging

    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    from apibrake.models.fleet import CheckRequest

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LambdaPowertoolsFormatter())
    root = logging.getLogger("apibrake")
    root.addHandler(handler)
    cpu, wall = time.process_time(), time.perf_counter()
    with meter.counting() as calls:
        answer = worker.handle({"Records": records}, clock=clock)
    result.check_cpu_s += time.process_time() - cpu
    result.batch_wall_s.append(time.perf_counter() - wall)
    root.removeHandler(handler)
    worker.metrics.clear_metrics()
    _add(result.worker_calls, calls)
    result.worker_batches += 1
    result.checks += len(records)
    result.errors += len(answer.get("batchItemFailures", []))
    result.secret_reads += calls.calls["secretsmanager.GetSecretValue"]
    # What the worker logs per check: the "connection checked" line as Powertools prints it.
    result.log_bytes += len(stream.getvalue())
    for record in records:
        request = CheckRequest.model_validate_json(record["body"])
        if int(request.connection_id[1:]) < result.size * HOT_SHARE:
            due = max(0.0, (report.planned_at - request.due_since).total_seconds())
            # planner until the urgent send, the poll, then this batch until checks start
            result.hot_delays_s.append(
                due + report.urgent_sent_s + SQS_POLL_S + result.batch_wall_s[-1]
            )


def _add(total: Calls, part: Calls) -> None:
    total.calls.update(part.calls)
    total.write_units += part.write_units
    total.read_units += part.read_units


def ddb_calls_per_check(result: SizeResult) -> float:
    worker = result.worker_calls.dynamodb() / max(result.checks, 1)
    tick = statistics.mean(c.dynamodb() for c in result.tick_calls)
    return worker + tick / max(statistics.mean(result.queued), 1)


def units_per_check(result: SizeResult) -> str:
    checks = max(result.checks, 1)
    writes, reads = result.worker_calls.write_units, result.worker_calls.read_units
    return f"{writes / checks:.1f} / {reads / checks:.1f}"


def cost_per_1000(result: SizeResult) -> dict[str, float]:
    """A month per 1,000 connections, from the measured counts."""
    checks_a_minute = statistics.mean(result.queued)
    per_1000 = 1000 / result.size
    checks = checks_a_minute * MINUTES_A_MONTH * per_1000
    per_check_ddb_w = (result.worker_calls.write_units) / max(result.checks, 1)
    per_check_ddb_r = (result.worker_calls.read_units) / max(result.checks, 1)
    tick_w = statistics.mean(c.write_units for c in result.tick_calls) / max(checks_a_minute, 1)
    tick_r = statistics.mean(c.read_units for c in result.tick_calls) / max(checks_a_minute, 1)
    batch_s = statistics.mean(result.batch_wall_s)
    batches = checks / 10
    ticks = MINUTES_A_MONTH * per_1000
    lambda_cost = (batches + ticks) * PRICE["lambda_request"] + (
        batches * batch_s + ticks * statistics.mean(result.tick_s)
    ) * LAMBDA_GB * PRICE["lambda_gb_s"]
    tick_sqs = statistics.mean(c.sqs() for c in result.tick_calls) / max(checks_a_minute, 1)
    sqs_per_check = tick_sqs + 0.2  # + the event source's receive and delete per batch of 10
    log_gb = (
        checks * result.log_bytes / max(result.checks, 1)
        + (batches + ticks) * LOG_BYTES_PER_INVOCATION
    ) / 1e9
    # SSM SecureString: one KMS decrypt per secret read (cached 5 minutes per container).
    kms_per_check = result.secret_reads / max(result.checks, 1)
    costs = {
        "DynamoDB": checks
        * (
            (per_check_ddb_w + tick_w) * PRICE["ddb_write_unit"]
            + (per_check_ddb_r + tick_r) * PRICE["ddb_read_unit"]
        ),
        "Lambda": lambda_cost,
        "SQS": checks * sqs_per_check * PRICE["sqs_request"],
        "Logs": log_gb * PRICE["logs_gb"],
        "KMS (SSM SecureString)": checks * kms_per_check * PRICE["kms_request"],
        "fixed (dashboard, alarms, key, fleet metrics)": FIXED_MONTH * per_1000,
    }
    costs["total"] = sum(costs.values())
    return costs


def main() -> None:
    sys.path[:0] = [str(ROOT / "layers/apibrake"), str(ROOT)]
    from localaws import LocalAws
    from sandbox.clock import VirtualClock
    from sandbox.server import Sandbox

    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "ApiBrake"
    clock = VirtualClock(start=datetime(2026, 12, 7, 12, 0, tzinfo=UTC), speed=1.0)
    results = []
    started = time.perf_counter()
    with LocalAws() as aws, Sandbox(latency_ms=LATENCY_MS, clock=clock) as sandbox:
        meter = Meter()
        for size in SIZES:
            results.append(run_size(aws, sandbox, size, meter))
            print(f"  {size} connections done ({time.perf_counter() - started:.0f} s)", flush=True)
            print_tables(results)  # so far: a long run's first sizes survive an interruption


def print_tables(results: list[SizeResult]) -> None:
    print()
    print(
        f"Fleet fan-out: {TICKS} planner ticks a size over every connection (moto), "
        f"{SAMPLE} connections a tick checked for real by the worker (sandbox, "
        f"{LATENCY_MS} ms a request); mix {HOT_SHARE:.0%} hot / {WARM_SHARE:.0%} warm / rest calm"
    )
    rows: list[tuple[str, ...]] = [("measure", *(f"{r.size:,}" for r in results))]

    def row(name: str, value: Callable[[SizeResult], str]) -> None:
        rows.append((name, *(value(r) for r in results)))

    row(
        "planner tick, wall s (median / max, moto)",
        lambda r: f"{statistics.median(r.tick_s):.2f} / {max(r.tick_s):.2f}",
    )
    row("  until hot+warm sent, s (max)", lambda r: f"{max(r.urgent_sent_s):.2f}")
    row(
        "  DynamoDB calls a tick (mean)",
        lambda r: f"{statistics.mean(c.dynamodb() for c in r.tick_calls):.0f}",
    )
    row(
        "  SQS calls a tick (mean)",
        lambda r: f"{statistics.mean(c.sqs() for c in r.tick_calls):.0f}",
    )
    row("  sweep (every 5 min), wall s", lambda r: f"{r.sweep_s:.2f}")
    row("checks a minute (queued a tick, mean)", lambda r: f"{statistics.mean(r.queued):.0f}")
    row("  of them urgent (hot + warm)", lambda r: f"{statistics.mean(r.urgent):.0f}")
    row("worker batch of 10, wall s (mean)", lambda r: f"{statistics.mean(r.batch_wall_s):.2f}")
    row(
        "  workers busy at once for that rate",
        lambda r: f"{statistics.mean(r.queued) / 10 * statistics.mean(r.batch_wall_s) / 60:.1f}",
    )
    row("worst hot delay after due, s (sampled)", lambda r: f"{max(r.hot_delays_s, default=0):.1f}")
    row(
        "  hot checked within its minute",
        lambda r: "yes" if max(r.hot_delays_s, default=0) < 60 else "NO",
    )
    row("DynamoDB calls a check (worker + tick share)", lambda r: f"{ddb_calls_per_check(r):.2f}")
    row("  write / read units a check (worker)", units_per_check)
    row(
        "CPU a check, worker process (ms)",
        lambda r: f"{1000 * r.check_cpu_s / max(r.checks, 1):.1f}",
    )
    row(
        "  same connections, in-process run (ms)",
        lambda r: f"{1000 * r.inprocess_cpu_s / max(r.inprocess_checks, 1):.1f}",
    )
    row("checks done for real / errors", lambda r: f"{r.checks} / {r.errors}")
    width = [max(len(rw[i]) for rw in rows) for i in range(len(rows[0]))]
    for number, rw in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(width[i]) if i == 0 else cell.rjust(width[i])
                for i, cell in enumerate(rw)
            )
        )
        if number == 0:
            print("-" * (sum(width) + 2 * len(width)))
    print()
    print(
        "Monthly cost per 1,000 connections (us-east-1 list prices, measured counts; 30-day month)"
    )
    costs = [cost_per_1000(r) for r in results]
    names = list(costs[0])
    table = [("item", *(f"{r.size:,}" for r in results))]
    table += [(name, *(f"${c[name]:.2f}" for c in costs)) for name in names]
    table.append(
        (
            "for comparison: Secrets Manager instead of SSM",
            *(f"+${1000 * PRICE['secret_month']:.0f}" for _ in results),
        )
    )
    table.append(
        (
            "for comparison: PerConnectionMetrics=true (7 a connection)",
            *(f"+${1000 * 7 * PRICE['metric_month']:.0f}" for _ in results),
        )
    )
    width = [max(len(rw[i]) for rw in table) for i in range(len(table[0]))]
    for number, rw in enumerate(table):
        print(
            "  ".join(
                cell.ljust(width[i]) if i == 0 else cell.rjust(width[i])
                for i, cell in enumerate(rw)
            )
        )
        if number == 0:
            print("-" * (sum(width) + 2 * len(width)))
    print()
    print(
        "Planner tick times are moto's (a Python emulator: each call ~1-5 ms of its CPU on this"
        " 2-core machine); DynamoDB answers in single-digit ms. Hot delay = wait for the tick"
        f" + planner until the urgent send + {SQS_POLL_S:.0f} s assumed SQS poll + the batch's"
        " wall time (an upper bound: a check starts before its batch ends)."
    )


if __name__ == "__main__":
    main()

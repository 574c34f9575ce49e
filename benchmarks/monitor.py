"""Benchmark of the usage monitor: calls per check, 200 connections, import time.

Run: .venv/bin/python benchmarks/monitor.py   (prints a table; asserts nothing)

The local stack (moto server + sandbox with 100 ms latency) runs in this process; each
monitor run happens in a fresh child process, as a Lambda container would, so its wall
time and peak memory (ru_maxrss) are the monitor's own.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = 200
LATENCY_MS = 100
IMPORT_RUNS = 7


def child(concurrency: int, runs: int, scheduled: bool = False) -> None:
    """In a fresh process: run the handler `runs` times (cold, then warm); print JSON.
    `scheduled`: schedule ticks (only the connections their cadence says are due)."""
    sys.path[:0] = [str(ROOT / "layers/apibrake"), str(ROOT / "functions/usage_monitor")]
    os.environ["MAX_CONCURRENCY"] = str(concurrency)
    import app  # the function's module, as Lambda loads it

    results = []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        report = app.handle({"scheduled": True} if scheduled else {})
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        rows = report["connections"]
        results.append(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,  # every thread of the process: loop, AWS workers
                "errors": sum(1 for row in rows if row["error"]),
                "api_calls": [row["api_calls"] for row in rows],
                "auth_calls": sum(row["auth_calls"] for row in rows),
                "checked": report["summary"]["checked"],
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"runs": results, "peak_mb": peak_mb}))


def run_child(
    env: dict[str, str], concurrency: int, runs: int, *, scheduled: bool = False
) -> dict[str, Any]:
    mode = ["scheduled"] if scheduled else []
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--child", str(concurrency), str(runs), *mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    last = answer.stdout.strip().splitlines()[-1]
    return json.loads(last)  # type: ignore[no-any-return]


def import_seconds(statement: str, paths: list[str]) -> float:
    code = (
        "import sys, time; sys.path[:0] = "
        + repr(paths)
        + "; t = time.perf_counter(); "
        + statement
        + "; print(time.perf_counter() - t)"
    )
    samples = []
    for _ in range(IMPORT_RUNS):
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def seed(aws: Any, sandbox: Any) -> None:
    from apibrake.models.connection import Connection
    from apibrake.store.connections import ConnectionStore

    store = ConnectionStore(aws.client("dynamodb"), aws.table_name("ConnectionsTable"))
    sf, hs = sandbox.salesforce.settings, sandbox.hubspot.settings
    for index in range(CONNECTIONS):
        salesforce = index % 2 == 0
        cid = f"{'sf' if salesforce else 'hs'}-{index:03d}"
        secret = (
            {
                "auth": "client_credentials",
                "instance_url": sandbox.salesforce_url,
                "client_id": sf.client_id,
                "client_secret": sf.client_secret,
            }
            if salesforce
            else {"auth": "token", "base_url": sandbox.hubspot_url, "access_token": hs.token}
        )
        aws.create_secret(f"apibrake/{cid}", secret)
        store.put(
            Connection(
                connection_id=cid,
                platform="salesforce" if salesforce else "hubspot",
                secret_id=f"apibrake/{cid}",
            )
        )


def main() -> None:
    sys.path[:0] = [str(ROOT / "layers/apibrake"), str(ROOT)]
    from datetime import UTC, datetime

    from localaws import LocalAws
    from sandbox.clock import VirtualClock
    from sandbox.server import Sandbox

    # The child runs on the real clock, so the sandbox's clock follows it in real time.
    clock = VirtualClock(start=datetime.now(UTC), speed=1.0)
    with LocalAws() as aws, Sandbox(latency_ms=LATENCY_MS, clock=clock) as sandbox:
        env = {**os.environ, **aws.function_environment("UsageMonitorFunction")}
        env |= {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "ApiBrake"}
        env["INCIDENT_FUNCTION_NAME"] = ""  # nothing to brake into locally
        env["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        seed(aws, sandbox)
        # The 100 HubSpot connections stand for 100 portals, each with its own 10-second
        # burst window; the sandbox serves them all from one token, so its window is theirs
        # together (else a fast check trips a 429 no real fleet would see).
        sandbox.hubspot.settings.burst_limit *= CONNECTIONS // 2
        served = sandbox.salesforce_server.requests_served + sandbox.hubspot_server.requests_served
        concurrent = run_child(env, concurrency=25, runs=2)
        served_after = (
            sandbox.salesforce_server.requests_served + sandbox.hubspot_server.requests_served
        )
        sequential = run_child(env, concurrency=1, runs=1)
        # Every connection was just checked and is calm: a schedule tick finds none due.
        before_calm = served_now(sandbox)
        calm = run_child(env, concurrency=25, runs=2, scheduled=True)
        calm_requests = served_now(sandbox) - before_calm

    boto3_s = import_seconds("import boto3", [])
    paths = [str(ROOT / "layers/apibrake"), str(ROOT / "functions/usage_monitor")]
    app_s = import_seconds("import app", paths)
    # What the first invocation adds: the domain, loaded lazily by the handler.
    init_s = import_seconds(
        "import app, apibrake.runtime.watch, apibrake.watch.monitor, apibrake.store.state, "
        "apibrake.platforms.salesforce.client, apibrake.platforms.hubspot.client",
        paths,
    )
    cold, warm = concurrent["runs"]
    calls = cold["api_calls"] + warm["api_calls"]
    platform_requests = served_after - served
    rows = [
        (
            "platform calls per connection per check (billable)",
            f"{max(calls)} (mean {statistics.mean(calls):.2f})",
            "1",
        ),
        (
            "  requests per connection, cold (incl. token)",
            f"{platform_requests / CONNECTIONS / 2:.2f} (2 runs avg)",
            "",
        ),
        (f"{CONNECTIONS} connections, concurrent, cold: wall s", f"{cold['seconds']:.2f}", "< 10"),
        (f"{CONNECTIONS} connections, concurrent, warm: wall s", f"{warm['seconds']:.2f}", "< 10"),
        (
            f"{CONNECTIONS} connections, sequential, cold: wall s",
            f"{sequential['runs'][0]['seconds']:.2f}",
            "(reference)",
        ),
        (
            "CPU per check, ms (concurrent cold / warm / sequential)",
            " / ".join(
                f"{run['cpu_seconds'] * 1000 / max(run['checked'], 1):.1f}"
                for run in (cold, warm, sequential["runs"][0])
            ),
            "(not worse)",
        ),
        (
            f"{CONNECTIONS} connections all calm, schedule tick: wall s (cold / warm)",
            f"{calm['runs'][0]['seconds']:.2f} / {calm['runs'][1]['seconds']:.2f}",
            "< 1 (warm)",
        ),
        (
            "  connections checked / platform requests in those ticks",
            f"{calm['runs'][0]['checked'] + calm['runs'][1]['checked']} / {calm_requests}",
            "0 / 0",
        ),
        (
            "peak memory, concurrent process (MB, ru_maxrss)",
            f"{concurrent['peak_mb']:.0f}",
            "< 256",
        ),
        (
            "peak memory, sequential process (MB, ru_maxrss)",
            f"{sequential['peak_mb']:.0f}",
            "(reference)",
        ),
        (
            "errors (concurrent cold / warm / sequential)",
            f"{cold['errors']} / {warm['errors']} / {sequential['runs'][0]['errors']}",
            "0",
        ),
        ("import app.py (s, median of 7)", f"{app_s:.3f}", ""),
        ("import boto3 (s, median of 7)", f"{boto3_s:.3f}", ""),
        ("import ratio app.py / boto3", f"{app_s / boto3_s:.2f}", "< 2"),
        ("  incl. lazy domain imports (s) / boto3", f"{init_s:.3f} / {init_s / boto3_s:.2f}", ""),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'measure':<{width}}  {'value':>22}  target")
    print("-" * (width + 34))
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")


def served_now(sandbox: Any) -> int:
    served: int = sandbox.salesforce_server.requests_served
    return served + int(sandbox.hubspot_server.requests_served)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), int(sys.argv[3]), scheduled="scheduled" in sys.argv[4:])
    else:
        main()

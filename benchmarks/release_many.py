"""Release across many open incidents: the scheduled restore's cost as incidents pile up.

    .venv/bin/python -m benchmarks.release_many

N Salesforce connections (one sandbox org, 100 ms latency per request), each with its
own 2 allowlisted flows, all braked: N open incidents. Then one scheduled release
(`release_recovered`) once the window has recovered, as EventBridge Scheduler sends it.
Reports wall time, platform calls per incident and what was released, for N = 1, 10, 30.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from apibrake.http.token_cache import TOKEN_CACHE
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from benchmarks.incident_functions import incident_handlers
from localaws import LocalAws
from sandbox.server import Sandbox

SIZES = (1, 10, 30)
FLOWS_EACH, LATENCY_MS = 2, 100
SECRET_ID = "apibrake/sf-many"  # noqa: S105 - the secret's name


def _setup(aws: LocalAws, sandbox: Sandbox, incidents: int) -> None:
    aws.create_secret(
        SECRET_ID,
        {
            "auth": "client_credentials",
            "instance_url": sandbox.salesforce_url,
            "client_id": sandbox.salesforce.settings.client_id,
            "client_secret": sandbox.salesforce.settings.client_secret,
        },
    )
    dynamodb = aws.client("dynamodb")
    connections = ConnectionStore(dynamodb, aws.table_name("ConnectionsTable"))
    allowlist = AllowlistStore(dynamodb, aws.table_name("AllowlistTable"))
    for n in range(incidents):
        cid = f"sf-{n:02d}"
        connections.put(Connection(connection_id=cid, platform="salesforce", secret_id=SECRET_ID))
        for f in range(FLOWS_EACH):
            name = f"Many_{n:02d}_{f}"
            sandbox.salesforce.add_flow(name, versions=2)
            allowlist.put(AllowlistEntry(connection_id=cid, automation=f"flow:{name}"))


def _run(incidents: int) -> dict[str, Any]:
    with LocalAws() as aws, Sandbox(latency_ms=LATENCY_MS) as sandbox:
        responder_app, restore_app = incident_handlers(aws)
        _setup(aws, sandbox, incidents)
        TOKEN_CACHE.clear()
        brake = responder_app.handle({"action": "brake"}, None, clock=sandbox.clock.now)
        sandbox.advance(timedelta(days=1))  # the rolling window has recovered
        TOKEN_CACHE.clear()
        served = sandbox.salesforce_server.requests_served
        started = time.perf_counter()
        release = restore_app.handle({"action": "release_recovered"}, None, clock=sandbox.clock.now)
        wall = time.perf_counter() - started
        return {
            "incidents": len(brake["incidents"]),
            "braked": sum(r["status"] == "braked" for r in brake["rows"]),
            "released": sum(r["status"] == "released" for r in release["rows"]),
            "calls": sum(release["api_calls"].values()),
            "requests": sandbox.salesforce_server.requests_served - served,
            "wall": wall,
            "errors": len(release["errors"]),
        }


def main() -> None:
    print(
        f"\nScheduled release across N open incidents ({FLOWS_EACH} flows each, one org, "
        f"{LATENCY_MS} ms latency per request)\n"
    )
    header = (
        f"{'incidents':>10}{'braked':>8}{'released':>10}{'calls':>8}{'calls/incident':>16}"
        f"{'wall s':>9}{'errors':>8}"
    )
    print(header + "\n" + "-" * len(header))
    for size in SIZES:
        result = _run(size)
        per = result["calls"] / max(result["incidents"], 1)
        print(
            f"{result['incidents']:>10}{result['braked']:>8}{result['released']:>10}"
            f"{result['calls']:>8}{per:>16.1f}{result['wall']:>9.2f}{result['errors']:>8}"
        )


if __name__ == "__main__":
    main()

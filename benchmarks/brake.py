"""Brake and release benchmark: apibrake against a naive baseline, same sandbox, same run.

    .venv/bin/python -m benchmarks.brake

Sandbox with 100 ms latency per request; Salesforce 50 flows + 20 scheduled jobs, HubSpot
50 workflows, all allowlisted. API calls count every request the run sends (token, usage
check, inventory, changes, verification). Targets: Salesforce <= 10, HubSpot <= 53 calls,
brake of all 120 under 2 s. Prints a table; asserts nothing.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from apibrake.http.retry import RetryBudget
from apibrake.http.token_cache import TOKEN_CACHE
from apibrake.http.transport import platform_client
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.platforms.connect import connect
from apibrake.platforms.hubspot.flows import flow_update_body
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from benchmarks.incident_functions import incident_handlers
from localaws import LocalAws
from sandbox.server import Sandbox

FLOWS, JOBS, WORKFLOWS, LATENCY_MS = 50, 20, 50, 100
SF_SECRET, HS_SECRET = "apibrake/sf-bench", "apibrake/hs-bench"


def _org(sandbox: Sandbox) -> tuple[list[str], list[str], list[str]]:
    flows = [f"Bench_Flow_{n:02d}" for n in range(FLOWS)]
    for name in flows:
        sandbox.salesforce.add_flow(name, versions=2)
    jobs = [f"Bench Job {n:02d}" for n in range(JOBS)]
    for name in jobs:
        sandbox.salesforce.add_scheduled_job(name, cron="0 0 * * * ?", apex_class="BenchJob")
    workflows = [sandbox.hubspot.add_workflow(f"Bench {n}")["id"] for n in range(WORKFLOWS)]
    return flows, jobs, workflows


def _connections(aws: LocalAws, sandbox: Sandbox) -> tuple[Connection, Connection]:
    aws.create_secret(
        "apibrake/sf-bench",
        {
            "auth": "client_credentials",
            "instance_url": sandbox.salesforce_url,
            "client_id": sandbox.salesforce.settings.client_id,
            "client_secret": sandbox.salesforce.settings.client_secret,
        },
    )
    aws.create_secret(
        "apibrake/hs-bench",
        {
            "auth": "token",
            "base_url": sandbox.hubspot_url,
            "access_token": sandbox.hubspot.settings.token,
        },
    )
    sf = Connection(connection_id="sf-bench", platform="salesforce", secret_id=SF_SECRET)
    hs = Connection(connection_id="hs-bench", platform="hubspot", secret_id=HS_SECRET)
    return sf, hs


def _secret(aws: LocalAws, secret_id: str) -> dict[str, Any]:
    import json

    return dict(
        json.loads(
            aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
        )
    )


async def _naive(
    aws: LocalAws,
    sf: Connection,
    hs: Connection,
    names: tuple[list[str], list[str], list[str]],
    *,
    enable: bool,
) -> dict[str, tuple[int, float]]:
    """One query and one call per automation, one after the other."""
    flows, jobs, workflows = names
    results: dict[str, tuple[int, float]] = {}
    async with platform_client() as http_client:
        TOKEN_CACHE.clear()
        sf_client: Any = connect(sf, _secret(aws, sf.secret_id), http_client, budget=RetryBudget())
        started = time.perf_counter()
        for name in flows:
            record = (
                await sf_client.tooling_query(
                    f"SELECT Id FROM FlowDefinition WHERE DeveloperName = '{name}'"  # noqa: S608
                )
            )[0]
            await sf_client.patch_flow_definition(record["Id"], 2 if enable else 0)
        for name in jobs:
            if enable:
                await sf_client.query(
                    f"SELECT Id FROM CronTrigger WHERE CronJobDetail.Name = '{name}'"  # noqa: S608
                )
                await sf_client.execute_anonymous(
                    f"System.schedule('{name}', '0 0 * * * ?', new BenchJob());"
                )
            else:
                record = (
                    await sf_client.query(
                        f"SELECT Id FROM CronTrigger WHERE CronJobDetail.Name = '{name}'"  # noqa: S608
                    )
                )[0]
                await sf_client.execute_anonymous(f"System.abortJob('{record['Id']}');")
        results["salesforce"] = (sf_client.http.calls_made, time.perf_counter() - started)
        hs_client: Any = connect(hs, _secret(aws, hs.secret_id), http_client, budget=RetryBudget())
        started = time.perf_counter()
        for flow_id in workflows:
            flow = await hs_client.get_flow(flow_id)
            await hs_client.put_flow(flow_id, flow_update_body(flow, is_enabled=enable))
        results["hubspot"] = (hs_client.http.calls_made, time.perf_counter() - started)
    return results


def main() -> None:
    with LocalAws() as aws, Sandbox(latency_ms=LATENCY_MS) as sandbox:
        responder_app, restore_app = incident_handlers(aws)
        names = _org(sandbox)
        sf, hs = _connections(aws, sandbox)
        dynamodb = aws.client("dynamodb")
        ConnectionStore(dynamodb, aws.table_name("ConnectionsTable")).put(sf)
        ConnectionStore(dynamodb, aws.table_name("ConnectionsTable")).put(hs)
        allowlist = AllowlistStore(dynamodb, aws.table_name("AllowlistTable"))
        flows, jobs, workflows = names
        for automation in [*(f"flow:{n}" for n in flows), *(f"scheduled_apex:{n}" for n in jobs)]:
            allowlist.put(AllowlistEntry(connection_id="sf-bench", automation=automation))
        for flow_id in workflows:
            allowlist.put(
                AllowlistEntry(connection_id="hs-bench", automation=f"workflow:{flow_id}")
            )

        TOKEN_CACHE.clear()
        started = time.perf_counter()
        brake = responder_app.handle({"action": "brake"}, None, clock=sandbox.clock.now)
        brake_wall = time.perf_counter() - started
        braked = sum(r["status"] == "braked" for r in brake["rows"])

        sandbox.advance(timedelta(days=1))  # past HubSpot's reset
        TOKEN_CACHE.clear()
        started = time.perf_counter()
        release = restore_app.handle({"action": "release_recovered"}, None, clock=sandbox.clock.now)
        release_wall = time.perf_counter() - started
        released = sum(r["status"] == "released" for r in release["rows"])

        naive_brake = asyncio.run(_naive(aws, sf, hs, names, enable=False))
        naive_release = asyncio.run(_naive(aws, sf, hs, names, enable=True))

    print(
        f"\nBrake and release, {FLOWS} flows + {JOBS} jobs (Salesforce), {WORKFLOWS} workflows "
        f"(HubSpot), {LATENCY_MS} ms latency per request"
    )
    print(f"apibrake braked {braked}/120 and released {released}/120\n")
    header = f"{'run':<22}{'SF calls':>10}{'HS calls':>10}{'wall s':>10}   target"
    print(header + "\n" + "-" * (len(header) + 20))
    table = [
        (
            "apibrake brake",
            brake["api_calls"]["sf-bench"],
            brake["api_calls"]["hs-bench"],
            brake_wall,
            "SF<=10, HS<=53, <2 s",
        ),
        (
            "naive brake",
            naive_brake["salesforce"][0],
            naive_brake["hubspot"][0],
            naive_brake["salesforce"][1] + naive_brake["hubspot"][1],
            "",
        ),
        (
            "apibrake release",
            release["api_calls"]["sf-bench"],
            release["api_calls"]["hs-bench"],
            release_wall,
            "",
        ),
        (
            "naive release",
            naive_release["salesforce"][0],
            naive_release["hubspot"][0],
            naive_release["salesforce"][1] + naive_release["hubspot"][1],
            "",
        ),
    ]
    for label, sf_calls, hs_calls, wall, target in table:
        print(f"{label:<22}{sf_calls:>10}{hs_calls:>10}{wall:>10.2f}   {target}")


if __name__ == "__main__":
    main()

"""Load: 500 connections, 1,000 allowlist entries, 10 concurrent brakes over overlapping
connections. No platform change may be made twice and no journal row may be lost.

APIBRAKE_LOAD_CONNECTIONS sets the number of connections (two allowlisted flows each). The
default, 50, keeps `make reliability` short; the issue's full size is
`APIBRAKE_LOAD_CONNECTIONS=500` (about 11 minutes on a 2-core machine, nearly all of it in
the local moto server, which serialises its requests because its backends are not
thread-safe). Timings are printed after the run, never asserted.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from apibrake.incident.records import BrakeState
from drill.stack import LocalStack

CONNECTIONS = int(os.environ.get("APIBRAKE_LOAD_CONNECTIONS", "50"))
FLOWS_PER_CONNECTION = 2  # 1,000 allowlist entries
INVOCATIONS = 10


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_concurrent_brakes_over_many_connections(
    stack: LocalStack, reliability_note: Callable[[str], None]
) -> None:
    started = time.perf_counter()
    org = stack.sandbox.salesforce
    ids = [f"sf-{n:03d}" for n in range(CONNECTIONS)]
    for cid in ids:
        names = [f"{cid.replace('-', '_')}_Flow_{k}" for k in range(FLOWS_PER_CONNECTION)]
        for name in names:
            org.add_flow(name, versions=2)
        stack.add_salesforce(cid)
        stack.allow(cid, *(f"flow:{name}" for name in names))
    setup_s = time.perf_counter() - started
    # Two invocations brake every connection; eight race them on four of the same ones.
    events: list[dict[str, Any]] = [{}, {}] + [{"connection_id": ids[n % 4]} for n in range(8)]
    reports: list[dict[str, Any]] = []
    failures: list[BaseException] = []

    durations: list[float] = []

    def invoke(event: dict[str, Any]) -> None:
        began = time.perf_counter()
        try:
            reports.append(stack.brake(event, requested_by="load"))
        except BaseException as error:  # surfaced below, with the others' results
            failures.append(error)
        durations.append(time.perf_counter() - began)

    threads = [threading.Thread(target=invoke, args=(event,)) for event in events]
    braking = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    brake_s = time.perf_counter() - braking
    assert not failures, failures
    assert len(reports) == INVOCATIONS
    # Whatever an invocation left (a connection another was still working on), one more
    # trigger finishes, as the next monitor tick or operator would.
    stack.forget_caches()
    stack.sandbox.advance(timedelta(hours=1))
    finishing = time.perf_counter()
    stack.brake(requested_by="load, once more")
    finish_s = time.perf_counter() - finishing
    mutations = [m for m in stack.sandbox.audit.entries("salesforce") if m.actor == "api"]
    per_flow = Counter(m.target for m in mutations)
    assert len(per_flow) == CONNECTIONS * FLOWS_PER_CONNECTION  # every flow braked
    assert max(per_flow.values()) == 1  # none twice
    open_ids = stack.journal.open_incident_ids(ids)
    assert len(open_ids) == CONNECTIONS
    rows = [row for iid in open_ids.values() for row in stack.journal.rows(iid)]
    assert len(rows) == CONNECTIONS * FLOWS_PER_CONNECTION  # no journal row lost
    assert {row.brake for row in rows} == {BrakeState.BRAKED}
    durations.sort()
    table = [
        ("setup (connections, secrets, allowlist, flows)", f"{setup_s:.1f} s"),
        (f"{INVOCATIONS} concurrent brakes, wall clock", f"{brake_s:.1f} s"),
        ("  one invocation: shortest / longest", f"{durations[0]:.1f} / {durations[-1]:.1f} s"),
        ("finishing brake (what the race left)", f"{finish_s:.1f} s"),
        ("flow changes (none duplicated)", str(len(mutations))),
        ("journal rows (none lost)", str(len(rows))),
        ("Salesforce requests", str(stack.sandbox.salesforce_server.requests_served)),
    ]
    reliability_note(
        f"load: {CONNECTIONS} connections, {CONNECTIONS * FLOWS_PER_CONNECTION} allowlist entries"
    )
    for what, value in table:
        reliability_note(f"  {what:<50} {value:>12}")

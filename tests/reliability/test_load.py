"""Load: 500 connections, 1,000 allowlist entries, 10 concurrent brakes over overlapping
connections. No platform change may be made twice and no journal row may be lost."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from apibrake.store.journal import BrakeState
from drill.stack import LocalStack

CONNECTIONS = 500
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

    def invoke(event: dict[str, Any]) -> None:
        try:
            reports.append(stack.brake(event, requested_by="load"))
        except BaseException as error:  # surfaced below, with the others' results
            failures.append(error)

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
    stack.brake(requested_by="load, once more")
    mutations = [m for m in stack.sandbox.audit.entries("salesforce") if m.actor == "api"]
    per_flow = Counter(m.target for m in mutations)
    assert len(per_flow) == CONNECTIONS * FLOWS_PER_CONNECTION  # every flow braked
    assert max(per_flow.values()) == 1  # none twice
    open_ids = stack.journal.open_incident_ids(ids)
    assert len(open_ids) == CONNECTIONS
    rows = [row for iid in open_ids.values() for row in stack.journal.rows(iid)]
    assert len(rows) == CONNECTIONS * FLOWS_PER_CONNECTION  # no journal row lost
    assert {row.brake for row in rows} == {BrakeState.BRAKED}
    reliability_note(
        f"load: {CONNECTIONS} connections, {len(rows)} allowlist entries; setup {setup_s:.1f} s, "
        f"{INVOCATIONS} concurrent brakes {brake_s:.1f} s, {len(mutations)} flow changes "
        f"(none duplicated), {len(rows)} journal rows (none lost), "
        f"{stack.sandbox.salesforce_server.requests_served} Salesforce requests"
    )

"""The soak's closing table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.soak.run import SoakCounts, critical_windows

if TYPE_CHECKING:
    from tests.soak.run import Soak


def table(
    soak: Soak, counts: SoakCounts, verdicts: dict[str, int], seconds: float
) -> tuple[list[str], bool]:
    windows, missed_readings = critical_windows(counts)
    missed = len(missed_readings)
    platform_calls = sum(
        server.requests_served
        for sandbox in soak.fleet.sandboxes
        for server in (sandbox.salesforce_server, sandbox.hubspot_server)
    )
    must_be_zero = {
        "duplicates (same automation changed twice by one incident)": verdicts["duplicates"],
        "changes outside the allowlist": verdicts["outside"],
        "journal rows lost (a change before its row)": verdicts["journal_lost"],
        "automations not back and not reported needs_human": verdicts["not_back"],
        "critical windows without a critical alert": missed,
    }
    faults = {**soak.platform_faults.injected, **soak.aws_faults_injected()}
    rows: list[tuple[str, object]] = [
        ("seed", soak.options.seed),
        ("days", counts.days),
        ("connections", len(soak.fleet.members)),
        ("monitor ticks", counts.ticks),
        ("runaways started", counts.runaways),
        ("incidents", soak.incident_count()),
        ("automations braked (journal rows)", verdicts["braked"]),
        ("automations released (journal rows)", verdicts["released"]),
        ("rows reported needs_human", counts.needs_human),
        ("invocations", counts.invocations),
        ("invocations crashed (and retried)", counts.crashed),
        ("operator actions overlapping the schedule", counts.overlaps),
        ("platform mutations by apibrake", verdicts["mutations"]),
        ("faults injected, total", sum(faults.values())),
        *((f"  {kind}", n) for kind, n in sorted(faults.items())),
        ("DynamoDB conditional failures (moto's own)", soak.proxy.conditional_failures),
        ("alerts sent", sum(counts.alerts.values())),
        *((f"  {kind}", n) for kind, n in sorted(counts.alerts.items())),
        ("critical windows (a reading >= brake_at) / alerted", f"{windows} / {windows - missed}"),
        ("AWS calls by the functions", sum(soak.proxy.requests.values())),
        *((f"  {service}", n) for service, n in sorted(soak.proxy.requests.items())),
        ("platform calls (sandbox requests served)", platform_calls),
        ("wall time", f"{seconds / 60:.1f} min"),
    ]
    rows += [(f"{name} [must be 0]", value) for name, value in must_be_zero.items()]
    width = max(len(name) for name, _ in rows)
    lines = ["", f"{'soak':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{name:<{width}}  {value}" for name, value in rows]
    ok = not any(must_be_zero.values())
    lines.append("" if ok else "FAILED: a must-be-0 line is not 0")
    if missed_readings:
        lines += ["critical readings never alerted:"]
        lines += [
            f"  {cid} at {due:%m-%d %H:%M}: {counts.critical_rows.get((cid, due), '?')}"
            for cid, due in missed_readings[:20]
        ]
    if counts.journal_misses:
        lines += ["journal misses:", *counts.journal_misses[:20]]
    return lines, ok

"""`apibrake drill`: the rehearsal of `make demo`, on a fresh local stack of its own."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from typing import Any

import click

from apibrake_cli.context import output, output_options


@click.command()
@click.option("--scenario", default="runaway-rollups", show_default=True, help="Drill scenario.")
@click.option("--hours", type=float, help="Simulated hours to run [the scenario's own length].")
@click.option(
    "--check-minutes",
    type=click.IntRange(1, 60),
    default=1,
    show_default=True,
    help="Usage monitor tick (each connection's cadence decides when it is checked).",
)
@output_options
def drill(scenario: str, hours: float | None, check_minutes: int) -> None:
    """Rehearse an incident end to end: usage climbing, alerts, brake, release (simulated time)."""
    from apibrake_cli.local_extra import local_extra

    with local_extra():
        from apibrake_cli.local import ensure_source_tree, preserved_environment
        from drill.engine import DrillOptions, run_drill
        from drill.printer import LivePrinter, print_summary
        from drill.scenarios import DRILL_SCENARIOS

    out = output()
    ensure_source_tree()
    if scenario not in DRILL_SCENARIOS:
        raise click.BadParameter(
            f"choose one of {', '.join(sorted(DRILL_SCENARIOS))}", param_hint="--scenario"
        )
    chosen = DRILL_SCENARIOS[scenario]
    quiet = {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}
    stream = sys.stderr if out.json_mode else sys.stdout
    print(f"Drill: {chosen.name}\n  {chosen.description}\n", file=stream)
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        with preserved_environment():
            result = run_drill(
                chosen,
                DrillOptions(check_every=timedelta(minutes=check_minutes), hours=hours),
                on_step=LivePrinter(stream),
                environment=quiet,
            )
    finally:
        logging.disable(previous)
    if out.json_mode:
        out.json(_summary(result))
    else:
        print_summary(result, sys.stdout)


def _summary(result: Any) -> dict[str, Any]:
    peaks: dict[str, float] = {}
    for sample in result.samples:
        peaks[sample.connection_id] = max(peaks.get(sample.connection_id, 0.0), sample.percent)
    return {
        "scenario": result.scenario,
        "peak_percent": peaks,
        "events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "connection_id": e.connection_id,
                "text": e.text,
                "severity": e.severity,
            }
            for e in result.events
        ],
        "brake_reports": result.brake_reports,
        "release_reports": result.release_reports,
    }

"""`python -m drill`: rehearse an API-limit incident end to end on the local stack."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta
from pathlib import Path

from drill.engine import DrillOptions, run_drill
from drill.excerpt import DEMO_EXCERPT, demo_excerpt
from drill.printer import LivePrinter, print_critical_alert, print_summary
from drill.report import default_folder, scenario_thresholds, write_report
from drill.scenarios import DRILL_SCENARIOS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drill", description=__doc__)
    parser.add_argument("--scenario", choices=sorted(DRILL_SCENARIOS), default="runaway-rollups")
    parser.add_argument("--hours", type=float, default=None, help="simulated hours to run")
    parser.add_argument(
        "--check-minutes",
        type=int,
        default=1,
        help="usage_monitor tick (each connection's cadence decides when it is checked)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=None,
        help="where to write the chart and summary (default drill-report/<scenario>-<time>/)",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="also replace the demo excerpt in this README with this run's events",
    )
    args = parser.parse_args(argv)

    # The handlers log JSON for CloudWatch; in a terminal the drill's own lines say more.
    quiet = {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}
    logging.disable(logging.ERROR)

    scenario = DRILL_SCENARIOS[args.scenario]
    print(f"Drill: {scenario.name}\n  {scenario.description}\n")
    options = DrillOptions(check_every=timedelta(minutes=args.check_minutes), hours=args.hours)
    result = run_drill(scenario, options, on_step=LivePrinter(sys.stdout), environment=quiet)
    print_summary(result, sys.stdout)
    print_critical_alert(result, sys.stdout)
    folder = args.report_dir or default_folder(scenario.name)
    write_report(result, folder, scenario_thresholds(scenario))
    print(f"\nReport: {folder}/summary.md, chart {folder}/usage.png")
    if args.readme:
        DEMO_EXCERPT.write_into(args.readme, demo_excerpt(result))
        print(f"Demo excerpt: {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m drill.score`: run the containment scenarios, print the table, write JSON."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from apibrake.models.words import counted
from drill.score.measures import NextWindow
from drill.score.scenarios import BY_KEY, SCORE_SCENARIOS
from drill.score.scorer import ScenarioScore
from drill.score.suite import run_suite
from drill.score.table import as_json, markdown, text_table


def passed(scores: Sequence[ScenarioScore]) -> bool:
    """Containable runaways contained and released exactly, unwinnable ones alerted
    clearly, the next window protected where a break-glass brake can protect it, no false
    brake where none was due."""
    for score in scores:
        if not score.brake_expected:
            ok = score.false_brakes == 0 and score.peak_percent < 100
        elif score.containable:
            # A repeat runaway's critical alert must say it was released unchanged.
            ok = (
                score.contained
                and bool(score.release_exact)
                and score.critical_text_ok is not False
            )
        else:
            ok = bool(score.critical_text_ok)
        if score.protects_next_window:
            # Issue 23: served again after the exhaustion, and never refused again; the
            # break-glass brake released exactly once the window recovered.
            ok = ok and score.next_window_protected == NextWindow.YES and bool(score.release_exact)
        if not ok:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drill.score", description=__doc__)
    parser.add_argument("--json", type=Path, default=Path("drill-report/score.json"))
    parser.add_argument("--markdown", type=Path, default=None, help="also write a Markdown page")
    parser.add_argument("--only", nargs="*", choices=sorted(BY_KEY), help="scenario keys")
    parser.add_argument("--fast", action="store_true", help="only the scenarios make test runs")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    args = parser.parse_args(argv)

    chosen = [s for s in SCORE_SCENARIOS if not args.only or s.key in args.only]
    if args.fast:
        chosen = [s for s in chosen if s.fast]
    started = time.monotonic()
    scores = []
    for score in run_suite(chosen, args.workers):
        scores.append(score)
        if not score.brake_expected:
            verdict = counted(score.false_brakes, "false brake")
        else:
            verdict = "contained" if score.contained else "not contained"
        print(f"  {score.number:>2}. {score.title}: {verdict}", file=sys.stderr, flush=True)
    print(text_table(scores))
    print(f"\n{len(scores)} scenarios in {time.monotonic() - started:.0f} s (wall)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(as_json(scores))
    print(f"JSON: {args.json}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(scores))
        print(f"Markdown: {args.markdown}")
    return 0 if passed(scores) else 1


if __name__ == "__main__":
    raise SystemExit(main())

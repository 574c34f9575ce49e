"""`python -m drill.score`: run the containment scenarios, print the table, write JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drill.score.scenarios import BY_KEY, SCORE_SCENARIOS
from drill.score.suite import run_suite
from drill.score.table import as_json, markdown, text_table


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
    scores = []
    for score in run_suite(chosen, args.workers):
        scores.append(score)
        verdict = "contained" if score.contained else "not contained"
        print(f"  {score.number:>2}. {score.title}: {verdict}", file=sys.stderr, flush=True)
    print(text_table(scores))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(as_json(scores))
    print(f"\nJSON: {args.json}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(scores))
        print(f"Markdown: {args.markdown}")
    possible = [s for s in scores if s.containable]
    unwinnable = [s for s in scores if not s.containable]
    ok = all(s.contained and s.release_exact for s in possible) and all(
        s.critical_text_ok for s in unwinnable
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

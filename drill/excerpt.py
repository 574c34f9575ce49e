"""The README's excerpt of `make demo`, generated from a real run (`python -m drill
--readme README.md`) so it always shows what the drill prints today."""

from __future__ import annotations

from drill.engine import DrillResult
from drill.markers import Markers
from drill.printer import event_line

DEMO_EXCERPT = Markers(
    "<!-- demo excerpt: python -m drill --readme README.md -->", "<!-- end of demo excerpt -->"
)


def demo_excerpt(result: DrillResult) -> str:
    """Every alert, brake and release of the run, one line each as the drill prints them
    (the suspects under a critical alert left out), in a code block."""
    lines = [event_line(event) for event in result.events]
    return "\n".join(["```", *lines, "```"])

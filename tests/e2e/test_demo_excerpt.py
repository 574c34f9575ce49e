"""The README's demo excerpt comes from the drill's own event lines, written between two
markers (`python -m drill --readme README.md`); no drill runs here."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from drill.engine import DrillResult, Event
from drill.excerpt import DEMO_EXCERPT, demo_excerpt
from drill.markers import Markers
from drill.printer import event_line

AT = datetime(2026, 11, 2, 21, 30, tzinfo=UTC)
README = Path(__file__).resolve().parents[2] / "README.md"


def _result() -> DrillResult:
    return DrillResult(
        "runaway-rollups",
        events=[
            Event(AT, "brake", "sf-prod", "5 braked (8 API calls)"),
            Event(AT, "alert", "sf-prod", "[apibrake] CRITICAL sf-prod", "critical", "Suspects"),
        ],
    )


def test_the_excerpt_is_every_event_as_the_drill_prints_it() -> None:
    excerpt = demo_excerpt(_result())

    assert excerpt.splitlines() == [
        "```",
        "  ■ Mon 21:30 UTC  brake   sf-prod    5 braked (8 API calls)",
        "  ! Mon 21:30 UTC  alert   sf-prod    [critical] [apibrake] CRITICAL sf-prod",
        "```",
    ]
    assert event_line(_result().events[0]) in excerpt


def test_the_excerpt_replaces_what_is_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{DEMO_EXCERPT.start}\nold\n{DEMO_EXCERPT.end}\n\n## Next\n")

    DEMO_EXCERPT.write_into(readme, "new")

    text = readme.read_text()
    assert text == f"# Title\n\n{DEMO_EXCERPT.start}\nnew\n{DEMO_EXCERPT.end}\n\n## Next\n"
    assert DEMO_EXCERPT.between(text) == "new"


def test_a_file_without_markers_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    with pytest.raises(ValueError, match="markers"):
        Markers("<!-- a -->", "<!-- b -->").write_into(readme, "new")
    assert readme.read_text() == "# Title\n"


def test_the_readme_has_the_markers_the_generator_writes_between() -> None:
    assert DEMO_EXCERPT.present_in(README.read_text(encoding="utf-8"))

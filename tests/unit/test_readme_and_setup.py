"""What a newcomer reads first (issue 25 item 8): the README leads with what apibrake is,
the two commands and where set-up lives, its demo excerpt is generated from a real run
(between markers the drill rewrites), and setup.md keeps its caveats in one section."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETUP = (ROOT / "docs" / "setup.md").read_text(encoding="utf-8")
# The same strings as drill/excerpt.py's markers (unit tests read files, not the drill).
EXCERPT_START = "<!-- demo excerpt: python -m drill --readme README.md -->"
EXCERPT_END = "<!-- end of demo excerpt -->"
CAVEATS = "## Sources and caveats"


def _sections(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, flags=re.MULTILINE)


def test_the_readme_leads_with_what_it_is_the_two_commands_and_where_setup_lives() -> None:
    first_section = README.index("\n## ")
    assert "emergency brake" in README[:first_section]
    sections = _sections(README)
    assert sections[:2] == ["Two commands", "Setting it up for real"]
    setup = README.split("## Setting it up for real", 1)[1].split("\n## ", 1)[0]
    assert "(docs/setup.md)" in setup
    assert "(docs/deploy.md)" in setup
    assert README.index("make demo") < README.index("make test") < README.index("docs/setup.md")


def test_the_score_table_and_the_test_details_live_in_the_docs() -> None:
    assert "| # | scenario |" not in README  # the generated table is docs/score.md's
    assert "(docs/score.md)" in README
    assert "hypothesis state machine" not in README
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## Tests" in architecture


def test_the_demo_excerpt_is_the_generated_one_between_its_markers() -> None:
    # The drill rewrites what is between the markers (python -m drill --readme README.md)
    assert README.count(EXCERPT_START) == 1
    assert README.count(EXCERPT_END) == 1
    excerpt = README.split(EXCERPT_START, 1)[1].split(EXCERPT_END, 1)[0].strip()
    lines = excerpt.splitlines()
    assert lines[0] == "```"
    assert lines[-1] == "```"
    events = lines[1:-1]
    # Lines as the drill prints events: an icon, the day and time with the zone, the kind
    assert events
    assert all(re.match(r"  [!■▶] \w{3} \d\d:\d\d UTC  (alert|brake|release) ", e) for e in events)
    assert any(" brake " in e for e in events)
    assert any(" release " in e for e in events)


def test_setup_keeps_its_caveats_in_one_section() -> None:
    body, caveats = SETUP.split(CAVEATS, 1)
    assert _sections(SETUP)[-1] == "Sources and caveats"
    # No hedge is left in the steps ("brake unconfirmed" is a status the CLI prints)
    hedges = re.findall(r"\*\*unconfirmed\*\*|third-party|undocumented", body)
    assert hedges == []
    # Each caveat the steps point at is in the section
    cited = {int(n) for n in re.findall(r"caveat \[(\d+)\]\(#sources-and-caveats\)", body)}
    listed = {int(n) for n in re.findall(r"^(\d+)\. ", caveats, flags=re.MULTILINE)}
    assert cited
    assert cited <= listed

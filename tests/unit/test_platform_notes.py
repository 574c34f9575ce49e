"""Every platform fact the code cites is in the repository: comments point at
docs/platform-notes.md sections that exist, never at documents kept elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTES = ROOT / "docs" / "platform-notes.md"
SOURCES = ("layers", "sandbox", "apibrake_cli", "drill", "localaws", "functions", "tests")
# A document cited bare (not as docs/...): it is not in the repository.
OUTSIDE = re.compile(r"(?<![/\w-])(platforms|design)\.md")
CITED = re.compile(r"docs/platform-notes\.md,? ([A-Z]\d+)(?:-([A-Z]\d+))?")
SECTION = re.compile(r"^#{3} ([A-Z]\d+)\.", re.MULTILINE)


def _python_files() -> list[Path]:
    return [path for folder in SOURCES for path in sorted((ROOT / folder).rglob("*.py"))]


def test_no_source_cites_a_document_outside_the_repository() -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]

    assert outside == []


def test_every_cited_section_exists() -> None:
    sections = set(SECTION.findall(NOTES.read_text(encoding="utf-8")))
    cited = {
        section
        for path in _python_files()
        for match in CITED.finditer(path.read_text(encoding="utf-8"))
        for section in match.groups()
        if section
    }

    assert cited, "no citation found: the pattern no longer matches the comments"
    assert cited - sections == set()


def test_no_document_a_user_reads_points_outside_the_repository() -> None:
    # The README and docs are what a user has: a pointer to notes kept elsewhere is a
    # dead end, so each points at a page of docs/ instead.
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    outside = [
        f"{page.relative_to(ROOT)}:{number}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line) or "outside this repository" in line
    ]

    assert outside == []

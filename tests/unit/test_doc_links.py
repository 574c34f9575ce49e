"""Every relative link in the repository's documents points at a file that exists: a moved or
renamed document (or permission set) breaks the build, not a reader's click.

Only the file part is checked; anchors (`#section`) depend on how the host renders headings.
Links to the web are left alone: the tests send no traffic.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "salesforce").glob("*.md")]
)
# [text](target) and [text](target "title"); images too. Code spans are removed first.
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def _relative_targets(document: Path) -> list[str]:
    text = CODE.sub("", document.read_text(encoding="utf-8"))
    targets = [match.group(1) for match in LINK.finditer(text)]
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_the_documents_that_link_most_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in DOCUMENTS}
    assert {"README.md", "docs/setup.md", "docs/deploy.md", "salesforce/README.md"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(document: Path) -> None:
    broken = [
        target
        for target in _relative_targets(document)
        if not (document.parent / target.split("#", 1)[0]).exists()
    ]

    assert broken == []


def test_readme_and_setup_link_the_going_live_guide() -> None:
    assert "docs/deploy.md" in _relative_targets(ROOT / "README.md")
    assert "deploy.md" in _relative_targets(ROOT / "docs" / "setup.md")

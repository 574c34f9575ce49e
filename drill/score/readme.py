"""The score table inside README.md, between two markers, replaced from a real run."""

from __future__ import annotations

from pathlib import Path

START = "<!-- score table: python -m drill.score --readme README.md -->"
END = "<!-- end of score table -->"


def write_into_readme(readme: Path, table: str) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme}: no score table markers ({START} ... {END})")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{table}\n{END}{after}")

"""Text generated from a real run, kept inside a Markdown file between two markers, so the
file cannot drift from what the code prints (the README's demo excerpt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Markers:
    start: str
    end: str

    def present_in(self, text: str) -> bool:
        return self.start in text and self.end in text.split(self.start, 1)[-1]

    def between(self, text: str) -> str:
        """What the file holds between the markers now."""
        return text.split(self.start, 1)[1].split(self.end, 1)[0].strip("\n")

    def write_into(self, path: Path, generated: str) -> None:
        """Replaces what is between the markers; a file without them is left alone."""
        text = path.read_text(encoding="utf-8")
        if not self.present_in(text):
            raise ValueError(f"{path}: no markers ({self.start} ... {self.end})")
        before, rest = text.split(self.start, 1)
        _, after = rest.split(self.end, 1)
        path.write_text(f"{before}{self.start}\n{generated}\n{self.end}{after}", encoding="utf-8")

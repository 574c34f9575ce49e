"""The fault matrix: which outcome each fault must have in each phase on each platform.

Rows are faults, columns phase x platform. A cell's expected outcome is one of
- `retried`: the call was retried (a bounded number of times) and the phase succeeded;
- `ok`: nothing to retry (a slow answer), the phase succeeded;
- `reported`: the phase finished and its report names the problem (row or connection error);
- `alerted`: a critical alert reached the topic's subscribers;
- `resumed`: after the fault cleared, running the phase again converged;
- `once`: of two racing writers exactly one won (DynamoDB conditional write);
- `settled`: the change landed but its answer was lost; the journal still ends equal to the
  platform (resent only where sending twice is harmless, else re-read) and the release
  after it is exact.
Several joined by `+` must all hold. `n/a` cells say why the combination cannot occur.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

PHASES = ("watch", "brake", "release")
PLATFORMS = ("salesforce", "hubspot")
COLUMNS = tuple((phase, platform) for phase in PHASES for platform in PLATFORMS)
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class Cell:
    fault: str
    phase: str
    platform: str
    expected: str  # outcome labels joined by "+", or NOT_APPLICABLE
    note: str = ""  # why not applicable, or what plays the fault on this platform

    @property
    def id(self) -> str:
        return f"{self.fault.replace(' ', '_')}-{self.phase}-{self.platform}"

    @property
    def applicable(self) -> bool:
        return self.expected != NOT_APPLICABLE


def _row(fault: str, expected: dict[tuple[str, str], str], **notes: str) -> list[Cell]:
    """One fault's cells; `expected` keys may use "*" for every phase or platform."""
    cells = []
    for phase, platform in COLUMNS:
        outcome = next(
            expected[key]
            for key in ((phase, platform), (phase, "*"), ("*", platform), ("*", "*"))
            if key in expected
        )
        cells.append(Cell(fault, phase, platform, outcome, notes.get(f"{phase}_{platform}", "")))
    return cells


_ALL_RETRIED = {("*", "*"): "retried"}

CELLS: list[Cell] = [
    *_row("latency spike", {("*", "*"): "ok"}),
    *_row("timeout", _ALL_RETRIED),
    *_row("connection reset", _ALL_RETRIED),
    *_row("HTTP 500", _ALL_RETRIED),
    *_row("HTTP 503 persistent", {("*", "*"): "reported+resumed"}),
    *_row("HTML error page", _ALL_RETRIED),
    *_row("malformed JSON", _ALL_RETRIED),
    *_row("truncated body", _ALL_RETRIED),
    *_row("applied, response lost", {("watch", "*"): NOT_APPLICABLE, ("*", "*"): "settled"}),
    *_row("401 expiry", _ALL_RETRIED),
    *_row("burst 429", _ALL_RETRIED),
    *_row(
        "daily limit",
        {
            ("watch", "*"): "alerted",
            ("brake", "*"): "alerted",
            ("release", "*"): "reported+resumed",
        },
    ),
    *_row(
        "stale revision",
        {
            ("watch", "*"): NOT_APPLICABLE,
            ("*", "salesforce"): NOT_APPLICABLE,
            ("*", "*"): "retried",
        },
    ),
    *_row(
        "composite partial failure",
        {("watch", "*"): NOT_APPLICABLE, ("*", "hubspot"): NOT_APPLICABLE, ("*", "*"): "reported"},
    ),
    *_row(
        "DynamoDB conditional failure",
        {("watch", "*"): "once", ("*", "*"): "reported+resumed"},
    ),
    *_row(
        "SNS publish failure",
        {("watch", "*"): "reported+alerted", ("*", "*"): "reported"},
    ),
]

NOTES = {
    "applied, response lost": "watch changes nothing; scheduled Apex (never resent) is "
    "covered in tests/integration/test_lost_answers.py",
    "stale revision": "HubSpot's revisionId guards flow PUTs; Salesforce has none; "
    "watch never PUTs",
    "composite partial failure": "only Salesforce's tooling composite changes many at once; "
    "watch changes nothing",
    "burst 429": "Salesforce has no burst 429: its ConcurrentRequests 403 plays the part",
    "401 expiry": "HubSpot through an OAuth connection (a private-app token does not expire)",
    "DynamoDB conditional failure": "watch: two monitors claim one alert; brake/release: "
    "another invocation holds the incident's lease",
    "SNS publish failure": "ALERT_TOPIC_ARN names a topic that does not exist for one run",
    "new kinds": "Salesforce brake/release cells of timeout, connection reset, HTTP 500, "
    "HTTP 503 persistent, applied-lost and daily limit also run with setting and user "
    "entries (their PATCH hit); a mark holds for every kind run",
}


def applicable_cells() -> list[Cell]:
    return [cell for cell in CELLS if cell.applicable]


# The kinds added after the matrix was drawn (setting, user) run the faults of a change
# that sets a value (PATCH, safe to resend) in the Salesforce brake and release columns;
# the faults only a composite, a HubSpot revision or the stores play are the flows' cells.
NEW_KINDS = ("setting", "user")
_KIND_FAULTS = (
    "timeout",
    "connection reset",
    "HTTP 500",
    "HTTP 503 persistent",
    "applied, response lost",
    "daily limit",
)


def kind_cells() -> list[Cell]:
    return [
        cell
        for cell in applicable_cells()
        if cell.fault in _KIND_FAULTS
        and cell.platform == "salesforce"
        and cell.phase in ("brake", "release")
    ]


@dataclass
class MatrixResults:
    results: dict[Cell, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # crash-safety and load lines, printed after

    def record(self, cell: Cell, *, passed: bool) -> None:
        # A cell run for several kinds (flows, settings, users) passes only if all do.
        self.results[cell] = self.results.get(cell, True) and passed

    def table(self) -> list[str]:
        by_fault: dict[str, dict[tuple[str, str], Cell]] = defaultdict(dict)
        for cell in CELLS:
            by_fault[cell.fault][(cell.phase, cell.platform)] = cell
        width = max(len(fault) for fault in by_fault)
        headers = [
            f"{phase} {'SF' if platform == 'salesforce' else 'HS'}" for phase, platform in COLUMNS
        ]
        cell_width = max(max(len(h) for h in headers), 20)
        lines = [
            "Fault matrix (expected outcome, ✓ passed, ✗ failed, · not run)",
            f"{'fault':<{width}} | " + " | ".join(f"{h:<{cell_width}}" for h in headers),
            "-" * (width + 3 + (cell_width + 3) * len(headers)),
        ]
        for fault, cells in by_fault.items():
            texts = []
            for column in COLUMNS:
                cell = cells[column]
                if not cell.applicable:
                    texts.append(NOT_APPLICABLE)
                    continue
                passed = self.results.get(cell)
                mark = "·" if passed is None else "✓" if passed else "✗"
                texts.append(f"{cell.expected} {mark}")
            lines.append(f"{fault:<{width}} | " + " | ".join(f"{t:<{cell_width}}" for t in texts))
        applicable = applicable_cells()
        ran = [cell for cell in applicable if cell in self.results]
        passed_count = sum(self.results[cell] for cell in ran)
        lines.append(
            f"{passed_count}/{len(applicable)} cases passed ({len(ran)} run, "
            f"{len(CELLS) - len(applicable)} n/a)"
        )
        lines += [f"  {fault}: {note}" for fault, note in NOTES.items()]
        return lines

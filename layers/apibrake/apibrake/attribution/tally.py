"""Aggregating an ApiTotalUsage CSV line by line: the file is never held in memory.

Columns are found by header name (Salesforce says the schema "can change" with each
release); unknown columns are ignored, short rows (the 3P sample's SOAP row) read their
missing trailing fields as empty, and a row that cannot be read is counted, not fatal.
Only rows with COUNTS_AGAINST_API_LIMIT true count (platforms.md A2).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apibrake.attribution.caller import CallerKey

_REQUIRED = ("COUNTS_AGAINST_API_LIMIT",)
_TRUE = {"1", "true", "TRUE", "True"}


@dataclass
class UsageTally:
    calls: Counter[CallerKey] = field(default_factory=Counter)
    per_hour: Counter[int] = field(default_factory=Counter)  # UTC hour of day -> calls
    total: int = 0
    not_counted: int = 0  # rows with COUNTS_AGAINST_API_LIMIT false
    bad_rows: int = 0
    newest: datetime | None = None
    _columns: dict[str, int] | None = None

    def feed(self, line: str) -> None:
        if not line.strip():
            return
        try:
            fields = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            self.bad_rows += 1
            return
        if self._columns is None:
            self._header(fields)
            return
        self._row(fields)

    def _header(self, names: list[str]) -> None:
        self._columns = {name.strip().upper(): index for index, name in enumerate(names)}
        missing = [name for name in _REQUIRED if name not in self._columns]
        if missing:
            raise ValueError(f"ApiTotalUsage file has no {', '.join(missing)} column")

    def _get(self, fields: list[str], name: str) -> str:
        assert self._columns is not None
        index = self._columns.get(name)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    def _row(self, fields: list[str]) -> None:
        if len(fields) < 2:
            self.bad_rows += 1
            return
        if self._get(fields, "COUNTS_AGAINST_API_LIMIT") not in _TRUE:
            self.not_counted += 1
            return
        at = _moment(self._get(fields, "TIMESTAMP_DERIVED"), self._get(fields, "TIMESTAMP"))
        key = CallerKey(
            connected_app=self._get(fields, "CONNECTED_APP_NAME")
            or self._get(fields, "CONNECTED_APP_ID"),
            client=self._get(fields, "CLIENT_NAME"),
            user=self._get(fields, "USER_NAME") or self._get(fields, "USER_ID"),
        )
        self.calls[key] += 1
        self.total += 1
        if at is not None:
            self.per_hour[at.hour] += 1
            if self.newest is None or at > self.newest:
                self.newest = at


def _moment(derived: str, compact: str) -> datetime | None:
    """TIMESTAMP_DERIVED (2015-07-27T11:32:59.555Z), else TIMESTAMP (20130715233322.670)."""
    try:
        if derived:
            return datetime.fromisoformat(derived.replace("Z", "+00:00")).astimezone(UTC)
        if compact:
            return datetime.strptime(compact[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return None

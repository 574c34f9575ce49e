"""Aggregating an ApiTotalUsage CSV line by line: the file is never held in memory.

Columns are found by header name (Salesforce says the schema "can change" with each
release); unknown columns are ignored, short rows (the 3P sample's SOAP row) read their
missing trailing fields as empty, and a row that cannot be read is counted, not fatal.
Only rows with COUNTS_AGAINST_API_LIMIT true count (docs/platform-notes.md A2).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apibrake.attribution.caller import CallerKey, short_id

_TRUE = frozenset({"1", "true", "TRUE", "True"})
# Columns read, in the order a row's lookup tuple holds them.
_READ = (
    "COUNTS_AGAINST_API_LIMIT",
    "CONNECTED_APP_NAME",
    "CONNECTED_APP_ID",
    "CLIENT_NAME",
    "USER_NAME",
    "USER_ID",
    "TIMESTAMP_DERIVED",
    "TIMESTAMP",
    "API_FAMILY",
)
_COUNTS, _APP, _APP_ID, _CLIENT, _USER, _USER_ID, _DERIVED, _COMPACT, _FAMILY = range(9)


@dataclass
class UsageTally:
    # (connected app, client, user) -> calls; CallerKeys are made once, in `callers`.
    raw: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    per_hour: Counter[int] = field(default_factory=Counter)  # UTC hour of day -> calls
    total: int = 0
    not_counted: int = 0  # rows with COUNTS_AGAINST_API_LIMIT false
    bad_rows: int = 0
    _newest_text: str | None = None
    _width: int = 0
    _indexes: tuple[int | None, ...] = ()
    _method: int | None = None

    @property
    def calls(self) -> Counter[CallerKey]:
        return Counter({CallerKey(*key): calls for key, calls in self.raw.items()})

    @property
    def newest(self) -> datetime | None:
        if self._newest_text is None:
            return None
        return datetime.fromisoformat(self._newest_text.replace("Z", "+00:00")).astimezone(UTC)

    def absorb(self, other: UsageTally) -> None:
        """Adds another file's counts (an hour's later file lists only its new events)."""
        self.raw.update(other.raw)
        self.per_hour.update(other.per_hour)
        self.total += other.total
        self.not_counted += other.not_counted
        self.bad_rows += other.bad_rows
        if other._newest_text and (
            self._newest_text is None or other._newest_text > self._newest_text
        ):
            self._newest_text = other._newest_text

    def feed(self, line: str) -> None:
        if not self._indexes:
            # A file saved with a UTF-8 byte order mark: the decoder keeps it on the header.
            line = line.removeprefix("\ufeff")
        if not line.strip():
            return
        fields = _split(line)
        if fields is None:
            self.bad_rows += 1
        elif not self._indexes:
            self._header(fields)
        else:
            self._row(fields)

    def _header(self, names: list[str]) -> None:
        columns = {name.strip().upper(): index for index, name in enumerate(names)}
        if "COUNTS_AGAINST_API_LIMIT" not in columns:
            raise ValueError("ApiTotalUsage file has no COUNTS_AGAINST_API_LIMIT column")
        self._width = len(columns)
        self._indexes = tuple(columns.get(name) for name in _READ)
        self._method = columns.get("HTTP_METHOD")

    def _row(self, fields: list[str]) -> None:
        if len(fields) < 2:
            self.bad_rows += 1
            return
        values = self._values(fields)
        if values[_COUNTS] not in _TRUE:
            self.not_counted += 1
            return
        app = values[_APP] or short_id(values[_APP_ID])
        key = (app, values[_CLIENT], values[_USER] or values[_USER_ID])
        self.raw[key] += 1
        self.total += 1
        stamp = _iso(values[_DERIVED], values[_COMPACT])
        if stamp:
            # ISO 8601 UTC text sorts as time does: no datetime per row.
            self.per_hour[int(stamp[11:13])] += 1
            if self._newest_text is None or stamp > self._newest_text:
                self._newest_text = stamp

    def _values(self, fields: list[str]) -> list[str]:
        count = len(fields)
        values = [fields[i].strip() if i is not None and i < count else "" for i in self._indexes]
        # A SOAP row one field short lacks HTTP_METHOD (SOAP has none; the published
        # sample shows it): read it with the empty field put back.
        if count == self._width - 1 and self._method is not None and values[_FAMILY] == "SOAP":
            values = self._values([*fields[: self._method], "", *fields[self._method :]])
        return values


def _split(line: str) -> list[str] | None:
    if '"' not in line:
        return line.split(",")
    stripped = line.rstrip("\r\n")
    if stripped.startswith('"') and stripped.endswith('"'):
        # Real files quote every value: split on the separators between quotes; a value
        # with an escaped quote inside goes through the csv module.
        fields = stripped[1:-1].split('","')
        if not any('"' in field for field in fields):
            return fields
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None


def _iso(derived: str, compact: str) -> str | None:
    """TIMESTAMP_DERIVED (2015-07-27T11:32:59.555Z), else TIMESTAMP (20130715233322.670) as
    ISO text; None when neither reads as a time."""
    if len(derived) >= 20 and derived[10] == "T" and derived[11:13].isdigit():
        return derived
    if len(compact) >= 14 and compact[:14].isdigit():
        c = compact
        return f"{c[0:4]}-{c[4:6]}-{c[6:8]}T{c[8:10]}:{c[10:12]}:{c[12:14]}Z"
    return None

"""A small SOQL subset: SELECT fields (one relationship level) FROM object
[WHERE cond AND cond ...] [GROUP BY field, ...] [ORDER BY field [ASC|DESC]] [LIMIT n].

Conditions compare a field with =, !=, <, >, <=, >=, IN (...) or NOT IN (...) against string,
number, boolean, null or dateTime (2026-12-02T06:00:00Z) literals, or the date literals TODAY,
YESTERDAY and LAST_N_DAYS:n (a range of UTC days: = inside it, < before it, > after it).
With GROUP BY, the select list may hold COUNT(field), SUM(field) and MAX(field), each with an
optional alias, and ORDER BY may name an aggregate or its alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')"
    r"|(?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"
    r"|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w.]*)|(?P<op>!=|<=|>=|<>|[=<>(),:]))"
)
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "IN", "NOT", "LIMIT", "ORDER", "BY", "ASC", "DESC", "GROUP",
}  # fmt: skip
_AGGREGATES = {"COUNT", "SUM", "MAX"}
_UNSUPPORTED = {"OR", "HAVING", "OFFSET", "TYPEOF", "WITH", "FOR", "USING", "LIKE"}


class SoqlError(Exception):
    def __init__(self, message: str, error_code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


@dataclass(frozen=True)
class RelativeDays:
    """A date literal: `days` whole UTC days starting `offset` days from today."""

    offset: int
    days: int

    def at(self, now: datetime) -> DateRange:
        today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = today + timedelta(days=self.offset)
        return DateRange(start, start + timedelta(days=self.days))


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # =, !=, <, >, <=, >=, IN, NOT IN
    value: Any  # a literal, or a tuple of literals for IN / NOT IN


@dataclass(frozen=True)
class Aggregate:
    function: str  # COUNT | SUM | MAX
    field: str
    alias: str | None

    @property
    def text(self) -> str:
        return f"{self.function}({self.field})"


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    object_name: str
    conditions: tuple[Condition, ...]
    order_by: tuple[str, bool] | None  # (field, aggregate or alias; descending)
    limit: int | None
    aggregates: tuple[Aggregate, ...] = ()
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def parse(text: str) -> Query:
    return _Parser(_tokenize(text)).query()


def _tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    stripped = text.rstrip()
    while position < len(stripped):
        found = _TOKEN.match(stripped, position)
        if not found or found.lastgroup is None:
            raise SoqlError(f"unexpected token: '{stripped[position:].split()[0]}'")
        tokens.append(_Token(found.lastgroup, found.group(found.lastgroup)))
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0

    def query(self) -> Query:
        self._keyword("SELECT")
        fields: list[str] = []
        aggregates: list[Aggregate] = []
        self._select_item(fields, aggregates)
        while self._accept_op(","):
            self._select_item(fields, aggregates)
        self._keyword("FROM")
        object_name = self._name()
        conditions: list[Condition] = []
        if self._accept_keyword("WHERE"):
            conditions.append(self._condition())
            while self._accept_keyword("AND"):
                conditions.append(self._condition())
        group_by: list[str] = []
        if self._accept_keyword("GROUP"):
            self._keyword("BY")
            group_by.append(self._name())
            while self._accept_op(","):
                group_by.append(self._name())
        if aggregates and not {f.lower() for f in fields} <= {g.lower() for g in group_by}:
            raise SoqlError("Field must be grouped or aggregated: " + ", ".join(fields))
        order_by = None
        if self._accept_keyword("ORDER"):
            self._keyword("BY")
            field = self._order_item()
            descending = self._accept_keyword("DESC")
            if not descending:
                self._accept_keyword("ASC")
            order_by = (field, descending)
        limit = None
        if self._accept_keyword("LIMIT"):
            token = self._next()
            if token.kind != "number" or not token.text.isdigit():
                raise SoqlError(f"unexpected token: '{token.text}'")
            limit = int(token.text)
        if self._index < len(self._tokens):
            raise SoqlError(f"unexpected token: '{self._tokens[self._index].text}'")
        return Query(
            tuple(fields),
            object_name,
            tuple(conditions),
            order_by,
            limit,
            tuple(aggregates),
            tuple(group_by),
        )

    def _select_item(self, fields: list[str], aggregates: list[Aggregate]) -> None:
        aggregate = self._aggregate()
        if aggregate is None:
            fields.append(self._name())
            return
        alias = None
        token = self._peek()
        if token and token.kind == "name" and token.text.upper() not in _KEYWORDS:
            alias = self._name()
        aggregates.append(Aggregate(aggregate[0], aggregate[1], alias))

    def _aggregate(self) -> tuple[str, str] | None:
        token = self._peek()
        following = self._tokens[self._index + 1] if self._index + 1 < len(self._tokens) else None
        if not (
            token and token.text.upper() in _AGGREGATES and following and following.text == "("
        ):
            return None
        self._index += 2
        field = self._name()
        self._op(")")
        return token.text.upper(), field

    def _order_item(self) -> str:
        aggregate = self._aggregate()
        return f"{aggregate[0]}({aggregate[1]})" if aggregate else self._name()

    def _condition(self) -> Condition:
        field = self._name()
        if self._accept_keyword("NOT"):
            self._keyword("IN")
            return Condition(field, "NOT IN", self._list())
        if self._accept_keyword("IN"):
            return Condition(field, "IN", self._list())
        token = self._next()
        if token.kind != "op" or token.text in ("(", ")", ","):
            raise SoqlError(f"unexpected token: '{token.text}'")
        operator = "!=" if token.text == "<>" else token.text
        return Condition(field, operator, self._literal())

    def _list(self) -> tuple[Any, ...]:
        self._op("(")
        values = [self._literal()]
        while self._accept_op(","):
            values.append(self._literal())
        self._op(")")
        return tuple(values)

    def _literal(self) -> Any:
        token = self._next()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "datetime":
            return datetime.fromisoformat(token.text.replace("Z", "+00:00"))
        if token.kind == "name" and token.text.lower() in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[token.text.lower()]
        if token.kind == "name" and token.text.upper() in ("TODAY", "YESTERDAY"):
            return RelativeDays(0 if token.text.upper() == "TODAY" else -1, 1)
        if token.kind == "name" and token.text.upper() == "LAST_N_DAYS":
            # "starts with the current day and continues for the past n days"
            self._op(":")
            days = self._next()
            if days.kind != "number" or not days.text.isdigit():
                raise SoqlError(f"unexpected token: '{days.text}'")
            return RelativeDays(-int(days.text), int(days.text) + 1)
        raise SoqlError(f"unexpected token: '{token.text}'")

    def _name(self) -> str:
        token = self._next()
        upper = token.text.upper()
        if token.kind != "name" or upper in _KEYWORDS:
            raise SoqlError(f"unexpected token: '{token.text}'")
        if upper in _UNSUPPORTED:
            raise SoqlError(f"'{token.text}' is not supported by the sandbox")
        return token.text

    def _next(self) -> _Token:
        if self._index >= len(self._tokens):
            raise SoqlError("unexpected end of query")
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _peek(self) -> _Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _accept_keyword(self, word: str) -> bool:
        token = self._peek()
        if token and token.kind == "name" and token.text.upper() == word:
            self._index += 1
            return True
        if token and token.kind == "name" and token.text.upper() in _UNSUPPORTED:
            raise SoqlError(f"'{token.text}' is not supported by the sandbox")
        return False

    def _keyword(self, word: str) -> None:
        if not self._accept_keyword(word):
            token = self._peek()
            raise SoqlError(f"expecting '{word}', found '{token.text if token else 'EOF'}'")

    def _accept_op(self, op: str) -> bool:
        token = self._peek()
        if token and token.kind == "op" and token.text == op:
            self._index += 1
            return True
        return False

    def _op(self, op: str) -> None:
        if not self._accept_op(op):
            token = self._peek()
            raise SoqlError(f"expecting '{op}', found '{token.text if token else 'EOF'}'")

"""Runs a parsed SOQL query against the org's records and shapes the records as the API does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sandbox.salesforce.connected_apps import APP_QUERY_TYPES
from sandbox.salesforce.records import OrgRecords
from sandbox.salesforce.sobject_rest import QUERY_TYPES, setting_type
from sandbox.salesforce.sobjects import SOBJECT_TYPES, WEIGHT, Row, SObjectType
from sandbox.salesforce.soql import (
    Aggregate,
    Condition,
    DateRange,
    Query,
    RelativeDays,
    SoqlError,
    parse,
)

_CUSTOM_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)


@dataclass(frozen=True)
class _Path:
    relationship: str | None  # canonical relationship name, or None for a plain field
    field: str  # canonical field name

    @property
    def label(self) -> str:
        return f"{self.relationship}.{self.field}" if self.relationship else self.field

    def value(self, row: Row) -> Any:
        if self.relationship is None:
            return row.get(self.field)
        related = row.get(self.relationship)
        return None if related is None else related.get(self.field)


@dataclass(frozen=True)
class QueryResult:
    object_name: str
    records: list[dict[str, Any]]


def run(
    soql: str,
    records: OrgRecords,
    now: datetime,
    *,
    tooling: bool,
    base: str,
    hidden: frozenset[str] = frozenset(),
    no_aggregates: frozenset[str] = frozenset(),
    missing_fields: frozenset[str] = frozenset(),
) -> QueryResult:
    """`base` is the API root records' urls hang from, e.g. /services/data/v62.0/tooling;
    `hidden` names (lower case) the objects the user lacks the permission to see,
    `no_aggregates` those refusing COUNT() and GROUP BY, `missing_fields` (lower case)
    fields this org does not have, on whichever object."""
    query = parse(soql)
    sobject = _sobject(query.object_name, tooling, hidden, records)
    if (query.aggregates or query.group_by) and sobject.name.lower() in no_aggregates:
        # The wording is composed: no primary source shows this object's refusal.
        raise SoqlError(
            f"Aggregate queries are not yet supported by this SObject storage type: {sobject.name}",
            "MALFORMED_QUERY",
        )
    selected = [_resolve(sobject, name) for name in query.fields]
    _refuse_missing(sobject, selected, missing_fields)
    labels = [path.label.lower() for path in selected]
    duplicate = next((label for label in labels if labels.count(label) > 1), None)
    if duplicate:
        raise SoqlError(f"duplicate field selected: {duplicate}")
    conditions = [_dated(condition, now) for condition in query.conditions]
    rows = [row for row in sobject.rows(records, now) if _matches(sobject, conditions, row)]
    if query.aggregates:
        return QueryResult("AggregateResult", _aggregate(sobject, query, selected, rows))
    rows = [row for row in rows for _ in range(int(row.get(WEIGHT, 1)))]
    if query.order_by:
        order_path = _resolve(sobject, query.order_by[0])
        rows.sort(key=lambda row: _sort_key(order_path.value(row)), reverse=query.order_by[1])
    if query.limit is not None:
        rows = rows[: query.limit]
    return QueryResult(sobject.name, [_render(sobject, selected, row, base) for row in rows])


def _aggregate(
    sobject: SObjectType, query: Query, selected: list[_Path], rows: list[Row]
) -> list[dict[str, Any]]:
    """AggregateResult records: grouped fields by their own name, aggregates by alias or
    expr0, expr1, ... (as Salesforce names them)."""
    groups = [_resolve(sobject, name) for name in query.group_by]
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for row in rows:
        key = tuple(path.value(row) for path in groups)
        sums = totals.setdefault(key, [_EMPTY[a.function] for a in query.aggregates])
        for index, aggregate in enumerate(query.aggregates):
            sums[index] = _combine(sobject, aggregate, row, sums[index])
    names = _aggregate_names(query.aggregates)
    results = []
    for key, sums in totals.items():
        record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for path in selected:
            # A grouped field comes back under its own last name (CronJobDetail.Name: Name).
            name = path.field.rsplit(".", 1)[-1]
            record[name] = key[[g.label.lower() for g in groups].index(path.label.lower())]
        for name, value in zip(names, sums, strict=True):
            numeric = isinstance(value, float) and value == int(value)
            record[name] = int(value) if numeric else value
        results.append(record)
    if query.order_by:
        order, descending = query.order_by
        by_text = {a.text.lower(): n for a, n in zip(query.aggregates, names, strict=True)}
        column = by_text.get(order.lower(), order)
        column = (
            next((k for k in results[0] if k.lower() == column.lower()), column)
            if results
            else column
        )
        results.sort(key=lambda record: _sort_key(record.get(column)), reverse=descending)
    return results[: query.limit] if query.limit is not None else results


def _aggregate_names(aggregates: tuple[Aggregate, ...]) -> list[str]:
    names, unnamed = [], 0
    for aggregate in aggregates:
        if aggregate.alias:
            names.append(aggregate.alias)
        else:
            names.append(f"expr{unnamed}")
            unnamed += 1
    return names


# What a group starts from: MAX ignores nulls and answers null for a group of nulls.
_EMPTY: dict[str, Any] = {"COUNT": 0.0, "SUM": 0.0, "MAX": None}


def _combine(sobject: SObjectType, aggregate: Aggregate, row: Row, so_far: Any) -> Any:
    value = _resolve(sobject, aggregate.field).value(row)
    weight = float(row.get(WEIGHT, 1))
    if aggregate.function == "COUNT":
        return so_far + (weight if value is not None else 0.0)
    if aggregate.function == "MAX":
        # Same-format dateTimes, numbers and strings all compare by value.
        return value if so_far is None or (value is not None and value > so_far) else so_far
    return so_far + weight * float(value or 0)


def _sobject(name: str, tooling: bool, hidden: frozenset[str], records: OrgRecords) -> SObjectType:
    sobject = (
        SOBJECT_TYPES.get(name.lower())
        or QUERY_TYPES.get(name.lower())
        or APP_QUERY_TYPES.get(name.lower())
        or setting_type(records, name)
    )
    visible = sobject is not None and name.lower() not in hidden
    if sobject is None or not visible or not (sobject.tooling if tooling else sobject.rest):
        raise SoqlError(
            f"sObject type '{name}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
            "INVALID_TYPE",
        )
    return sobject


def _resolve(sobject: SObjectType, name: str) -> _Path:
    head, _, tail = name.partition(".")
    if not tail:
        field = sobject.field(head)
        if field:
            return _Path(None, field)
    else:
        relationship = sobject.relationship(head)
        if relationship:
            # A grandparent's field is listed dotted on the relationship (CronJobDetail.Name).
            field = next((f for f in relationship.fields if f.lower() == tail.lower()), None)
            if field:
                return _Path(relationship.name, field)
        if relationship is None:
            raise SoqlError(
                f"Didn't understand relationship '{head}' in field path. {_CUSTOM_FIELD_HINT}",
                "INVALID_FIELD",
            )
    related = sobject.relationship(head) if tail else None
    entity = related.type_name if related else sobject.name
    column = tail or name
    raise SoqlError(
        f"No such column '{column}' on entity '{entity}'. {_CUSTOM_FIELD_HINT}", "INVALID_FIELD"
    )


def _refuse_missing(sobject: SObjectType, selected: list[_Path], missing: frozenset[str]) -> None:
    """The first selected field the org lacks, refused as Salesforce refuses any unknown one."""
    path = next((p for p in selected if p.field.lower() in missing), None)
    if path is None:
        return
    relationship = sobject.relationship(path.relationship) if path.relationship else None
    entity = relationship.type_name if relationship else sobject.name
    raise SoqlError(
        f"No such column '{path.field}' on entity '{entity}'. {_CUSTOM_FIELD_HINT}",
        "INVALID_FIELD",
    )


def _dated(condition: Condition, now: datetime) -> Condition:
    """A date literal (TODAY, LAST_N_DAYS:7) as the range it means now."""
    if isinstance(condition.value, RelativeDays):
        return replace(condition, value=condition.value.at(now))
    return condition


def _matches(sobject: SObjectType, conditions: list[Condition], row: Row) -> bool:
    return all(_holds(_resolve(sobject, c.field).value(row), c) for c in conditions)


def _holds(value: Any, condition: Condition) -> bool:
    operator, literal = condition.operator, condition.value
    if isinstance(literal, DateRange):
        return _within(value, operator, literal)
    if operator == "IN":
        return any(_equal(value, item) for item in literal)
    if operator == "NOT IN":
        return not any(_equal(value, item) for item in literal)
    if operator == "=":
        return _equal(value, literal)
    if operator == "!=":
        return not _equal(value, literal)
    if value is None or literal is None:
        return False
    left, right = _comparable(value, literal)
    comparisons = {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}
    return bool(comparisons[operator])


def _within(value: Any, operator: str, dates: DateRange) -> bool:
    """= inside the range, < before it, > after it (SOQL date literals)."""
    if value is None:
        return operator == "!="
    moment: datetime = _comparable(value, dates.start)[0]
    inside = dates.start <= moment < dates.end
    answers: dict[str, bool] = {
        "=": inside,
        "!=": not inside,
        "<": moment < dates.start,
        "<=": moment < dates.end,
        ">": moment >= dates.end,
        ">=": moment >= dates.start,
    }
    return answers[operator]


def _equal(value: Any, literal: Any) -> bool:
    if value is None or literal is None:
        return value is literal
    if isinstance(value, str) and isinstance(literal, str):
        # Ids match in their 15- or 18-character forms; other text compares case-insensitively.
        return value.lower() == literal.lower() or (
            len(value) == 18 and len(literal) == 15 and value[:15] == literal
        )
    left, right = _comparable(value, literal)
    return bool(left == right)


def _comparable(value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, datetime):
        moment = datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z")
        return moment, literal
    if isinstance(value, bool) or isinstance(literal, bool):
        return str(value).lower(), str(literal).lower()
    if isinstance(value, int | float) and isinstance(literal, int | float):
        return value, literal
    return str(value), str(literal)


def _sort_key(value: Any) -> tuple[int, Any]:
    # SOQL sorts nulls first in ascending order.
    return (
        (0, "") if value is None else (1, value if isinstance(value, int | float) else str(value))
    )


def _render(sobject: SObjectType, selected: list[_Path], row: Row, base: str) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": _attributes(sobject.name, row[sobject.url_key], base)}
    for path in selected:
        if path.relationship is None:
            record[path.field] = row.get(path.field)
            continue
        related = row.get(path.relationship)
        if related is None:
            record[path.relationship] = None
            continue
        relationship = sobject.relationship(path.relationship)
        assert relationship is not None
        nested = record.get(path.relationship) or {
            "attributes": _attributes(relationship.type_name, related["Id"], base)
        }
        nested[path.field] = related.get(path.field)
        record[path.relationship] = nested
    return record


def _attributes(type_name: str, record_id: str, base: str) -> dict[str, str]:
    return {"type": type_name, "url": f"{base}/sobjects/{type_name}/{record_id}"}

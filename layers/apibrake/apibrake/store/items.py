"""Plain Python values <-> DynamoDB attribute values, and the batch and conditional-write
helpers every store shares."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    """Nested None stays (as NULL): a recorded state says "no active version" with its key
    (`active_version: None`), which the journal must show as the brake table did."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return sorted(_from_dynamo(v) for v in value)
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """An item's attributes; a None attribute is left out (absent, not NULL)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


# Batch calls and conditional writes ---------------------------------------------------------

BATCH_WRITE_MAX = 25  # DynamoDB's limit per BatchWriteItem
BATCH_GET_MAX = 100  # and per BatchGetItem
UNPROCESSED_RETRIES = 6
_BACKOFF_FIRST_S = 0.05
_BACKOFF_MAX_S = 1.0


class UnprocessedLeft(RuntimeError):
    """DynamoDB kept handing part of a batch back (throttled) after every retry."""

    def __init__(self, table: str, operation: str, left: int) -> None:
        super().__init__(f"{operation} on {table}: {left} requests still unprocessed after retries")


def _backoff(retry: int) -> float:
    return min(_BACKOFF_FIRST_S * (1 << retry), _BACKOFF_MAX_S)


def batch_write(
    dynamodb: Any,
    table: str,
    requests: list[dict[str, Any]],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """`PutRequest` / `DeleteRequest`s in batches of 25; what DynamoDB hands back unprocessed
    is sent again after a short, growing pause (AWS's advice), a bounded number of times."""
    for start in range(0, len(requests), BATCH_WRITE_MAX):
        pending: dict[str, Any] = {table: requests[start : start + BATCH_WRITE_MAX]}
        for retry in range(UNPROCESSED_RETRIES + 1):
            if retry:
                sleep(_backoff(retry - 1))
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
        else:
            raise UnprocessedLeft(table, "BatchWriteItem", len(pending.get(table, [])))


def batch_get(
    dynamodb: Any,
    table: str,
    keys: list[dict[str, Any]],
    *,
    consistent: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The raw items found for `keys` (any order; missing keys are left out), in batches
    of 100, unprocessed keys retried like `batch_write`."""
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_MAX):
        request: dict[str, Any] = {
            table: {"Keys": keys[start : start + BATCH_GET_MAX], "ConsistentRead": consistent}
        }
        for retry in range(UNPROCESSED_RETRIES + 1):
            if retry:
                sleep(_backoff(retry - 1))
            answer = dynamodb.batch_get_item(RequestItems=request)
            items += answer["Responses"].get(table, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise UnprocessedLeft(
                table, "BatchGetItem", len(request.get(table, {}).get("Keys", []))
            )
    return items


def is_conditional_failure(exc: ClientError) -> bool:
    """A condition did not hold: a conditional write's, or one inside a transaction. A
    transaction cancelled for another reason (a conflict, throttling) is not one, when
    DynamoDB says why."""
    code = exc.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons")
    if not reasons:
        return True  # no reasons given: treat as the condition, as before
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)

"""The shared store helpers: batches retried with backoff, bounded; conditional failures."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from apibrake.store.items import (
    UNPROCESSED_RETRIES,
    UnprocessedLeft,
    batch_get,
    batch_write,
    is_conditional_failure,
)

TABLE = "state"


class ThrottlingDynamo:
    """Hands back the last request of every batch as unprocessed, `throttled` times."""

    def __init__(self, throttled: int) -> None:
        self.throttled = throttled
        self.written: list[dict[str, Any]] = []
        self.batches: list[int] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        requests = RequestItems[TABLE]
        self.batches.append(len(requests))
        if self.throttled:
            self.throttled -= 1
            self.written += requests[:-1]
            return {"UnprocessedItems": {TABLE: requests[-1:]}}
        self.written += requests
        return {"UnprocessedItems": {}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        keys = RequestItems[TABLE]["Keys"]
        self.batches.append(len(keys))
        if self.throttled:
            self.throttled -= 1
            unprocessed = {TABLE: {**RequestItems[TABLE], "Keys": keys[-1:]}}
            return {"Responses": {TABLE: keys[:-1]}, "UnprocessedKeys": unprocessed}
        return {"Responses": {TABLE: keys}, "UnprocessedKeys": {}}


def puts(count: int) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(count)]


def test_writes_go_in_batches_of_25_and_unprocessed_ones_again_after_a_growing_pause() -> None:
    # Given a table that throttles twice
    dynamo, pauses = ThrottlingDynamo(throttled=2), []
    # When 30 items are written
    batch_write(dynamo, TABLE, puts(30), sleep=pauses.append)
    # Then every item is written once, in batches of at most 25, after growing pauses
    assert sorted(r["PutRequest"]["Item"]["pk"]["S"] for r in dynamo.written) == sorted(
        str(i) for i in range(30)
    )
    assert max(dynamo.batches) == 25
    assert len(pauses) == 2
    assert 0 < pauses[0] < pauses[1]


def test_a_batch_that_stays_unprocessed_fails_instead_of_looping() -> None:
    dynamo, pauses = ThrottlingDynamo(throttled=1000), []
    with pytest.raises(UnprocessedLeft, match="1 requests still unprocessed"):
        batch_write(dynamo, TABLE, puts(3), sleep=pauses.append)
    assert len(pauses) == UNPROCESSED_RETRIES


def test_gets_return_every_item_despite_throttling() -> None:
    dynamo = ThrottlingDynamo(throttled=1)
    keys = [{"pk": {"S": str(i)}} for i in range(150)]
    found = batch_get(dynamo, TABLE, keys, sleep=lambda _: None)
    assert sorted(item["pk"]["S"] for item in found) == sorted(str(i) for i in range(150))
    assert max(dynamo.batches) == 100


def client_error(code: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, **extra}, "Op")


@pytest.mark.parametrize(
    ("error", "conditional"),
    [
        (client_error("ConditionalCheckFailedException"), True),
        (client_error("TransactionCanceledException"), True),  # no reasons given
        (
            client_error(
                "TransactionCanceledException",
                CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
            ),
            True,
        ),
        (
            client_error(
                "TransactionCanceledException",
                CancellationReasons=[{"Code": "TransactionConflict"}],
            ),
            False,
        ),
        (client_error("ProvisionedThroughputExceededException"), False),
    ],
)
def test_conditional_failures_are_told_apart(error: ClientError, conditional: bool) -> None:
    assert is_conditional_failure(error) is conditional

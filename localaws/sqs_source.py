"""An SQS event source mapping, locally: receive a batch from a queue, hand it to a handler
as Lambda's SQS event, and delete what succeeded (with `ReportBatchItemFailures`, every
record except the answer's `batchItemFailures`, which become visible again later; a handler
that raises gives the whole batch back).

moto serves the queue; this plays Lambda's poller, one batch at a time, as
`sam local` has no event source mappings either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass
class Drained:
    batches: int = 0
    records: int = 0
    failed: list[str] = field(default_factory=list)  # message ids given back to the queue
    answers: list[dict[str, Any]] = field(default_factory=list)


def drain(
    sqs: Any,
    queue_url: str,
    queue_arn: str,
    handler: Handler,
    *,
    batch_size: int = 10,
    max_batches: int = 1000,
) -> Drained:
    """Deliver every visible message of the queue to `handler`, `batch_size` at a time."""
    drained = Drained()
    for _ in range(max_batches):
        answer = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        event = {"Records": [_record(message, queue_arn) for message in messages]}
        try:
            result = handler(event) or {}
        except Exception as error:  # a function error: Lambda gives the whole batch back
            result = {
                "batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages],
                "functionError": type(error).__name__,
            }
        drained.answers.append(result)
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                ],
            )
        drained.batches += 1
        drained.records += len(messages)
        drained.failed += sorted(failed)
    return drained


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record as Lambda delivers it (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }

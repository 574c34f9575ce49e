"""An SQS queue subscribed to the alert topic: what a subscriber would get.

The subscription keeps SNS's JSON envelope (RawMessageDelivery off) because
raw delivery drops the Subject, and email subscribers read the Subject first.
With `MessageStructure="json"` SNS (and moto) deliver the `sqs` key of the
message if present, else its `default` key, so `body` is what an SQS
subscriber would see; an email subscriber gets the `email` key or `default`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_MAX_BATCH = 10  # SQS's ReceiveMessage limit


@dataclass(frozen=True)
class ReceivedAlert:
    """One message as delivered by the topic."""

    body: str
    subject: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body parsed as JSON (alerts that carry a report)."""
        return json.loads(self.body)


class AlertInbox:
    """Drains what the alert topic delivered to one queue."""

    def __init__(self, sqs: SQSClient, queue_url: str, subscription_arn: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.subscription_arn = subscription_arn

    def receive(self, wait_seconds: int = 0) -> list[ReceivedAlert]:
        """Every message waiting now (and deletes them); long-polls up to `wait_seconds`."""
        return [_from_envelope(body) for body in _drain(self._sqs, self.queue_url, wait_seconds)]


def _drain(sqs: SQSClient, queue_url: str, wait_seconds: int = 0) -> list[str]:
    """The bodies of every message waiting now, in arrival order, deleted once read;
    long-polls up to `wait_seconds` for the first."""
    bodies: list[str] = []
    wait = wait_seconds
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=_MAX_BATCH, WaitTimeSeconds=wait
        ).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(message["Body"] for message in messages)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)
            ],
        )
        wait = 0  # something arrived: drain the rest without waiting again


def _from_envelope(body: str) -> ReceivedAlert:
    envelope = json.loads(body)
    return ReceivedAlert(
        body=envelope["Message"],
        subject=envelope.get("Subject"),
        attributes={
            name: str(attribute["Value"])
            for name, attribute in envelope.get("MessageAttributes", {}).items()
        },
    )


class EventInbox:
    """Drains what an EventBridge rule delivered to one queue: the events themselves, as
    a rule's SQS target receives them (the whole event, `detail` included)."""

    def __init__(self, sqs: SQSClient, queue_url: str, rule_name: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.rule_name = rule_name

    def receive(self) -> list[dict[str, Any]]:
        """Every event waiting now (and deletes them), in arrival order."""
        return [json.loads(body) for body in _drain(self._sqs, self.queue_url)]

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
        alerts: list[ReceivedAlert] = []
        wait = wait_seconds
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=_MAX_BATCH,
                WaitTimeSeconds=wait,
            ).get("Messages", [])
            if not messages:
                return alerts
            alerts.extend(_from_envelope(message["Body"]) for message in messages)
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
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
        events: list[dict[str, Any]] = []
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=_MAX_BATCH
            ).get("Messages", [])
            if not messages:
                return events
            events.extend(json.loads(message["Body"]) for message in messages)
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages)
                ],
            )

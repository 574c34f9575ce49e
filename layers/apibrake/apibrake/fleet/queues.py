"""The two check queues (SQS): urgent for hot and warm connections, normal for calm ones and
for the daily collection's requests."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from apibrake.models.fleet import CheckRequest, CollectRequest

logger = logging.getLogger(__name__)
SEND_BATCH_MAX = 10  # SQS's limit per SendMessageBatch


class SqsCheckQueues:
    def __init__(self, sqs: Any, *, urgent_url: str, normal_url: str) -> None:
        self._sqs = sqs
        self._urls = {True: urgent_url, False: normal_url}

    def send(self, requests: Sequence[CheckRequest | CollectRequest], *, urgent: bool) -> list[str]:
        """Ten a call; the connection ids SQS refused (their lease ends, then they are due
        again)."""
        failed: list[str] = []
        for start in range(0, len(requests), SEND_BATCH_MAX):
            chunk = requests[start : start + SEND_BATCH_MAX]
            entries = [
                {"Id": str(number), "MessageBody": request.model_dump_json()}
                for number, request in enumerate(chunk)
            ]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self._urls[urgent], Entries=entries)
            except Exception:
                logger.exception("check requests not sent", extra={"count": len(chunk)})
                failed += [request.connection_id for request in chunk]
                continue
            failed += [chunk[int(entry["Id"])].connection_id for entry in answer.get("Failed", [])]
        return failed

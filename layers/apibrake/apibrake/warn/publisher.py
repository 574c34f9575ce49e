"""The one alert publisher: SNS with a readable email body, a short SMS variant and the chat
relay's format for https subscribers.

`MessageStructure="json"` makes one publish carry a message per protocol: "default" (a
string, required) plus one key per protocol (SNS Publish API, MessageStructure). The chat
relay (Amazon Q Developer in chat applications) subscribes with https and drops anything
but its own format, so the https and http variants carry that format (warn/chat.py).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Protocol

from apibrake.models.alert import Alert, Severity
from apibrake.warn.chat import chat_notification

__all__ = ["Alert", "AlertEvents", "AlertPublisher", "Severity"]

SMS_MAX_BYTES = 1_600  # SNS's cap; ideally one 160-character segment
# SNS Publish: a Subject is text "with no line breaks or control characters, and less than
# 100 characters long"; ASCII is the subset every reading accepts (docs/platform-notes.md W1).
SUBJECT_MAX_CHARS = 99


def _clip(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max_bytes - 3].decode("utf-8", "ignore") + "..."


def sns_subject(text: str) -> str:
    """`text` as a Subject SNS accepts: ASCII (accents dropped, other characters `?`), line
    breaks and control characters as spaces, at most 99 characters."""
    characters = []
    for character in text:
        if character.isascii():
            characters.append(character if character.isprintable() else " ")
        else:
            base = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode()
            characters.append(base or "?")
    subject = "".join(characters)
    if len(subject) > SUBJECT_MAX_CHARS:
        subject = subject[: SUBJECT_MAX_CHARS - 3] + "..."
    return subject


class AlertEvents(Protocol):
    """Where alerts also go as events (warn/events.py); never raises."""

    def alert(self, alert: Alert) -> bool: ...


class AlertPublisher:
    def __init__(self, sns: Any, topic_arn: str, events: AlertEvents | None = None) -> None:
        self._sns = sns
        self._topic_arn = topic_arn
        self._events = events

    def publish(self, alert: Alert) -> str:
        """Publishes one alert and returns its SNS message id. Its event goes out even when
        SNS fails (a pager routed from events still hears of it), and an event that fails
        never stops the alert."""
        try:
            return self._publish_sns(alert)
        finally:
            if self._events is not None:
                self._events.alert(alert)

    def _publish_sns(self, alert: Alert) -> str:
        subject = sns_subject(alert.subject)
        chat = json.dumps(chat_notification(alert), ensure_ascii=False)
        message = {
            "default": alert.body,
            "email": alert.body,
            "sms": _clip(alert.sms, SMS_MAX_BYTES),
            "https": chat,
            "http": chat,
        }
        answer = self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=subject,
            Message=json.dumps(message),
            MessageStructure="json",
            MessageAttributes=alert.attributes(),
        )
        return str(answer["MessageId"])

"""Over the wire: what an https subscriber of the alert topic (the chat relay) receives.

moto's SNS posts each notification to http(s) subscriptions itself, synchronously inside
Publish, and confirms such subscriptions on the spot (no SubscriptionConfirmation is sent),
so a receiver on 127.0.0.1 gets exactly what SNS hands the relay.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.publisher import AlertPublisher
from apibrake.warn.rules import usage_alerts
from apibrake.watch.forecast import Forecast
from localaws import LocalAws
from tests.fixtures.chat_format import ChatNotification

SF = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf")
FORECAST = Forecast(
    used=13_800,
    limit=15_000,
    percent=92.0,
    burn_rate_per_hour=1_200.0,
    minutes_to_brake=0.0,
    minutes_to_exhaustion=60.0,
    resets_at=None,
    minutes_to_reset=None,
)


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[dict[str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.posts.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads what arrived, not the access log."""


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_https_subscriber_gets_the_chat_format_and_others_the_text(
    aws: LocalAws, receiver: _Receiver
) -> None:
    # Given the chat relay's kind of subscription (http here: moto cannot serve TLS) and a
    # plain subscriber beside it
    sns = aws.client("sns")
    port = receiver.server_address[1]
    sns.subscribe(
        TopicArn=aws.alert_topic_arn, Protocol="http", Endpoint=f"http://127.0.0.1:{port}/"
    )
    plain = aws.alert_inbox()
    due = usage_alerts(SF, FORECAST, horizon_minutes=60)[-1]
    allowlist = [AllowlistEntry(connection_id="sf-prod", automation="flow:Account_Rollup")]
    alert = compose(SF, due, AlertContext(forecast=FORECAST, allowlist=allowlist))

    # When the alert is published the one way apibrake publishes
    AlertPublisher(sns, aws.alert_topic_arn).publish(alert)

    # Then the http subscriber got the chat format, valid and complete
    [notification] = receiver.posts
    assert notification["Type"] == "Notification"
    chat = ChatNotification.model_validate_json(notification["Message"])
    assert chat.content.title == ":rotating_light: " + alert.subject.removeprefix("[apibrake] ")
    assert chat.content.description.startswith("Usage: 13,800 of 15,000 calls (92.0%)")
    assert chat.content.nextSteps[-1].startswith("Brake now: `apibrake brake --connection")
    # ... while the other subscriber still reads the email text
    [received] = plain.receive()
    assert received.body == alert.body
    assert received.attributes["severity"] == "critical"

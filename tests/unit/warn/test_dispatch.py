"""Claims decide who sends; the most severe won alert is published; failures release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent
from apibrake.warn.dispatch import AlertDispatcher
from apibrake.warn.messages import AlertContext
from apibrake.warn.publisher import Alert
from apibrake.warn.rules import usage_alerts
from apibrake.warn.trigger import LambdaInvoker
from apibrake.watch.forecast import Forecast


class RecordingInvoker:
    """Records the brake events the monitor would send to incident_responder."""

    def __init__(self) -> None:
        self.events: list[BrakeEvent] = []

    def invoke(self, event: BrakeEvent) -> None:
        self.events.append(event)


NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SF = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf")


class MemoryClaims:
    def __init__(self) -> None:
        self.windows: dict[tuple[str, str], datetime] = {}
        self.confirmed: set[tuple[str, str]] = set()

    def claim_alert(self, cid: str, key: str, *, now: datetime, window_ends: datetime) -> bool:
        ends = self.windows.get((cid, key))
        if ends is not None and ends > now:
            return False
        self.windows[(cid, key)] = window_ends
        return True

    def confirm_alert_claim(self, cid: str, key: str) -> None:
        self.confirmed.add((cid, key))

    def confirm_alert_claims(self, cid: str, keys: list[str]) -> None:
        self.confirmed.update((cid, key) for key in keys)

    def release_alert_claim(self, cid: str, key: str) -> None:
        self.windows.pop((cid, key), None)


class ListPublisher:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Alert] = []
        self.fail = fail

    def publish(self, alert: Alert) -> str:
        if self.fail:
            raise RuntimeError("SNS down")
        self.sent.append(alert)
        return "id"


def outlook(percent: float) -> Forecast:
    return Forecast(int(percent * 100), 10_000, percent, None, None, None, None, None)


def test_a_jump_claims_every_threshold_but_sends_one_message() -> None:
    claims, publisher = MemoryClaims(), ListPublisher()
    dispatcher = AlertDispatcher(claims, publisher, lambda cid: [])
    due = usage_alerts(SF, outlook(92), horizon_minutes=60)
    won = dispatcher.claim(SF, due, now=NOW, window_ends=NOW + timedelta(hours=24))
    sent = dispatcher.send(SF, won, AlertContext(forecast=outlook(92)))
    assert sent == ["warn:70", "warn:80", "brake:90"]
    assert [alert.kind for alert in publisher.sent] == ["brake_threshold"]
    # Same window: nothing more. Next window: again.
    assert dispatcher.claim(SF, due, now=NOW + timedelta(hours=1), window_ends=NOW) == []
    again = dispatcher.claim(SF, due, now=NOW + timedelta(hours=25), window_ends=NOW)
    assert [alert.key for alert in again] == sent


def test_failed_publish_releases_the_claims() -> None:
    claims = MemoryClaims()
    dispatcher = AlertDispatcher(claims, ListPublisher(fail=True), lambda cid: [])
    due = usage_alerts(SF, outlook(75), horizon_minutes=60)
    won = dispatcher.claim(SF, due, now=NOW, window_ends=NOW + timedelta(hours=24))
    with pytest.raises(RuntimeError):
        dispatcher.send(SF, won, AlertContext(forecast=outlook(75)))
    assert claims.windows == {}


def test_lambda_invoker_sends_an_async_brake_event() -> None:
    class FakeLambda:
        def __init__(self) -> None:
            self.calls: list[dict[str, object]] = []

        def invoke(self, **kwargs: object) -> None:
            self.calls.append(kwargs)

    client = FakeLambda()
    LambdaInvoker(client, "apibrake-Responder").invoke(
        BrakeEvent(action="brake", connection_id="sf-prod", reason="r")
    )
    (call,) = client.calls
    assert call["InvocationType"] == "Event"
    assert call["FunctionName"] == "apibrake-Responder"
    assert BrakeEvent.model_validate_json(call["Payload"]).connection_id == "sf-prod"  # type: ignore[arg-type]
    recorder = RecordingInvoker()
    recorder.invoke(BrakeEvent(action="brake"))
    assert len(recorder.events) == 1

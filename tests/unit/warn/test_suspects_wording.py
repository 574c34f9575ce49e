"""The Suspects section of each alert kind, with and without suspects: who spends the calls
(source and age named), the change before the burn, and whether the brake stops each; the
SMS keeps its length; nothing empty is ever shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.alert import Alert
from apibrake.models.attribution import AttributionSource, Consumer, ConsumerKind, Suspects
from apibrake.models.connection import Connection
from apibrake.models.protected import KEEP_RUNNING, ProtectedConsumers
from apibrake.warn.chat import chat_notification
from apibrake.warn.events import alert_event
from apibrake.warn.messages import SMS_SEGMENT, AlertContext, compose
from apibrake.warn.publisher import Severity
from apibrake.warn.rules import (
    AlertKind,
    DueAlert,
    connection_error_alert,
    exhausted_alert,
    usage_alerts,
)
from apibrake.warn.wording import NEEDS_PERSON, resolved, section, story
from tests.fixtures.chat_format import ChatNotification
from tests.unit.warn.alert_kinds import ALLOWLIST, FUNCTION, HS, NOW, SF, SUSPECTS, outlook

HEADER = "Suspects (from the ApiTotalUsage daily file, 12 h old):"
TOP = (
    "  Consumer: flow Account_Rollup 62% of calls (9,200), 2026-11-01 00:00 to 2026-11-02 "
    "00:00 UTC - on the allowlist: the brake stops it"
)
SECOND = (
    "  Also: Nightly ETL (connected app) 21% of calls (3,100) - not on the allowlist: needs "
    "a person"
)
CHANGE = (
    '  - 2026-11-02 09:12 UTC admin@acme.com: Activated flow version #4 "Account Rollup" for '
    'flow with Unique Name "Account_Rollup" - on the allowlist: the brake stops it'
)


def _due(kind: str) -> tuple[DueAlert, float | None]:
    by_kind = {due.kind: due for due in usage_alerts(SF, outlook(92), horizon_minutes=60)}
    forecast = next(
        due
        for due in usage_alerts(SF, outlook(60), horizon_minutes=60)
        if due.kind is AlertKind.FORECAST
    )
    return {
        "forecast": (forecast, 60),
        "threshold": (by_kind[AlertKind.THRESHOLD], 92),
        "brake_threshold": (by_kind[AlertKind.BRAKE_THRESHOLD], 92),
        "limit_exhausted": (exhausted_alert(), 100),
        "outside_reach": (DueAlert("o", AlertKind.OUTSIDE_REACH, Severity.CRITICAL, 100), 95),
    }[kind]


def _alert(kind: str, suspects: Suspects | None, connection: Connection = SF) -> Alert:
    due, percent = _due(kind)
    return compose(
        connection,
        due,
        AlertContext(
            forecast=outlook(percent) if percent is not None else None,
            allowlist=ALLOWLIST if connection is SF else (),
            incident_function_name=FUNCTION,
            now=NOW,
            rate_now_per_hour=2_000.0,
            suspects=suspects,
        ),
    )


KINDS = ["forecast", "threshold", "brake_threshold", "limit_exhausted", "outside_reach"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_usage_alert_names_the_suspects_source_age_and_verdict(kind: str) -> None:
    alert = _alert(kind, SUSPECTS)

    section = alert.body.split(HEADER, 1)[1].split("\n\n", 1)[0].splitlines()
    assert section == ["", TOP, SECOND, "Recent setup changes (SetupAuditTrail):", CHANGE]
    assert alert.suspects.startswith(
        "Consumer: flow Account_Rollup 62% - on the allowlist: the brake stops it; Nightly ETL "
        "(connected app) 21% - not on the allowlist: needs a person (from the ApiTotalUsage "
        "daily file, 12 h old). Last change 2026-11-02 09:12 UTC admin@acme.com"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_without_suspects_the_alert_is_as_before(kind: str) -> None:
    alert = _alert(kind, None)

    assert "Suspects" not in alert.body
    assert alert.suspects == ""
    assert alert.attribution is None
    assert "Suspects" not in chat_notification(alert)["content"]["description"]


def test_the_section_sits_after_the_figures_and_before_the_brake_scope() -> None:
    body = _alert("threshold", SUSPECTS).body

    assert body.index("Reset: none") < body.index(HEADER) < body.index("The brake (tier 1")


def test_a_failing_check_names_no_suspects() -> None:
    alert = compose(
        SF,
        connection_error_alert("AuthError"),
        AlertContext(error="401", now=NOW, suspects=SUSPECTS),
    )

    assert "Suspects" not in alert.body
    assert alert.attribution is None


def test_no_source_knowing_anything_is_one_line_on_how_to_fix_it() -> None:
    nothing = Suspects(connection_id="sf-prod", api_calls=1)

    body = _alert("threshold", nothing).body

    [line] = [line for line in body.splitlines() if "Suspects" in line]
    assert line.startswith("Suspects: no source could name them. Turn on Setup > Event ")
    assert "Generate event log files" in line


def test_hubspot_says_where_per_app_figures_are_or_nothing() -> None:
    note = "HubSpot shows per-app call figures only in its UI"
    told = Suspects(connection_id="hs-main", notes=[note])

    assert f"Suspects: {note}" in _alert("threshold", told, HS).body
    assert "Suspects" not in _alert("threshold", Suspects(connection_id="hs-main"), HS).body


def test_hubspot_app_types_rank_and_need_a_person() -> None:
    by_type = Suspects(
        connection_id="hs-main",
        source=AttributionSource.USAGE_BY_APP_TYPE,
        data_as_of=NOW,
        consumers=[
            Consumer(name="service keys", kind=ConsumerKind.APP_TYPE, calls=310_000, share=0.76)
        ],
    )

    body = _alert("threshold", by_type, HS).body

    assert "Suspects (from the usageByAppType, 0 min old):" in body
    assert (
        "  Consumer: service keys 76% of calls (310,000) - not on the allowlist: needs a person"
        in body
    )


@pytest.mark.parametrize("kind", ["forecast", "threshold", "brake_threshold", "outside_reach"])
def test_the_sms_adds_the_top_suspect_only_when_it_fits(kind: str) -> None:
    plain = _alert(kind, None).sms
    named = _alert(kind, SUSPECTS).sms

    assert len(named) <= SMS_SEGMENT
    if len(plain) + len(" Top: flow Account_Rollup 62%.") <= SMS_SEGMENT:
        assert named == plain + " Top: flow Account_Rollup 62%."
    else:
        assert named == plain


def test_a_long_top_name_leaves_the_sms_as_it_was() -> None:
    long_name = SUSPECTS.model_copy(
        update={
            "consumers": [
                Consumer(name="x" * 140, kind=ConsumerKind.CONNECTED_APP, calls=1, share=0.9)
            ]
        }
    )

    assert _alert("threshold", long_name).sms == _alert("threshold", None).sms


def test_the_exhausted_sms_is_unchanged_by_suspects() -> None:
    assert _alert("limit_exhausted", SUSPECTS).sms == _alert("limit_exhausted", None).sms


def test_chat_carries_the_suspects_line_and_stays_valid() -> None:
    alert = _alert("brake_threshold", SUSPECTS)

    message = ChatNotification.model_validate(chat_notification(alert))

    assert message.content.description.splitlines()[-1] == f"Suspects: {alert.suspects}"


def test_the_event_carries_structured_suspects_with_the_allowlist_verdict() -> None:
    _, detail = alert_event(_alert("brake_threshold", SUSPECTS))

    assert detail.suspects is not None
    assert detail.suspects.source is AttributionSource.DAILY_FILE
    assert [(c.name, c.share, c.allowlisted) for c in detail.suspects.consumers] == [
        ("flow Account_Rollup", 0.62, True),
        ("Nightly ETL (connected app)", 0.21, False),
    ]
    assert [(c.automation, c.allowlisted) for c in detail.suspects.changes] == [
        ("flow:Account_Rollup", True)
    ]


def test_a_source_that_already_said_allowlisted_is_believed() -> None:
    told = SUSPECTS.model_copy(
        update={"consumers": [SUSPECTS.consumers[0].model_copy(update={"allowlisted": False})]}
    )

    body = _alert("threshold", told).body

    assert "flow Account_Rollup 62% of calls (9,200), 2026-11-01" in body
    assert "00:00 UTC - not on the allowlist: needs a person" in body


def test_changes_without_a_ranking_still_open_a_suspects_section() -> None:
    changes_only = SUSPECTS.model_copy(update={"consumers": []})

    body = _alert("threshold", changes_only).body

    section = body.split("Suspects: ", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section[0].startswith("no source could name them. Turn on Setup > Event")
    assert section[1:] == ["Recent setup changes (SetupAuditTrail):", CHANGE]


def test_a_release_ranking_older_than_the_brake_is_not_called_since_the_brake() -> None:
    braked_at = datetime(2026, 11, 2, 1, 59, tzinfo=UTC)  # after the daily file's last event
    # The daily file of the brake's own day: it ends after the brake, began before it
    spanning = SUSPECTS.model_copy(
        update={
            "data_as_of": braked_at + timedelta(hours=1),
            "window_start": braked_at - timedelta(hours=23),
        }
    )
    fresh = SUSPECTS.model_copy(
        update={"data_as_of": braked_at + timedelta(hours=1), "window_start": braked_at}
    )

    old_story = story(None, SUSPECTS, now=NOW, braked_at=braked_at)
    spanning_story = story(None, spanning, now=NOW, braked_at=braked_at)
    fresh_story = story(None, fresh, now=NOW, braked_at=braked_at)

    assert old_story.startswith(
        "At release, from data older than the brake (from the ApiTotalUsage daily file, 12 h old):"
    )
    assert spanning_story.startswith(
        "At release, from data that began before the brake (from the ApiTotalUsage daily file,"
    )
    assert fresh_story.startswith("Since the brake (from the ApiTotalUsage daily file,")


def test_a_protected_consumer_is_kept_running_never_suggested_for_stopping() -> None:
    connector = Consumer(
        name="HubSpot (connected app, user hubspot@acme.com)", kind=ConsumerKind.CONNECTED_APP,
        calls=820, share=0.82, connected_app="HubSpot", user="hubspot@acme.com",
    )  # fmt: skip
    etl = Consumer(
        name="ETL (connected app, user etl@acme.com)", kind=ConsumerKind.CONNECTED_APP,
        calls=100, share=0.1, connected_app="ETL", user="etl@acme.com",
    )  # fmt: skip
    suspects = Suspects(connection_id="sf", consumers=[connector, etl])
    marked = resolved(suspects, set(), ProtectedConsumers(("etl@acme.com",)))
    text = section(marked, now=NOW, salesforce=True)
    assert f"82% of calls (820) - {KEEP_RUNNING}" in text
    assert "etl@acme.com" in text
    assert "a protected consumer: keep it running" in text
    assert NEEDS_PERSON not in text

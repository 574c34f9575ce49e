"""The raise, pre-filled: the Salesforce case's answers, the extra calls with the working
shown, an end date inside the two weeks Salesforce allows, HubSpot's pack, and no secrets."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    Suspects,
)
from apibrake.models.connection import Connection, Platform
from apibrake.warn import raise_request
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.raise_request import (
    HUBSPOT_TITLE,
    ORG_ID_PLACEHOLDER,
    SALESFORCE_TITLE,
    RaiseFacts,
    end_date,
    extra_calls,
)
from apibrake.warn.rules import exhausted_alert

TODAY = date(2026, 11, 2)
STOPPED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SUSPECTS = Suspects(
    connection_id="sf-prod",
    source=AttributionSource.DAILY_FILE,
    consumers=[
        Consumer(kind=ConsumerKind.CONNECTED_APP, name="Nightly ETL", calls=8_200, share=0.82)
    ],
    drivers=[Driver(kind=DriverKind.SCHEDULED_RUNS, name="scheduled_apex:Sync", count=24)],
)


def salesforce(**changes: object) -> RaiseFacts:
    facts = RaiseFacts(
        platform=Platform.SALESFORCE,
        connection_id="sf-prod",
        label="Salesforce production",
        today=TODAY,
        exhausted_at=STOPPED,
        limit=215_000,
        rate_per_hour=12_500,
        org_id="00D000000000001EAA",
        suspects=SUSPECTS,
        braked=["flow:Account_Rollup"],
    )
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def test_extra_calls_are_the_need_over_a_day_less_the_limit_times_the_factor() -> None:
    extra = extra_calls(12_500, 215_000, 1.5)
    # 12,500 x 24 = 300,000; 300,000 - 215,000 = 85,000; x 1.5 = 127,500 -> 128,000
    assert (extra.need, extra.extra) == (300_000, 128_000)
    assert extra.formula == (
        "(12,500 calls/hour x 24 h = 300,000 needed - limit 215,000) x safety factor 1.5 "
        "= 127,500, rounded up to 128,000"
    )
    assert extra_calls(1_000, 215_000).extra == 0  # a rate the limit covers asks for nothing


@pytest.mark.parametrize(("days", "expected"), [(7, 7), (30, 14), (14, 14), (0, 1)])
def test_the_end_date_is_never_past_two_weeks(days: int, expected: int) -> None:
    assert end_date(TODAY, days) == TODAY + timedelta(days=expected)


def test_the_salesforce_case_answers_the_articles_questions_in_order() -> None:
    text = raise_request.compose(salesforce())
    lines = text.splitlines()
    assert lines[0] == SALESFORCE_TITLE
    assert "Activations case" in text
    assert "000175738" in text
    answers = [line for line in lines if line[:2] in {f"{n}." for n in range(1, 8)}]
    assert [answer[:2] for answer in answers] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."]
    assert "System Administrator" in answers[0]
    assert "soft limit" in answers[1]
    assert answers[2] == "3. Organization ID: 00D000000000001EAA"
    assert "Salesforce production" in answers[3]
    assert "2026-11-02 12:00 UTC" in answers[3]
    assert "Nightly ETL 82% of calls (8,200)" in answers[3]  # worded as the alerts word it
    assert "scheduled_apex:Sync: 24 runs (runs, not calls)" in answers[3]
    assert "Already switched off: flow:Account_Rollup." in answers[3]
    assert answers[4] == (
        "5. Additional API calls requested: 128,000 per 24 hours on top of the limit of "
        "215,000, until 2026-11-09."
    )
    assert "safety factor 1.5 = 127,500, rounded up to 128,000" in answers[5]
    assert "holds for the 24 hours the rolling window takes to recover" in answers[5]
    assert answers[6].startswith("7. Needed until: 2026-11-09 (7 days")


def test_a_case_asked_for_longer_than_two_weeks_is_held_at_fourteen_days() -> None:
    text = raise_request.compose(salesforce(days=60))
    assert "7. Needed until: 2026-11-16 (14 days" in text
    assert "until 2026-11-16." in text


def test_what_apibrake_does_not_know_is_left_to_fill_in_never_guessed() -> None:
    text = raise_request.compose(
        salesforce(org_id=None, rate_per_hour=None, exhausted_at=None, suspects=None, braked=())
    )
    assert f"3. Organization ID: {ORG_ID_PLACEHOLDER}" in text
    assert "<when usage reached 100 %>" in text
    assert "<(calls per hour x 24 - 215,000) x 1.5: apibrake had no rate" in text
    assert "Spending the calls" not in text
    assert "Already switched off" not in text


def test_a_rate_the_limit_covers_asks_for_no_increase() -> None:
    text = raise_request.compose(salesforce(rate_per_hour=2_000))
    assert "5. Additional API calls requested: none at the measured rate" in text


def test_hubspot_gets_the_packs_facts_and_how_many_instead_of_a_case() -> None:
    facts = salesforce(platform=Platform.HUBSPOT, limit=250_000, rate_per_hour=60_000)
    text = raise_request.compose(facts)
    assert text.splitlines()[0] == HUBSPOT_TITLE
    assert "+1,000,000 calls a day" in text
    assert "at most 2 per portal" in text
    assert "Account & Billing" in text
    assert "developers.hubspot.com/changelog/increasing-our-api-limits" in text
    # (60,000 x 24 - 250,000) x 1.5 = 1,785,000: two packs
    assert "Packs needed: 2 packs." in text
    assert "Activations" not in text
    assert "Organization ID" not in text
    too_much = raise_request.compose(dataclasses.replace(facts, rate_per_hour=120_000))
    assert "more than the 2 packs HubSpot sells" in too_much


def test_the_facts_hold_no_secret_and_the_text_none_of_the_connections_secret() -> None:
    names = {field.name for field in dataclasses.fields(RaiseFacts)}
    assert not {name for name in names if any(w in name for w in ("secret", "token", "key"))}
    connection = Connection(
        connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf-prod-credentials"
    )
    alert = compose(connection, exhausted_alert(), AlertContext(org_id="00D000000000001EAA"))
    assert "apibrake/sf-prod-credentials" not in alert.body


def test_the_exhausted_alert_carries_the_case_text_and_the_sms_does_not() -> None:
    connection = Connection(
        connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf", label="Prod"
    )
    context = AlertContext(
        error="TotalRequests Limit exceeded.",
        now=STOPPED,
        allowlist=[AllowlistEntry(connection_id="sf-prod", automation="flow:Account_Rollup")],
        org_id="00D000000000001EAA",
        limit_before=215_000,
        rate_before_per_hour=12_500,
    )
    alert = compose(connection, exhausted_alert(), context)
    assert SALESFORCE_TITLE in alert.body
    assert "3. Organization ID: 00D000000000001EAA" in alert.body
    assert "128,000 per 24 hours" in alert.body
    assert "Being switched off by hand: flow:Account_Rollup." in alert.body
    assert "until 2026-11-09" in alert.body
    # after what to turn off by hand: the brake first, the raise second
    assert alert.body.index("Turn these allowlisted") < alert.body.index(SALESFORCE_TITLE)
    assert "case" not in alert.sms
    assert "increase" not in alert.sms


def test_only_the_exhausted_alert_offers_the_raise() -> None:
    from apibrake.warn.rules import usage_alerts
    from tests.unit.warn.alert_kinds import outlook

    connection = Connection(connection_id="sf-prod", platform="salesforce", secret_id="s")
    due = usage_alerts(connection, outlook(80), horizon_minutes=60)[-1]
    alert = compose(connection, due, AlertContext(forecast=outlook(80)))
    assert SALESFORCE_TITLE not in alert.body
    assert HUBSPOT_TITLE not in alert.body

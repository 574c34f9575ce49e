"""Daily usage: counting, accrual, the local-midnight reset, caching, and the two 429s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.hubspot import HubSpotSettings
from tests.sandbox.hubspot_support import RunningPortal, editable, running_portal

USAGE = "/account-info/v3/api-usage/daily/private-apps"
PRIVATE_APPS = "private-apps-api-calls-daily"


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        yield running


def _entry(hs: RunningPortal, path: str = USAGE) -> dict:
    response = hs.get(path)
    assert response.status_code == 200
    (entry,) = [e for e in response.json()["results"] if e["name"] == PRIVATE_APPS]
    return entry


def test_usage_entry_reports_calls_limit_and_the_next_local_midnight(hs: RunningPortal) -> None:
    # Given 2026-11-02 06:00 UTC, which is 01:00 EST in the portal's America/New_York
    hs.portal.add_usage(1_000)

    entry = _entry(hs)

    # The usage call itself counts.
    assert entry["currentUsage"] == 1_001
    assert entry["usageLimit"] == 250_000
    assert entry["fetchStatus"] == "SUCCESS"
    assert entry["collectedAt"] == "2026-11-02T06:00:00.000Z"
    assert entry["resetsAt"] == "2026-11-03T05:00:00Z"


def test_dated_version_segment_answers_too(hs: RunningPortal) -> None:
    assert _entry(hs, "/account-info/2026-03/api-usage/daily/private-apps")["currentUsage"] == 1


def test_every_served_call_counts_including_errors(hs: RunningPortal) -> None:
    hs.get("/automation/v4/flows/404404")
    hs.get("/no/such/endpoint")
    hs.get("/account-info/v3/details")

    assert hs.portal.usage() == (3, 250_000)


def test_rate_limit_headers_track_daily_and_burst_usage(hs: RunningPortal) -> None:
    hs.portal.add_usage(100)

    headers = hs.get("/account-info/v3/details").headers

    assert headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(250_000 - 101)
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert headers["X-HubSpot-RateLimit-Remaining"] == "189"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"


def test_enabled_workflows_custom_code_and_background_burn_calls_as_time_passes(
    hs: RunningPortal,
) -> None:
    hs.portal.add_workflow("Chatty", flow_id="1", enrolments_per_hour=300, custom_code_calls=2)
    hs.portal.add_workflow(
        "Off", flow_id="2", enabled=False, enrolments_per_hour=5_000, custom_code_calls=2
    )
    hs.portal.set_background_rate(60)

    hs.clock.advance(timedelta(hours=2))

    assert hs.portal.usage()[0] == 2 * (600 + 60)


def test_a_workflow_without_custom_code_spends_no_portal_calls(hs: RunningPortal) -> None:
    # Emails, delays and property updates run inside HubSpot: no API call is made.
    hs.portal.add_workflow("Welcome series", flow_id="1", enrolments_per_hour=10_000)

    hs.clock.advance(timedelta(hours=2))

    assert hs.portal.usage()[0] == 0


def test_a_custom_code_workflow_carries_its_custom_code_action(hs: RunningPortal) -> None:
    flow = hs.portal.add_workflow("Enrich", enrolments_per_hour=10, custom_code_calls=1)

    assert [action["type"] for action in flow["actions"]] == ["CUSTOM_CODE"]


def test_disabling_a_workflow_over_http_stops_its_burn_from_then_on(hs: RunningPortal) -> None:
    hs.portal.add_workflow("Chatty", flow_id="1", enrolments_per_hour=1_000, custom_code_calls=1)
    hs.clock.advance(timedelta(hours=1))
    body = editable(hs.get("/automation/v4/flows/1").json())
    body["isEnabled"] = False

    assert hs.put("/automation/v4/flows/1", body).status_code == 200
    hs.clock.advance(timedelta(hours=3))

    # 1,000 from the hour it ran, plus the GET and the PUT.
    assert hs.portal.usage()[0] == 1_002


def test_counter_resets_at_local_midnight_not_utc_midnight(hs: RunningPortal) -> None:
    # Given 3,600 calls an hour from 01:00 EST (06:00 UTC)
    hs.portal.set_background_rate(3_600)

    # UTC midnight (19:00 EST) passes without a reset
    hs.clock.set(datetime(2026, 11, 3, 0, 30, tzinfo=UTC))
    assert hs.portal.usage()[0] == 3_600 * 18.5

    # Local midnight is 05:00 UTC; half an hour later only that half hour counts
    hs.clock.set(datetime(2026, 11, 3, 5, 30, tzinfo=UTC))
    assert hs.portal.usage()[0] == 1_800
    assert _entry(hs)["resetsAt"] == "2026-11-04T05:00:00Z"


def test_reset_moves_with_daylight_saving_time(hs: RunningPortal) -> None:
    # New York springs forward on 2027-03-14: that midnight is 05:00 UTC, the next 04:00 UTC
    hs.portal.set_background_rate(3_600)
    hs.clock.set(datetime(2027, 3, 14, 6, 0, tzinfo=UTC))
    assert hs.portal.usage()[0] == 3_600
    assert _entry(hs)["resetsAt"] == "2027-03-15T04:00:00Z"

    hs.clock.set(datetime(2027, 3, 15, 4, 30, tzinfo=UTC))

    assert hs.portal.usage()[0] == 1_800


def test_reset_follows_the_configured_time_zone() -> None:
    with running_portal(HubSpotSettings(time_zone="Europe/Berlin")) as hs:
        # 06:00 UTC is 07:00 in Berlin; midnight there is 23:00 UTC
        hs.portal.add_usage(500)
        assert _entry(hs)["resetsAt"] == "2026-11-02T23:00:00Z"

        hs.clock.set(datetime(2026, 11, 2, 23, 0, tzinfo=UTC))

        assert hs.portal.usage()[0] == 0


def test_several_days_pass_in_one_advance(hs: RunningPortal) -> None:
    hs.portal.set_background_rate(100)
    hs.portal.add_usage(99_999)

    hs.clock.advance(timedelta(days=3))

    # 3 days from 01:00 EST lands at 01:00 EST: one hour since the last reset
    assert hs.portal.usage()[0] == 100


def test_extra_entries_come_before_the_private_apps_entry() -> None:
    with running_portal(HubSpotSettings(extra_usage_entries=True)) as hs:
        results = hs.get(USAGE).json()["results"]

        assert len(results) > 1
        assert results[0]["name"] != PRIVATE_APPS
        assert results[-1]["name"] == PRIVATE_APPS
        assert results[-1]["currentUsage"] == 1


def test_resets_at_can_be_left_out() -> None:
    with running_portal(HubSpotSettings(include_resets_at=False)) as hs:
        assert "resetsAt" not in _entry(hs)


@pytest.mark.parametrize("status", ["FAILURE", "TIMEOUT", "NOTFOUND"])
def test_fetch_status_is_configurable(status: str) -> None:
    with running_portal(HubSpotSettings(usage_fetch_status=status)) as hs:
        assert _entry(hs)["fetchStatus"] == status


def test_cached_figure_lags_until_the_cache_expires() -> None:
    with running_portal(HubSpotSettings(usage_cache_minutes=5)) as hs:
        first = _entry(hs)
        assert (first["fetchStatus"], first["currentUsage"]) == ("SUCCESS", 1)

        # Three minutes and 1,000 calls later the old figure is served
        hs.clock.advance(timedelta(minutes=3))
        hs.portal.add_usage(1_000)
        cached = _entry(hs)
        assert cached["fetchStatus"] == "CACHED"
        assert cached["currentUsage"] == 1
        assert cached["collectedAt"] == first["collectedAt"]

        # Once five minutes have passed the figure is collected afresh
        hs.clock.advance(timedelta(minutes=2))
        fresh = _entry(hs)
        assert fresh["fetchStatus"] == "SUCCESS"
        assert fresh["currentUsage"] == 1_003
        assert fresh["collectedAt"] == "2026-11-02T06:05:00.000Z"


def test_daily_limit_answers_429_daily_and_stops_counting() -> None:
    with running_portal(HubSpotSettings(daily_limit=1_000)) as hs:
        hs.portal.add_usage(999)
        assert hs.get(USAGE).status_code == 200  # the 1,000th call

        response = hs.get("/automation/v4/flows")

        assert response.status_code == 429
        assert response.json() | {"correlationId": "", "requestId": ""} == {
            "status": "error",
            "message": "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": "",
            "policyName": "DAILY",
            "requestId": "",
        }
        assert response.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        assert hs.portal.usage()[0] == 1_000


def test_daily_limit_lifts_after_local_midnight() -> None:
    with running_portal(HubSpotSettings(daily_limit=10)) as hs:
        hs.portal.add_usage(10)
        assert hs.get(USAGE).status_code == 429

        hs.clock.set(datetime(2026, 11, 3, 5, 0, tzinfo=UTC))

        assert _entry(hs)["currentUsage"] == 1


def test_burst_limit_answers_429_ten_secondly_rolling_per_token() -> None:
    with running_portal(HubSpotSettings(burst_limit=3)) as hs:
        statuses = [hs.get(USAGE).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]

        response = hs.get(USAGE)
        body = response.json()
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["errorType"] == "RATE_LIMIT"
        assert body["groupName"].startswith("publicapi:private_app-api-calls-ten-secondly:")
        assert response.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        # As recorded answers: per-second figures and a correlation id in the headers
        assert "X-HubSpot-RateLimit-Secondly" in response.headers
        assert "X-HubSpot-Correlation-Id" in response.headers
        # Refused bursts are not counted against the day
        assert hs.portal.usage()[0] == 3

        # Another app (an OAuth token) has its own window
        token = hs.refresh().json()["access_token"]
        assert hs.get(USAGE, token=token).status_code == 200


def test_flow_put_is_exempt_from_the_burst_limit() -> None:
    with running_portal(HubSpotSettings(burst_limit=2)) as hs:
        hs.portal.add_workflow("W", flow_id="7")
        body = editable(hs.get("/automation/v4/flows/7").json())
        assert hs.get("/automation/v4/flows/7").status_code == 200

        for _ in range(3):
            put = hs.put("/automation/v4/flows/7", body)
            assert put.status_code == 200
            body["revisionId"] = put.json()["revisionId"]

        assert hs.get("/automation/v4/flows/7").status_code == 429

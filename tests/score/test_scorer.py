"""The score's v2 columns from recordings built by hand: false brakes, the share of the
daily limit burned past brake_at, watch calls per day, minutes to the first alert."""

from __future__ import annotations

from dataclasses import replace

from drill.score.recorder import Recording
from drill.score.scenarios import BY_KEY
from drill.score.scorer import score
from tests.score.recordings import T0, brake, check, minutes, trace

SALESFORCE_RUNAWAY = BY_KEY["slow-creep"]  # one connection, sf-prod, brake_at 90
NO_BRAKE_DUE = BY_KEY["short-burst"]


def test_a_brake_where_none_is_due_is_a_false_brake() -> None:
    # Given usage that stays at 85 % and one brake run anyway
    recording = Recording(checks=[check(5)], brakes=[brake(5)])
    usage = trace("sf-prod", [85_000] * 10)
    # When scored as a scenario where no brake is due, and as a runaway
    burst = score(NO_BRAKE_DUE, recording, usage, {}, burn_start=None)
    runaway = score(SALESFORCE_RUNAWAY, recording, usage, {}, burn_start=T0)
    # Then only the first counts it as false
    assert burst.false_brakes == 1
    assert runaway.false_brakes == 0


def test_no_brake_where_none_is_due_is_no_false_brake() -> None:
    usage = trace("sf-prod", [72_000, 80_000, 86_000, 86_000])
    result = score(NO_BRAKE_DUE, Recording(checks=[check(1)]), usage, {}, burn_start=None)
    assert result.false_brakes == 0
    assert not result.brake_expected


def test_the_burn_past_brake_at_is_a_share_of_the_daily_limit() -> None:
    # Given usage crossing 90 % of 100,000 at minute 2 and the brake landing at minute 5
    usage = trace("sf-prod", [88_000, 89_000, 90_200, 90_600, 91_200, 91_800, 91_900])
    recording = Recording(checks=[check(5)], brakes=[brake(5)])
    # When scored
    result = score(SALESFORCE_RUNAWAY, recording, usage, {}, burn_start=T0)
    # Then 1,800 calls over the 90,000 line in 3 minutes: 1.8 % of the limit
    assert result.calls_before_brake == 1_800
    assert result.minutes_to_brake == 3
    assert result.limit_percent_before_brake == 1.8
    assert result.contained


def test_a_brake_ahead_of_the_threshold_lets_nothing_burn_past_it() -> None:
    # Given a brake that landed at 88 % and in-flight calls that still crossed 90 % later
    usage = trace("sf-prod", [87_000, 88_000, 89_500, 90_100, 90_200])
    recording = Recording(checks=[check(1)], brakes=[brake(1)])
    # When scored
    result = score(SALESFORCE_RUNAWAY, recording, usage, {}, burn_start=T0)
    # Then it is contained with nothing past brake_at
    assert result.contained
    assert result.limit_percent_before_brake == 0
    assert result.calls_before_brake == 0


def test_a_brake_after_the_first_refusal_is_not_containment() -> None:
    usage = trace("sf-prod", [89_000, 95_000, 100_000, 100_500])
    recording = Recording(checks=[check(3)], brakes=[brake(3)])
    result = score(SALESFORCE_RUNAWAY, recording, usage, {}, burn_start=T0)
    assert not result.contained
    assert result.braked_before_refusal is False
    assert result.limit_percent_before_brake == 10.5  # 100,500 - 90,000


def test_watch_calls_per_day_count_the_busiest_connection_per_simulated_day() -> None:
    # Given one hour of checks every 5 minutes: sf-prod 1 call each plus one token call,
    # hs-portal 1 call every other check
    checks = [check(m, api_calls=1, auth_calls=1 if m == 0 else 0) for m in range(0, 60, 5)]
    checks += [check(m, "hs-portal") for m in range(0, 60, 10)]
    usage = trace("sf-prod", [50_000] * 60)
    usage.samples.update(trace("hs-portal", [50_000] * 60, limit=250_000).samples)
    scenario = replace(BY_KEY["seed-rollups"], hours=1)
    # When scored
    result = score(scenario, Recording(checks=checks), usage, {}, burn_start=None)
    # Then sf-prod's 13 calls in an hour are 312 a day
    assert result.watch_calls_per_day == 312


def test_a_check_every_fifteen_minutes_spends_96_calls_a_day() -> None:
    checks = [check(m) for m in range(0, 24 * 60, 15)]
    scenario = replace(BY_KEY["calm-hourly-rollup"], hours=24)
    usage = trace("sf-prod", [60_000] * 3)
    result = score(scenario, Recording(checks=checks), usage, {}, burn_start=None)
    assert result.watch_calls_per_day == 96


def test_minutes_to_the_first_alert_count_from_the_burns_start() -> None:
    # Given a warning sent before the burn, a set-up notice and a check without alert
    # after it, and a forecast alert 12 minutes in
    checks = [
        check(5, alerts=["warn:70"]),
        check(10, alerts=["usage_gap"]),
        check(15),
        check(22, alerts=["forecast:90"]),
        check(30, alerts=["brake:90"]),
    ]
    usage = trace("sf-prod", [75_000] * 30)
    # When the burn started at minute 10
    result = score(SALESFORCE_RUNAWAY, Recording(checks=checks), usage, {}, minutes(10))
    # Then the first alert about it came 12 minutes later
    assert result.minutes_to_first_alert == 12


def test_no_burn_or_no_alert_after_it_has_no_minutes_to_alert() -> None:
    checks = [check(5, alerts=["warn:70"]), check(10)]
    usage = trace("sf-prod", [75_000] * 10)
    no_alert = score(SALESFORCE_RUNAWAY, Recording(checks=checks), usage, {}, minutes(6))
    no_burn = score(SALESFORCE_RUNAWAY, Recording(checks=checks), usage, {}, None)
    assert no_alert.minutes_to_first_alert is None
    assert no_burn.minutes_to_first_alert is None

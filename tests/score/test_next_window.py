"""Issue 23: the "next window protected" column (once an exhausted org is served again,
does usage stay under 100 %?), and how scenarios 5 and 22 count in the headline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drill.score.__main__ import passed
from drill.score.headline import Headline
from drill.score.measures import NextWindow, Trace, next_window
from drill.score.recorder import Recorded, Recording
from drill.score.scenarios import BY_KEY
from drill.score.scorer import score
from drill.score.table import markdown_table, text_table
from sandbox.clock import VirtualClock
from sandbox.scenarios import TRIGGER_SWITCH, exhausted_at_night
from sandbox.server import Sandbox
from tests.score.recordings import T0, check, minutes, trace

FULL = 100_000  # the trace's daily limit
NIGHT = BY_KEY["exhausted-at-night"]
ALREADY_OVER = BY_KEY["already-over"]
SETTING = {"switches": {TRIGGER_SWITCH: False}}


def test_an_org_served_again_and_staying_under_its_limit_has_its_next_window_protected() -> None:
    usage = [101_000, 101_000, 99_000, 95_000, 96_000]

    assert next_window(trace("sf-prod", usage)) is NextWindow.YES


def test_an_org_refused_again_after_it_was_served_has_not() -> None:
    # The connector's catch-up eats what aged out
    usage = [101_000, 99_000, 100_000, 120_000]

    assert next_window(trace("sf-prod", usage)) is NextWindow.NO


def test_an_org_never_served_again_is_still_refused_and_one_never_exhausted_is_n_a() -> None:
    assert next_window(trace("sf-prod", [101_000] * 4)) is NextWindow.STILL_REFUSED
    assert next_window(trace("sf-prod", [90_000, 99_999, 95_000])) is NextWindow.NOT_APPLICABLE


def test_the_worst_connection_counts() -> None:
    usage = trace("sf-prod", [101_000, 99_000, 98_000])
    for minute, used in enumerate([250_000, 200_000, 250_000]):
        usage.add("hs-portal", minutes(minute), used, 250_000)

    assert next_window(usage) is NextWindow.NO


def _glass_brake(at: float) -> Recorded:
    row = {"connection_id": "sf-prod", "kind": "setting", "name": TRIGGER_SWITCH}
    return Recorded(
        minutes(at), {"rows": [{**row, "status": "braked"}], "api_calls": {"sf-prod": 1}}
    )


def _release(at: float) -> Recorded:
    row = {"connection_id": "sf-prod", "kind": "setting", "name": TRIGGER_SWITCH}
    return Recorded(
        minutes(at), {"rows": [{**row, "status": "released"}], "api_calls": {"sf-prod": 2}}
    )


def _alert(subject: str) -> Recorded:
    return Recorded(
        T0, {"subject": subject, "body": "", "severity": "critical", "connection_id": "sf-prod"}
    )


def _night(usage: list[int], *, released: bool = True) -> Any:
    recording = Recording(
        checks=[check(0)],
        brakes=[_glass_brake(1)],
        releases=[_release(len(usage) - 1)] if released else [],
        received=[_alert("[apibrake] CRITICAL sf-prod: daily API limit exhausted, "
                         "break-glass brake started")],
        state_before_brake=SETTING,
    )  # fmt: skip
    return score(NIGHT, recording, trace("sf-prod", usage), SETTING, burn_start=T0)


def test_the_break_glass_night_is_unwinnable_but_its_next_window_protected() -> None:
    # Given the org refused from the start, braked through the break-glass channel a
    # minute in, served again as yesterday's calls age out, released under release_below
    result = _night([101_000, 101_000, 101_000, 92_000, 70_000, 45_000])

    # Then braked after the refusal, so not contained, and alerted clearly: an unwinnable
    # scenario, its next window protected and the switch put back exactly
    assert NIGHT.containable is False
    assert NIGHT.protects_next_window
    assert (result.contained, result.braked_before_refusal) == (False, False)
    assert result.critical_text_ok is True
    assert result.next_window_protected == "yes"
    assert result.release_exact is True
    assert passed([result])
    assert "| no (unwinnable; alerted) | no | yes |" in markdown_table([result])
    headline = Headline.of([result])
    assert (headline.contained, headline.containable) == (0, 0)
    assert (headline.unwinnable_alerted, headline.unwinnable) == (1, 1)
    assert (headline.next_window_protected, headline.served_again) == (1, 1)
    assert "next window protected after an exhaustion 1 / 1" in text_table([result])


def test_the_night_fails_the_score_when_the_org_is_refused_again() -> None:
    result = _night([101_000, 101_000, 92_000, 100_500, 95_000])

    assert result.next_window_protected == "no"
    assert result.critical_text_ok is True  # alerted clearly is not enough here
    assert not passed([result])
    headline = Headline.of([result])
    assert (headline.next_window_protected, headline.served_again) == (0, 1)


def test_the_night_fails_the_score_when_never_served_again_or_not_released() -> None:
    assert not passed([_night([101_000] * 5)])
    assert not passed([_night([101_000, 92_000, 45_000], released=False)])


def test_already_over_shows_still_refused_and_is_not_counted_as_served_again() -> None:
    # Given scenario 5's half hour: refused throughout, nothing braked (a flow only)
    recording = Recording(
        checks=[check(0)],
        received=[_alert("[apibrake] CRITICAL sf-prod: daily API limit exhausted, brake by "
                         "API impossible")],
    )  # fmt: skip
    recording.received[0].report["body"] = "Turn these allowlisted automations off by hand:"
    usage = trace("sf-prod", [101_000, 101_200, 101_300])

    result = score(ALREADY_OVER, recording, usage, {}, burn_start=T0)

    assert result.next_window_protected == "still refused"
    assert result.critical_text_ok is True
    assert passed([result])
    headline = Headline.of([result])
    assert (headline.next_window_protected, headline.served_again) == (0, 0)
    assert "| no (unwinnable; alerted) | no | still refused |" in markdown_table([result])


def _night_usage(*, switch_at_minute: int | None) -> NextWindow:
    """Scenario 22's org on its own for its seven hours (no apibrake, nothing served over
    HTTP), its kill switch set by hand at `switch_at_minute` (None: never)."""
    sandbox = Sandbox(clock=VirtualClock(start=NIGHT.start))
    exhausted_at_night(sandbox)
    usage = Trace()
    for minute in range(int(NIGHT.hours * 60)):
        if minute == switch_at_minute:
            sandbox.salesforce.switches.set_by_hand(TRIGGER_SWITCH, True)
        sandbox.advance(timedelta(minutes=1))
        used, limit = sandbox.salesforce.usage()
        usage.add("sf-prod", sandbox.clock.now(), used, limit)
    return next_window(usage)


def test_without_a_brake_the_night_org_stays_refused_into_its_next_window() -> None:
    # The premise of scenario 22: the connector's catch-up eats what ages out
    assert _night_usage(switch_at_minute=None) is NextWindow.NO


def test_the_kill_switch_set_a_minute_in_protects_the_night_org_s_next_window() -> None:
    assert _night_usage(switch_at_minute=1) is NextWindow.YES

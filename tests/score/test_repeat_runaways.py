"""Issue 25: the score counts repeat runaways (what a release put back, braked again) and
the drivers the release holds, and judges a release by what it put back even when a later
brake stopped the same automations again."""

from __future__ import annotations

from typing import Any

from drill.score.hooks import held_release_command
from drill.score.recorder import Recorded, Recording
from drill.score.scenarios import BY_KEY
from drill.score.scorer import repeat_runaways, score
from drill.score.table import markdown_table
from tests.score.recordings import T0, check, minutes, trace

SCENARIO = BY_KEY["repeat-runaway-released"]
DRIVER, COLLATERAL = "Opportunity_Score_Recalc", "Lead_Assignment_Process"
BEFORE = {"flows": {DRIVER: 2, COLLATERAL: 2}}


def _run(at: float, *rows: tuple[str, str], state: dict[str, Any] | None = None) -> Recorded:
    return Recorded(
        minutes(at),
        {
            "rows": [
                {"connection_id": "sf-prod", "kind": "flow", "name": name, "status": status}
                for name, status in rows
            ],
            "api_calls": {"sf-prod": 2},
        },
        state_after=state,
    )


def _braked(at: float) -> Recorded:
    return _run(at, (DRIVER, "braked"), (COLLATERAL, "braked"))


def _recording(*releases: Recorded, brakes: tuple[Recorded, ...] = ()) -> Recording:
    return Recording(
        checks=[check(1)],
        brakes=[_braked(1), *brakes],
        releases=list(releases),
        state_before_brake=BEFORE,
    )


HELD = _run(60, (DRIVER, "held"), (COLLATERAL, "released"))


def test_a_driver_the_release_holds_is_no_repeat_and_is_counted_held() -> None:
    recording = _recording(HELD)
    end = {"flows": {DRIVER: None, COLLATERAL: 2}}

    result = score(SCENARIO, recording, trace("sf-prod", [50_000] * 5), end, burn_start=T0)

    assert (result.repeat_runaways, result.held) == (0, 1)
    assert result.release_exact is True  # the held driver is left out on purpose
    assert "| 0 (1 held) |" in markdown_table([result])


def test_a_driver_released_unchanged_and_braked_again_is_one_repeat_runaway() -> None:
    # Given the held driver released by hand (both flows back as before the brake), then a
    # second brake stopping it and the collateral again
    included = _run(61, (DRIVER, "released"), state=BEFORE)
    recording = _recording(HELD, included, brakes=(_braked(200),))
    end = {"flows": {DRIVER: None, COLLATERAL: None}}

    result = score(SCENARIO, recording, trace("sf-prod", [50_000] * 5), end, burn_start=T0)

    # Then one repeat (one connection's brake run), nothing held at the end, and the release
    # judged by what it put back, not by the second brake's end state
    assert (result.repeat_runaways, result.held) == (1, 0)
    assert result.release_exact is True
    assert "| 1 |" in markdown_table([result])


def test_a_brake_of_what_no_release_put_back_is_no_repeat() -> None:
    recording = _recording(_run(60, (DRIVER, "held"), (COLLATERAL, "held")))
    recording.brakes.append(_run(120, ("Other_Flow", "braked")))
    assert repeat_runaways(recording) == 0


def test_the_owner_runs_the_command_the_held_row_prints() -> None:
    error = (
        "held: it drove the burn (flow activated) and is unchanged since the brake; fix it, "
        "then release it: `apibrake release --incident 'inc 1' --include flow:Opp_Score`"
    )
    assert held_release_command(error) == ("inc 1", "flow:Opp_Score")


def test_the_repeat_scenario_asks_its_critical_alert_to_say_so() -> None:
    assert "unchanged, burning again" in SCENARIO.critical_says
    assert not BY_KEY["repeat-runaway-held"].critical_says

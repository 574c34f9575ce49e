"""The attribution column: does the first critical alert's check name the scenario's true
culprit and the change that started it; unknown (never a guess) without suspects."""

from __future__ import annotations

from dataclasses import replace

from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    SetupChange,
    Suspects,
)
from drill.score.attribution import CriticalRow, Culprit, Named, attribution, judge
from drill.score.recorder import Recording
from drill.score.scenarios import BY_KEY
from drill.score.scorer import score
from tests.score.recordings import T0, check, trace

MASS_UPDATE = Culprit("sf-prod", ("flow:Mass_Update_Accounts",), change="flow:Mass_Update_Accounts")
ETL = Culprit("sf-prod", ("ETL",))


def _flow(name: str, calls: int) -> Consumer:
    return Consumer(
        name=f"flow {name}",
        kind=ConsumerKind.AUTOMATION,
        calls=calls,
        automation=f"flow:{name}",
        allowlisted=True,
    )


def _suspects(*consumers: Consumer, changes: tuple[SetupChange, ...] = ()) -> Suspects:
    return Suspects(
        connection_id="sf-prod",
        source=AttributionSource.EVENT_LOG_OBJECT,
        consumers=list(consumers),
        changes=list(changes),
    )


def _row(suspects: Suspects | None) -> CriticalRow:
    return CriticalRow(suspects)


def _judge(culprit: Culprit, row: CriticalRow | None) -> Named:
    return judge(culprit, row, gathering=True)


ACTIVATED = SetupChange(
    at=T0,
    who="admin@example.com",
    action="activatedinteractiondefversion",
    display='Activated flow version #1 "Mass Update Accounts"',
)


def test_the_culprit_first_and_the_change_that_started_it_is_yes() -> None:
    suspects = _suspects(
        _flow("Mass_Update_Accounts", 40_000), _flow("Other", 10), changes=(ACTIVATED,)
    )
    assert _judge(MASS_UPDATE, _row(suspects)) is Named.YES


def test_the_culprit_first_without_its_change_is_top_only() -> None:
    suspects = _suspects(_flow("Mass_Update_Accounts", 40_000))
    assert _judge(MASS_UPDATE, _row(suspects)) is Named.TOP_ONLY


def test_another_consumer_first_is_no() -> None:
    suspects = _suspects(
        _flow("Account_Rollup", 5_000), _flow("Mass_Update_Accounts", 4_000), changes=(ACTIVATED,)
    )
    assert _judge(MASS_UPDATE, _row(suspects)) is Named.NO
    assert _judge(MASS_UPDATE, _row(_suspects())) is Named.NO  # suspects, but nobody named


def test_an_external_app_is_named_by_its_name() -> None:
    app = Consumer(name="Nightly ETL (connected app)", kind=ConsumerKind.CONNECTED_APP, calls=9)
    assert _judge(ETL, _row(_suspects(app))) is Named.YES


def test_without_attribution_in_the_monitor_it_is_unknown_never_a_guess() -> None:
    # Given a monitor that does not gather suspects: its critical row carries none
    assert judge(ETL, _row(None), gathering=False) is Named.UNKNOWN
    assert judge(replace(ETL, knowable=False), _row(None), gathering=False) is (
        Named.NOT_APPLICABLE
    )


def test_an_alert_that_named_nobody_is_no() -> None:
    assert _judge(ETL, _row(None)) is Named.NO


def test_attribution_counts_as_running_once_any_check_carried_suspects() -> None:
    named = _suspects(_flow("Mass_Update_Accounts", 40_000))
    warned = [check(5, alerts=["warn:80"], suspects=named), check(10, alerts=["limit:100"])]
    assert attribution(warned, [MASS_UPDATE]).named is Named.NO
    bare = [check(5, alerts=["warn:80"]), check(10, alerts=["limit:100"])]
    assert attribution(bare, [MASS_UPDATE]).named is Named.UNKNOWN
    assert attribution(bare, [MASS_UPDATE], in_layer=True).named is Named.NO


def test_a_connection_without_a_critical_alert_is_not_judged() -> None:
    # Given a workflow braked on Salesforce through `drives`, with no critical alert there
    assert _judge(ETL, None) is Named.NOT_APPLICABLE


def test_what_no_source_can_know_is_not_held_against_attribution() -> None:
    hubspot = Culprit("hs-portal", ("workflow:2001",), knowable=False)
    workflow = Consumer(
        name="workflow 2001", kind=ConsumerKind.AUTOMATION, calls=5, automation="workflow:2001"
    )
    app_type = Consumer(name="legacy private apps", kind=ConsumerKind.APP_TYPE, calls=9)
    assert _judge(hubspot, _row(_suspects(app_type))) is Named.NOT_APPLICABLE
    assert _judge(hubspot, _row(_suspects(workflow))) is Named.YES


def test_the_critical_alerts_check_row_is_the_one_judged() -> None:
    # Given a warning whose row names someone else, then the critical alert's row naming
    # the culprit (rows as the monitor's JSON report carries them)
    named = _suspects(_flow("Mass_Update_Accounts", 40_000), changes=(ACTIVATED,))
    other = _suspects(_flow("Account_Rollup", 5_000))
    checks = [
        check(5, alerts=["warn:80"], suspects=other),
        check(10, alerts=["brake:90"], suspects=named),
        check(15, alerts=["limit:100"], suspects=other),
    ]
    # Then the verdict is the critical alert's, and who it named is kept
    verdict = attribution(checks, [MASS_UPDATE])
    assert verdict.named is Named.YES
    assert verdict.tops == ("sf-prod: flow Mass_Update_Accounts",)


def test_a_critical_row_without_suspects_reads_unknown_without_attribution() -> None:
    # Given a monitor without attribution: a critical alert, no suspects
    checks = [check(5, alerts=["warn:70"]), check(10, alerts=["brake:90"])]
    scenario = BY_KEY["late-detection"]
    # When scored
    result = score(scenario, Recording(checks=checks), trace("sf-prod", [60_000]), {}, None)
    # Then the column reads "-"
    assert result.attribution == "-"
    assert result.attribution_named == []


def test_the_score_names_the_culprit_from_the_critical_rows_suspects() -> None:
    named = _suspects(_flow("Mass_Update_Accounts", 40_000), changes=(ACTIVATED,))
    checks = [check(60, alerts=["limit:100"], suspects=named)]
    scenario = BY_KEY["late-detection"]
    result = score(scenario, Recording(checks=checks), trace("sf-prod", [60_000]), {}, None)
    assert result.attribution == "yes"
    assert result.attribution_named == ["sf-prod: flow Mass_Update_Accounts"]


def test_the_worst_connection_decides_and_unknowable_ones_do_not_count() -> None:
    hubspot = Culprit("hs-portal", ("workflow:2001",), knowable=False)
    named = _suspects(_flow("Mass_Update_Accounts", 40_000), changes=(ACTIVATED,))
    checks = [
        check(10, alerts=["brake:90"], suspects=named),
        check(10, "hs-portal", alerts=["brake:90"]),
    ]
    assert attribution(checks, [MASS_UPDATE, hubspot]).named is Named.YES
    assert attribution(checks, [MASS_UPDATE, ETL]).named is Named.NO
    assert attribution([], []).named is Named.NOT_APPLICABLE

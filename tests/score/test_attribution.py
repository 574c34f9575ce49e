"""The attribution columns (issue 20): is the first critical alert's top consumer the
scenario's true spender ("consumer named"), and is the automation that drives it among
the alert's drivers ("driver named")? Unknown, never a guess, without suspects."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    Suspects,
)
from drill.score.attribution import (
    CriticalRow,
    Culprit,
    Judged,
    Named,
    attribution,
    judge,
)
from drill.score.recorder import Recording
from drill.score.scenarios import BY_KEY, SCORE_SCENARIOS
from drill.score.scorer import score
from tests.score.recordings import check, trace

# The late-detection case: a mass update changes accounts the connector syncs.
MASS_UPDATE = Culprit(
    "sf-prod", ("HubSpot",), drivers=("flow:Mass_Update_Accounts",), records=("Account",)
)
ETL = Culprit("sf-prod", ("ETL", "etl@acme.example"))

CONNECTOR = Consumer(
    name="HubSpot (connected app)",
    kind=ConsumerKind.CONNECTED_APP,
    calls=40_000,
    share=0.9,
    protected="the HubSpot sync itself: keep it running; stop what feeds it",
    connected_app="HubSpot",
    user="hubspot.connector@acme.example",
)
ETL_APP = Consumer(name="Nightly ETL (connected app)", kind=ConsumerKind.CONNECTED_APP, calls=9)
ACTIVATION = Driver(
    name="flow Mass_Update_Accounts",
    kind=DriverKind.ACTIVATION,
    at=datetime(2026, 11, 2, 9, 16, tzinfo=UTC),
    who="admin@acme.example",
    automation="flow:Mass_Update_Accounts",
)
ACCOUNTS = Driver(
    name="Account records",
    kind=DriverKind.RECORD_CHANGES,
    count=12_000,
    unit="records changed",
    who="Automated Process",
)
LEADS = ACCOUNTS.model_copy(update={"name": "Lead records"})


def _suspects(*consumers: Consumer, drivers: tuple[Driver, ...] = ()) -> Suspects:
    return Suspects(
        connection_id="sf-prod",
        source=AttributionSource.DAILY_FILE,
        consumers=list(consumers),
        drivers=list(drivers),
    )


def _judge(culprit: Culprit, suspects: Suspects | None) -> Judged:
    return judge(culprit, CriticalRow(suspects), gathering=True)


def test_the_connector_first_and_the_flow_among_the_drivers_is_the_whole_chain() -> None:
    suspects = _suspects(CONNECTOR, ETL_APP, drivers=(ACCOUNTS, ACTIVATION))
    assert _judge(MASS_UPDATE, suspects) == Judged(Named.YES, Named.YES)


def test_the_connector_is_named_by_its_app_or_its_user() -> None:
    by_user = Consumer(
        name="hubspot.connector@acme.example (user)",
        kind=ConsumerKind.USER,
        calls=5,
        user="hubspot.connector@acme.example",
    )
    culprit = replace(MASS_UPDATE, consumer=("hubspot.connector@acme.example",))
    assert _judge(culprit, _suspects(by_user)).consumer is Named.YES
    assert _judge(MASS_UPDATE, _suspects(CONNECTOR)).consumer is Named.YES


def test_the_flow_named_as_the_consumer_is_a_wrong_consumer() -> None:
    # The old story: the flow as the spender. Flows spend no API calls.
    flow = Consumer(
        name="flow Mass_Update_Accounts",
        kind=ConsumerKind.AUTOMATION,
        calls=40_000,
        automation="flow:Mass_Update_Accounts",
    )
    assert _judge(MASS_UPDATE, _suspects(flow, CONNECTOR)) == Judged(Named.NO, Named.NO)


def test_the_connector_second_is_no() -> None:
    assert _judge(MASS_UPDATE, _suspects(ETL_APP, CONNECTOR)).consumer is Named.NO
    assert _judge(MASS_UPDATE, _suspects()).consumer is Named.NO  # suspects, nobody named


def test_only_the_objects_records_are_records_only_and_other_objects_are_no() -> None:
    assert _judge(MASS_UPDATE, _suspects(CONNECTOR, drivers=(ACCOUNTS,))).driver is (
        Named.RECORDS_ONLY
    )
    assert _judge(MASS_UPDATE, _suspects(CONNECTOR, drivers=(LEADS,))).driver is Named.NO


def test_a_record_changes_driver_never_names_an_automation_by_its_spelling() -> None:
    culprit = replace(MASS_UPDATE, drivers=("flow:Account",), records=())
    assert _judge(culprit, _suspects(CONNECTOR, drivers=(ACCOUNTS,))).driver is Named.NO


def test_a_scenario_without_a_driver_reads_n_a() -> None:
    # An external ETL calls on its own: nothing drives it
    assert _judge(ETL, _suspects(ETL_APP)) == Judged(Named.YES, Named.NOT_APPLICABLE)
    assert _judge(ETL, None) == Judged(Named.NO, Named.NOT_APPLICABLE)


def test_without_attribution_in_the_monitor_it_is_unknown_never_a_guess() -> None:
    row = CriticalRow(None)
    assert judge(MASS_UPDATE, row, gathering=False) == Judged(Named.UNKNOWN, Named.UNKNOWN)
    unknowable = replace(MASS_UPDATE, knowable=False, drivers_knowable=False)
    assert judge(unknowable, row, gathering=False) == Judged(
        Named.NOT_APPLICABLE, Named.NOT_APPLICABLE
    )


def test_a_connection_without_a_critical_alert_is_not_judged() -> None:
    assert judge(MASS_UPDATE, None, gathering=True) == Judged(
        Named.NOT_APPLICABLE, Named.NOT_APPLICABLE
    )


def test_what_no_source_can_know_is_not_held_against_attribution() -> None:
    hubspot = Culprit(
        "hs-portal",
        ("private app",),
        drivers=("workflow:2001",),
        knowable=False,
        drivers_knowable=False,
    )
    service_keys = Consumer(name="service keys", kind=ConsumerKind.APP_TYPE, calls=9)
    private_apps = Consumer(name="legacy private apps", kind=ConsumerKind.APP_TYPE, calls=9)
    workflow = Driver(name="workflow 2001", kind=DriverKind.ACTIVATION, automation="workflow:2001")
    assert _judge(hubspot, _suspects(service_keys)) == Judged(
        Named.NOT_APPLICABLE, Named.NOT_APPLICABLE
    )
    assert _judge(hubspot, _suspects(private_apps, drivers=(workflow,))) == Judged(
        Named.YES, Named.YES
    )


def test_attribution_counts_as_running_once_any_check_carried_suspects() -> None:
    named = _suspects(CONNECTOR)
    warned = [check(5, alerts=["warn:80"], suspects=named), check(10, alerts=["limit:100"])]
    assert attribution(warned, [MASS_UPDATE]).consumer is Named.NO
    bare = [check(5, alerts=["warn:80"]), check(10, alerts=["limit:100"])]
    assert attribution(bare, [MASS_UPDATE]).consumer is Named.UNKNOWN
    assert attribution(bare, [MASS_UPDATE], in_layer=True).driver is Named.NO


def test_the_critical_alerts_check_row_is_the_one_judged() -> None:
    named = _suspects(CONNECTOR, drivers=(ACTIVATION,))
    other = _suspects(ETL_APP)
    checks = [
        check(5, alerts=["warn:80"], suspects=other),
        check(10, alerts=["brake:90"], suspects=named),
        check(15, alerts=["limit:100"], suspects=other),
    ]
    verdict = attribution(checks, [MASS_UPDATE])
    assert (verdict.consumer, verdict.driver) == (Named.YES, Named.YES)
    assert verdict.tops == ("sf-prod: HubSpot (connected app)",)
    assert verdict.drivers == ("sf-prod: flow Mass_Update_Accounts",)


def test_the_worst_connection_decides_each_column() -> None:
    hubspot = Culprit("hs-portal", ("private app",), drivers=("workflow:2001",), knowable=False)
    checks = [
        check(10, alerts=["brake:90"], suspects=_suspects(CONNECTOR, drivers=(ACCOUNTS,))),
        check(10, "hs-portal", alerts=["brake:90"]),
    ]
    verdict = attribution(checks, [MASS_UPDATE, hubspot])
    assert (verdict.consumer, verdict.driver) == (Named.YES, Named.NO)
    assert attribution([], []).consumer is Named.NOT_APPLICABLE


def test_the_score_carries_both_columns_from_the_critical_rows_suspects() -> None:
    named = _suspects(CONNECTOR, drivers=(ACTIVATION, ACCOUNTS))
    checks = [check(60, alerts=["limit:100"], suspects=named)]
    scenario = BY_KEY["late-detection"]
    result = score(scenario, Recording(checks=checks), trace("sf-prod", [60_000]), {}, None)
    assert (result.consumer_named, result.driver_named) == ("yes", "yes")
    assert result.attribution_named == ["sf-prod: HubSpot (connected app)"]
    assert result.drivers_named == ["sf-prod: flow Mass_Update_Accounts, Account records"]
    bare = [check(5, alerts=["warn:70"]), check(10, alerts=["brake:90"])]
    result = score(scenario, Recording(checks=bare), trace("sf-prod", [60_000]), {}, None)
    assert (result.consumer_named, result.driver_named) == ("-", "-")


def test_no_scenario_names_an_in_org_automation_as_a_spender() -> None:
    # Flows, triggers and workflows spend no calls of their own: they are drivers only
    for scenario in SCORE_SCENARIOS:
        for culprit in scenario.culprits:
            assert not any(
                name.startswith(("flow:", "workflow:", "job:")) for name in culprit.consumer
            ), scenario.key
    seed = BY_KEY["seed-rollups"].culprits[0]
    assert seed.consumer == ("HubSpot",)
    assert "flow:Account_Rollup_Hourly" in seed.drivers
    assert BY_KEY["noisy-neighbour"].culprits[0].drivers == ()

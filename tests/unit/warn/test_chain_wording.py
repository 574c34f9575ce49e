"""The alert tells the chain: the consumer that spends the calls (share, the data's window)
and the drivers behind it, three of each at most and "+N more", runs never passed off as
calls, and no empty source."""

from __future__ import annotations

from datetime import UTC, datetime

from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    SetupChange,
    Suspects,
)
from apibrake.models.connection import Connection
from apibrake.models.protected import KEEP_RUNNING
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.publisher import Severity
from apibrake.warn.rules import AlertKind, DueAlert
from apibrake.warn.wording import one_line, resolved, section, sms_part, story
from tests.unit.warn.alert_kinds import outlook

NOW = datetime(2026, 12, 7, 11, 5, tzinfo=UTC)
CONNECTOR = Consumer(
    name="HubSpot connector (hubspot@acme.com)", kind=ConsumerKind.CONNECTED_APP,
    calls=8_200, share=0.82, connected_app="HubSpot", user="hubspot@acme.com",
)  # fmt: skip
ACTIVATED_AT = datetime(2026, 12, 7, 9, 58, tzinfo=UTC)


def _etl(n: int) -> Consumer:
    return Consumer(name=f"ETL {n}", kind=ConsumerKind.USER, calls=100 - n, share=0.01)


def _activation(name: str) -> Driver:
    return Driver(
        name=f"flow {name}", kind=DriverKind.ACTIVATION, at=ACTIVATED_AT,
        who="admin@acme.com", automation=f"flow:{name}",
    )  # fmt: skip


CHAIN = Suspects(
    connection_id="sf-prod",
    source=AttributionSource.HOURLY_FILE,
    data_as_of=datetime(2026, 12, 7, 10, 59, tzinfo=UTC),
    window_start=datetime(2026, 12, 7, 10, tzinfo=UTC),
    window_end=datetime(2026, 12, 7, 11, tzinfo=UTC),
    consumers=[CONNECTOR, *(_etl(n) for n in range(4))],
    drivers=[
        _activation("Rollup_A"),
        Driver(name="Account records", kind=DriverKind.RECORD_CHANGES, count=4_812,
               unit="records changed", who="autoproc@acme.com"),
        Driver(name="scheduled Apex job Nightly", kind=DriverKind.SCHEDULED_RUNS, count=24,
               unit="runs", automation="scheduled_apex:Nightly"),
        _activation("Rollup_B"),
    ],
    changes=[
        SetupChange(
            at=ACTIVATED_AT, who="admin@acme.com", action="activatedinteractiondefversion",
            display='Activated flow version #3 "A" for flow with Unique Name "Rollup_A"',
            automation="flow:Rollup_A",
        ),
        SetupChange(
            at=ACTIVATED_AT, who="admin@acme.com", action="changedApexClass",
            display="Changed Nightly Apex Class code",
        ),
    ],
)  # fmt: skip


def _resolved() -> Suspects:
    return resolved(CHAIN, {"flow:Rollup_A"})


def test_the_section_tells_consumer_then_drivers_with_what_the_brake_does() -> None:
    text = section(_resolved(), now=NOW, salesforce=True)

    assert text.splitlines() == [
        "Suspects (from the ApiTotalUsage hourly file, 6 min old):",
        "  Consumer: HubSpot connector (hubspot@acme.com) 82% of calls (8,200), 2026-12-07 "
        f"10:00 to 11:00 UTC - {KEEP_RUNNING}",
        "  Also: ETL 0 1% of calls (100) - not on the allowlist: needs a person",
        "  Also: ETL 1 1% of calls (99) - not on the allowlist: needs a person",
        "  +2 more",
        "  Drivers (what changed the records it reads):",
        "    1. flow Rollup_A activated 2026-12-07 09:58 UTC by admin@acme.com - on the "
        "allowlist: the brake stops it",
        "    2. Account records: 4,812 changed by autoproc@acme.com",
        "    3. scheduled Apex job Nightly: 24 runs (runs, not calls) - not on the allowlist: "
        "needs a person",
        "    +1 more",
        "Recent setup changes (SetupAuditTrail):",
        "  - 2026-12-07 09:58 UTC admin@acme.com: Changed Nightly Apex Class code",
    ]


def test_chat_and_sms_carry_the_chain_short() -> None:
    told = _resolved()

    line = one_line(told, now=NOW, salesforce=True)

    assert line.startswith(f"Consumer: HubSpot connector (hubspot@acme.com) 82% - {KEEP_RUNNING}")
    assert "Drivers: flow Rollup_A activated 2026-12-07 09:58 UTC by admin@acme.com" in line
    assert "+1 more" in line
    # The top consumer keeps running: the SMS names what feeds it instead
    assert sms_part(told) == " Driver: flow Rollup_A."


def test_drivers_without_a_ranking_never_name_an_empty_source() -> None:
    drivers_only = CHAIN.model_copy(
        update={"consumers": [], "source": AttributionSource.NONE, "notes": ["a note"]}
    )

    text = section(drivers_only, now=NOW, salesforce=True)
    summary = story(drivers_only, None, now=NOW)

    assert text.startswith("Suspects: no source ranked the consumers yet.\n  Drivers")
    assert "the none" not in text + summary
    assert summary.startswith("Before the brake:\n  Drivers")


def test_a_ranking_without_a_source_says_none_either() -> None:
    unsourced = CHAIN.model_copy(update={"source": AttributionSource.NONE, "drivers": []})

    assert section(unsourced, now=NOW, salesforce=True).startswith("Suspects:\n  Consumer: ")


def test_an_alert_never_tells_a_person_to_stop_a_protected_consumer() -> None:
    connection = Connection(
        connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf-prod",
        protected_consumers=["hubspot@acme.com"],
    )  # fmt: skip
    due = DueAlert("o", AlertKind.OUTSIDE_REACH, Severity.CRITICAL, 100)
    context = AlertContext(forecast=outlook(95), now=NOW, rate_now_per_hour=900.0, suspects=CHAIN)

    alert = compose(connection, due, context)

    assert "Find the consumer and stop it" not in alert.body
    assert (
        f"The top consumer is HubSpot connector (hubspot@acme.com), {KEEP_RUNNING}: switch off "
        "the automations that change the records it syncs (flow Rollup_A, Account records, "
        "scheduled Apex job Nightly)." in " ".join(alert.body.split())
    )
    assert alert.next_steps[0].startswith("The top consumer is HubSpot connector")
    assert "Stop what feeds the sync." in alert.sms

"""The drill tells who burned the calls: the terminal prints the suspects under the critical
alert, and summary.md holds them with the brake and release reports' before and after."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    Suspects,
)
from drill.engine import DrillResult, Event, SmsTexts, suspects_section
from drill.printer import LivePrinter, print_critical_alert
from drill.report import first_critical, summary_markdown

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SECTION = (
    "Suspects (from the ApiTotalUsageEventLog, 5 min old):\n"
    "  1. flow Account_Rollup: 900 calls (75%) - on the allowlist: the brake stops it"
)
BODY = f"sf-prod (Salesforce, connection sf-prod)\n\nUsage reached 90%.\n\n{SECTION}\n\nBrake now"


def _suspects(name: str, share: float, automation: str | None = None) -> dict[str, object]:
    return Suspects(
        connection_id="sf-prod",
        source=AttributionSource.EVENT_LOG_OBJECT,
        data_as_of=T0,
        consumers=[
            Consumer(
                name=name,
                kind=ConsumerKind.AUTOMATION if automation else ConsumerKind.CONNECTED_APP,
                calls=900,
                share=share,
                automation=automation,
                allowlisted=bool(automation),
            )
        ],
    ).model_dump(mode="json")


def _result() -> DrillResult:
    critical = Event(T0, "alert", "sf-prod", "[apibrake] CRITICAL", "critical", SECTION)
    return DrillResult(
        "runaway-rollups",
        events=[
            Event(T0, "alert", "sf-prod", "[apibrake] WARNING", "warning", SECTION),
            critical,
            Event(T0, "brake", "sf-prod", "1 braked"),
            Event(T0 + timedelta(hours=6), "release", "sf-prod", "1 released"),
        ],
        brake_reports=[
            {
                "rows": [],
                "suspects_before": {
                    "sf-prod": _suspects("flow Account_Rollup", 0.75, "flow:Account_Rollup")
                },
            }
        ],
        release_reports=[
            {"rows": [], "suspects_after": {"sf-prod": _suspects("Nightly ETL", 0.9)}}
        ],
    )


def test_the_suspects_paragraph_is_taken_from_the_alert_body() -> None:
    assert suspects_section(BODY) == SECTION
    assert suspects_section("no suspects here\n\nat all") == ""


def test_the_terminal_prints_the_suspects_under_the_critical_alert_only() -> None:
    out = io.StringIO()
    printer = LivePrinter(out)

    for event in _result().events[:2]:
        printer(event)

    lines = out.getvalue().splitlines()
    assert "WARNING" in lines[0]
    assert "CRITICAL" in lines[1]
    assert [line.removeprefix(" " * 19) for line in lines[2:]] == SECTION.splitlines()


def test_summary_md_tells_who_burned_the_calls_before_and_after() -> None:
    summary = summary_markdown(_result(), {})

    story = summary.split("## Who burned the calls", 1)[1].split("## Automations", 1)[0]
    assert "sf-prod: its first critical alert (Mon 2026-11-02 12:00) said:" in story
    assert SECTION in story
    assert (
        "Before the brake (from the ApiTotalUsageEventLog, 0 min old at the brake):\n"
        "  Consumer: flow Account_Rollup 75% of calls (900) - on the allowlist" in story
    )
    assert (
        "Since the brake (from the ApiTotalUsageEventLog, 6 h old):\n"
        "  Consumer: Nightly ETL 90% of calls (900) - not on the allowlist: needs a person" in story
    )


def test_a_drill_nobody_could_attribute_says_so() -> None:
    summary = summary_markdown(DrillResult("quiet"), {})

    assert "No attribution source named a suspect in this drill." in summary


def test_each_connection_s_first_critical_alert_is_shown() -> None:
    result = _result()
    hubspot = "Suspects: HubSpot shows calls per app only in its own UI"
    result.events.insert(
        0, Event(T0, "alert", "hs-portal", "[apibrake] CRITICAL", "critical", hubspot)
    )

    summary = summary_markdown(result, {})

    assert "hs-portal: its first critical alert (Mon 2026-11-02 12:00) said:" in summary
    assert "sf-prod: its first critical alert (Mon 2026-11-02 12:00) said:" in summary
    assert hubspot in summary
    assert SECTION in summary


def _chain() -> dict[str, object]:
    connector = Consumer(
        name="HubSpot (connected app)",
        kind=ConsumerKind.CONNECTED_APP,
        calls=900,
        share=0.8,
        protected="the HubSpot sync itself: keep it running; stop what feeds it",
    )
    drivers = [
        Driver(
            name=f"flow {name}_Rollup_Hourly",
            kind=DriverKind.SCHEDULED_RUNS,
            count=3,
            unit="runs",
            automation=f"flow:{name}_Rollup_Hourly",
            allowlisted=True,
        )
        for name in ("Account", "Opportunity", "Contact", "Case")
    ]
    suspects = Suspects(
        connection_id="sf-prod",
        source=AttributionSource.DAILY_FILE,
        consumers=[connector],
        drivers=drivers,
    )
    return suspects.model_dump(mode="json")


def _delivered() -> DrillResult:
    result = _result()
    result.events[1] = replace(
        result.events[1], email=BODY, sms="apibrake CRITICAL sf-prod 90%", chain=_chain()
    )
    return result


def test_summary_md_tells_the_chain_consumer_then_drivers() -> None:
    summary = summary_markdown(_delivered(), {})

    chain = summary.split("## The chain", 1)[1].split("## The critical alert", 1)[0]
    assert (
        "- Consumer (spends the calls): HubSpot (connected app) 80% - the HubSpot sync "
        "itself: keep it running; stop what feeds it" in chain
    )
    assert "- → Drivers (what changed the records it reads):" in chain
    assert "  - flow Account_Rollup_Hourly: 3 runs (runs, not calls) - on the allowlist" in chain
    assert "  - +1 more" in chain
    assert chain.index("Consumer") < chain.index("Drivers")


def test_the_critical_alert_is_shown_whole_as_email_and_as_sms() -> None:
    result = _delivered()
    summary = summary_markdown(result, {})
    out = io.StringIO()

    print_critical_alert(result, out)

    delivered = summary.split("## The critical alert as delivered", 1)[1]
    assert BODY in delivered
    assert "SMS (29 characters):\n\n```\napibrake CRITICAL sf-prod 90%\n```" in delivered
    printed = out.getvalue()
    assert "As email: [apibrake] CRITICAL" in printed
    assert "  Brake now" in printed
    assert "As SMS (29 characters):\n  apibrake CRITICAL sf-prod 90%" in printed
    assert "The chain (consumer → drivers):" in printed


def test_a_drill_without_suspects_has_no_chain_and_no_delivered_alert() -> None:
    summary = summary_markdown(_result(), {})

    assert "## The chain" not in summary
    assert "## The critical alert as delivered" not in summary


def test_the_sms_is_read_from_the_publish_request() -> None:
    texts = SmsTexts()
    message = json.dumps({"default": "body", "email": "body", "sms": "short"})

    texts._record({"Subject": "S", "Message": message, "MessageStructure": "json"})
    texts._record({"Subject": "T", "Message": "plain"})

    assert texts.take("T") == ""
    assert texts.take("S") == "short"
    assert texts.take("S") == ""


def test_the_critical_alert_shown_is_the_one_that_tells_a_chain() -> None:
    result = _delivered()
    hubspot = Suspects(connection_id="hs-portal", notes=["per-app counts are in HubSpot's UI"])
    result.events.insert(
        0,
        Event(
            T0,
            "alert",
            "hs-portal",
            "[apibrake] CRITICAL hs-portal",
            "critical",
            chain=hubspot.model_dump(mode="json"),
        ),
    )

    shown = first_critical(result)

    assert shown is not None
    assert shown.connection_id == "sf-prod"

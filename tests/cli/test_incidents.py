"""status, brake (dry run and real), release --force and incidents, with their exit codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apibrake.incident.journal import JournalStore
from apibrake.incident.records import SHADOW_STATUS, BrakeState, IncidentMeta, JournalRow
from apibrake.models.allowlist import AutomationKind
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    Suspects,
)
from apibrake.models.connection import Platform
from apibrake.store.state import StateStore
from apibrake.warn.rules import AUTO_BRAKE_KEY, MONITOR_REQUESTER
from apibrake_cli.local import local_target
from apibrake_cli.output import Output
from localaws import LocalAws
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json


def _braked_flow(connected: Run, aws: LocalAws) -> tuple[str, JournalStore, IncidentMeta]:
    """sf-local's Account_Revenue_Rollup braked by hand: its incident, the journal, the
    incident's header."""
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    braked = connected("brake", "--connection", "sf-local", "--reason", "92%", "--yes", "--json")
    incident_id = as_json(braked)["incidents"]["sf-local"]
    journal = JournalStore(aws.client("dynamodb"), aws.table_name("StateTable"))
    meta = journal.meta(incident_id)
    assert meta is not None
    return incident_id, journal, meta


def test_status_before_and_after_a_check(connected: Run) -> None:
    before = connected("status", "--json")
    after = connected("status", "--check", "--json")
    table = connected("status")
    assert before.exit_code == 0, before.output
    assert {row["used"] for row in as_json(before)["connections"]} == {None}
    rows = {row["connection_id"]: row for row in as_json(after)["connections"]}
    assert rows["sf-local"]["limit"] == 100_000
    assert rows["hs-local"]["percent"] is not None
    assert "sf-local" in table.stdout
    assert "never checked" not in table.stdout


def test_dry_run_changes_nothing(connected: Run, sandbox: Sandbox) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    result = connected(
        "brake", "--connection", "sf-local", "--dry-run", "--reason", "rehearsal", "--json"
    )
    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert report["dry_run"] is True
    assert [row["status"] for row in report["rows"]] == ["would_brake"]
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3


def test_a_dry_run_counts_what_the_real_brake_spends_and_hints_stay_local(
    connected: Run,
) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    dry = connected("brake", "--connection", "sf-local", "--dry-run", "--reason", "rehearsal")
    as_data = as_json(
        connected("brake", "--connection", "sf-local", "--dry-run", "--reason", "r", "--json")
    )
    real = connected("brake", "--connection", "sf-local", "--reason", "usage at 92%", "--yes")

    reads, changes = as_data["api_calls"]["sf-local"], as_data["planned_calls"]["sf-local"]
    caption = f"sf-local {reads + changes} ({reads} to read, as this dry run did, {changes} to"
    assert caption in " ".join(dry.stdout.split())
    assert "Release later with: apibrake release --incident " in real.stdout
    assert real.stdout.rstrip().endswith("--local")


def test_brake_then_release_and_the_journal(connected: Run, sandbox: Sandbox) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    connected("allowlist", "add", "hs-local", "workflow:101")
    # When braked (confirmed by --yes), then released by force
    braked = connected("brake", "--reason", "usage at 92%", "--yes", "--json")
    assert braked.exit_code == 0, braked.output
    incidents = as_json(braked)["incidents"]
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version is None
    assert sandbox.hubspot.flows["101"]["isEnabled"] is False
    history = connected("incidents", "--json")
    journal = connected("incidents", incidents["sf-local"])
    released = connected("release", "--incident", incidents["sf-local"], "--force")
    # Then the org is back as recorded and the history shows both incidents
    assert released.exit_code == 0, released.output
    assert "released" in released.stdout
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3
    assert {i["connection_id"] for i in as_json(history)["incidents"]} == {"sf-local", "hs-local"}
    assert "flow:Account_Revenue_Rollup" in journal.stdout
    assert "braked" in journal.stdout


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{row['kind']}:{row['name']}": row for row in report["rows"]}


def _lines(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def test_a_dry_run_shows_the_change_it_would_make_and_the_workflow_by_name(
    connected: Run,
) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    connected("allowlist", "add", "hs-local", "workflow:101")
    data = connected("brake", "--dry-run", "--reason", "rehearsal", "--json")
    table = connected("brake", "--dry-run", "--reason", "rehearsal")
    rows = _rows(as_json(data))
    flow, workflow = rows["flow:Account_Revenue_Rollup"], rows["workflow:101"]
    # The JSON keeps the key and the platform's fields, the name beside them
    assert (flow["before"]["active_version"], flow["after"]["active_version"]) == (3, None)
    assert (workflow["before"]["isEnabled"], workflow["after"]["isEnabled"]) == (True, False)
    assert (workflow["name"], workflow["label"]) == ("101", "Lifecycle stage sync")
    # The table says it in words, the workflow by its name
    (flow_line,) = _lines(table.stdout, "flow:Account_Revenue_Rollup")
    assert "active_version=3" in flow_line
    assert "no active version" in flow_line
    assert "active_version=None" not in table.stdout
    assert "workflow:101 (Lifecycle stage sync)" in " ".join(table.stdout.split())


def test_a_release_dry_run_shows_what_the_brake_left_and_what_comes_back(
    connected: Run, sandbox: Sandbox
) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    braked = connected("brake", "--connection", "sf-local", "--reason", "usage", "--yes", "--json")
    incident_id = as_json(braked)["incidents"]["sf-local"]
    args = ("release", "--incident", incident_id, "--force", "--dry-run")
    data = connected(*args, "--json")
    table = connected(*args)
    (row,) = as_json(data)["rows"]
    assert row["status"] == "would_release"
    assert (row["before"]["active_version"], row["after"]["active_version"]) == (None, 3)
    (line,) = _lines(table.stdout, "flow:Account_Revenue_Rollup")
    assert line.index("no active version") < line.index("active_version=3")
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version is None


def test_the_journal_says_no_active_version_and_names_the_workflow(connected: Run) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    connected("allowlist", "add", "hs-local", "workflow:101")
    incidents = as_json(connected("brake", "--reason", "usage", "--yes", "--json"))["incidents"]
    flow_journal = connected("incidents", incidents["sf-local"])
    workflow_journal = connected("incidents", incidents["hs-local"])
    as_data = as_json(connected("incidents", incidents["hs-local"], "--json"))
    (flow_line,) = _lines(flow_journal.stdout, "flow:Account_Revenue_Rollup")
    assert "no active version" in flow_line
    assert "active_version=None" not in flow_journal.stdout
    assert "workflow:101 (Lifecycle stage sync)" in " ".join(workflow_journal.stdout.split())
    assert [row["name"] for row in as_data["rows"]] == ["101"]  # the key stays the id


def test_brake_asks_first(connected: Run, sandbox: Sandbox) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    result = connected("brake", "--connection", "sf-local", "--reason", "x", input="n\n")
    assert result.exit_code == 1
    assert "up to 1 allowlisted automations" in result.stderr
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3


def test_unknown_incident_and_bad_options(connected: Run) -> None:
    missing = connected("release", "--incident", "nope", "--json")
    no_reason = connected("brake", "--dry-run")
    forced = connected("release", "--force")
    assert missing.exit_code == 3
    assert as_json(missing)["exit_code"] == 3
    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.stderr
    assert forced.exit_code == 2


def test_nothing_to_do_is_said_not_shown_as_an_empty_table(connected: Run) -> None:
    dry = connected("brake", "--connection", "sf-local", "--dry-run", "--reason", "rehearsal")
    release = connected("release")
    # Nothing allowlisted: no brake happened, and the exit code says so
    assert dry.exit_code == 3, dry.output
    assert "Brake: nothing allowlisted at tier <= 1" in dry.stdout
    assert release.exit_code == 0, release.output
    assert "Release: no incident is open" in release.stdout


def test_a_second_release_says_it_was_already_released_and_spent_nothing(
    connected: Run,
) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    braked = connected("brake", "--connection", "sf-local", "--reason", "92%", "--yes", "--json")
    incident_id = as_json(braked)["incidents"]["sf-local"]
    first = connected("release", "--incident", incident_id, "--force")
    second = connected("release", "--incident", incident_id, "--force")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    said = " ".join(second.stdout.split())
    assert f"Incident {incident_id} was already released at " in said
    assert "UTC: nothing to do, no API calls spent" in said
    assert "API calls spent: sf-local" not in said


def test_a_brake_another_run_holds_says_which_incident_and_exits_busy(
    connected: Run, aws: LocalAws
) -> None:
    # Given an open incident whose lease another invocation holds
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup", "--tier", "1")
    braked = connected("brake", "--connection", "sf-local", "--reason", "92%", "--yes", "--json")
    incident_id = as_json(braked)["incidents"]["sf-local"]
    journal = JournalStore(aws.client("dynamodb"), aws.table_name("StateTable"))
    now = datetime.now(UTC)
    assert journal.acquire_lease(
        incident_id, "another-invocation", now=now, until=now + timedelta(minutes=15)
    )
    # When a person brakes again (another tier: not the same request replayed)
    again = connected(
        "brake", "--connection", "sf-local", "--tier", "2", "--reason", "again", "--yes"
    )
    # Then it says which incident is held and until when, and exits 6, not 0
    assert again.exit_code == 6, again.output
    said = " ".join(again.stdout.split())
    assert f"Incident {incident_id} of sf-local (opened " in said
    assert "is being worked on by another run: nothing done here" in said
    assert "its lease lets another resume it from " in said
    assert "incident None" not in said


def test_the_journal_says_who_burned_the_calls(
    connected: Run, sandbox: Sandbox, aws: LocalAws
) -> None:
    incident_id, journal, meta = _braked_flow(connected, aws)
    journal.save_meta(  # as the monitor's brake event would have recorded it
        meta.model_copy(
            update={
                "suspects_before": Suspects(
                    connection_id="sf-local",
                    source=AttributionSource.SETUP_AUDIT_TRAIL,
                    consumers=[
                        Consumer(
                            name="Nightly ETL",
                            kind=ConsumerKind.CONNECTED_APP,
                            calls=900,
                            share=0.9,
                            allowlisted=False,
                        )
                    ],
                )
            }
        )
    )

    shown = connected("incidents", incident_id)

    assert shown.exit_code == 0, shown.output
    assert "Before the brake (from the SetupAuditTrail" in shown.stdout
    assert "Consumer: Nightly ETL 90% of calls (900) - not on the allowlist: needs a person" in (
        shown.stdout
    )


def test_shadow_incidents_are_marked_show_their_plan_and_are_never_released(
    connected: Run, sandbox: Sandbox, aws: LocalAws
) -> None:
    # Given a shadow incident, as the responder journals one in shadow mode
    journal = JournalStore(aws.client("dynamodb"), aws.table_name("StateTable"))
    shadow_id = "sf-local-shadow-20261102T060000Z"
    journal.record_shadow(
        IncidentMeta(
            incident_id=shadow_id,
            connection_id="sf-local",
            platform=Platform.SALESFORCE,
            opened_at=sandbox.clock.now(),
            reason="shadow mode: usage 91.0% reached brake_at 90%: would have braked",
            requested_by="usage_monitor",
            status=SHADOW_STATUS,
            api_calls={"plan": 3},
        ),
        [
            JournalRow(
                connection_id="sf-local",
                platform=Platform.SALESFORCE,
                kind=AutomationKind.FLOW,
                name="Account_Revenue_Rollup",
                before={"active_version": 3},
                brake=BrakeState.WOULD_BRAKE,
            )
        ],
    )
    # When a person lists the incidents, looks at the shadow one and tries to release it
    listed = as_json(connected("incidents", "--json"))["incidents"]
    table = connected("incidents")
    shown = connected("incidents", shadow_id)
    released = connected("release", "--incident", shadow_id)
    # Then it is marked, its plan is shown, and release refuses it: nothing was changed
    assert [(i["incident_id"], i["shadow"], i["status"]) for i in listed] == [
        (shadow_id, True, "shadow")
    ]
    assert "shadow (plan only)" in table.stdout
    assert shown.exit_code == 0, shown.output
    assert "Shadow incident sf-local-shadow-20261102T060000Z on sf-local" in shown.stdout
    assert "Plan (nothing was changed)" in shown.stdout
    assert "would_brake" in shown.stdout
    assert "active_version=3" in shown.stdout
    assert released.exit_code == 2
    assert "nothing to release" in released.stderr
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3


def test_incidents_raise_request_prints_the_case_for_that_incident(
    connected: Run, sandbox: Sandbox
) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    connected("allowlist", "add", "hs-local", "workflow:101")
    connected("status", "--check")  # a stored reading: the limit the request counts from
    braked = connected("brake", "--reason", "usage at 92%", "--yes", "--json")
    incidents = as_json(braked)["incidents"]
    # When the raise is asked for each incident
    salesforce = connected("incidents", incidents["sf-local"], "--raise-request")
    hubspot = connected("incidents", incidents["hs-local"], "--raise-request")
    as_data = connected("incidents", incidents["sf-local"], "--raise-request", "--json")
    # Then Salesforce's is the case's answers, from the journal: what was braked, the limit
    assert salesforce.exit_code == 0, salesforce.output
    text = salesforce.stdout
    assert text.startswith("Ask Salesforce for a temporary increase (paste into a case):")
    assert "3. Organization ID: " in text
    assert "Already switched off: flow:Account_Revenue_Rollup." in text
    assert "(calls per hour x 24 - 100,000) x 1.5" in text  # the stored limit, no rate yet
    assert "7. Needed until: " in text
    assert as_json(as_data)["raise_request"] == text.rstrip("\n")
    # and HubSpot's the pack, never a case
    assert hubspot.exit_code == 0, hubspot.output
    assert hubspot.stdout.startswith("Raise HubSpot's daily limit (API limit increase pack):")
    assert "Organization ID" not in hubspot.stdout
    # and no credential of either connection is in them
    secrets = (
        sandbox.salesforce.settings.client_secret,
        sandbox.hubspot.settings.token,
    )
    assert not [s for s in secrets if s in text or s in hubspot.stdout]


def test_a_raise_request_needs_an_incident(connected: Run) -> None:
    missing = connected("incidents", "nope", "--raise-request")
    without = connected("incidents", "--raise-request")
    assert missing.exit_code == 3
    assert "no incident 'nope'" in missing.stderr
    assert without.exit_code == 2
    assert "--raise-request needs an incident" in without.stderr


def test_an_automatic_brake_finding_the_incident_held_gives_its_claim_back(
    connected: Run, aws: LocalAws
) -> None:
    """A rehearsal (or a person) holds the incident when the monitor's brake arrives: the
    monitor confirmed its once-a-window claim on invoking, so the responder gives it back
    and the next tick brakes."""
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    braked = connected("brake", "--connection", "sf-local", "--reason", "92%", "--yes", "--json")
    incident_id = as_json(braked)["incidents"]["sf-local"]
    journal = JournalStore(aws.client("dynamodb"), aws.table_name("StateTable"))
    state = StateStore(
        aws.client("dynamodb"), aws.table_name("StateTable"), reading_ttl=timedelta(hours=48)
    )
    now = datetime.now(UTC)
    assert journal.acquire_lease(
        incident_id, "a-rehearsal", now=now, until=now + timedelta(minutes=15)
    )
    assert state.claim_alert(
        "sf-local", AUTO_BRAKE_KEY, now=now, window_ends=now + timedelta(hours=20)
    )
    state.confirm_alert_claim("sf-local", AUTO_BRAKE_KEY)

    with local_target(Output(json_mode=True)) as stack:
        report = stack.invoke(
            "brake",
            {"action": "brake", "connection_id": "sf-local", "tier": 2, "reason": "auto",
             "requested_by": MONITOR_REQUESTER},
        )  # fmt: skip

    assert [e["code"] for e in report["errors"]] == ["busy"]
    assert AUTO_BRAKE_KEY not in state.live_alert_claims("sf-local", now=datetime.now(UTC))


def test_a_held_driver_needs_include_and_force_alone_says_so(
    connected: Run, sandbox: Sandbox, aws: LocalAws
) -> None:
    incident_id, journal, meta = _braked_flow(connected, aws)
    driver = Driver(
        name="flow Account_Revenue_Rollup",
        kind=DriverKind.SCHEDULED_RUNS,
        count=24,
        unit="runs",
        automation="flow:Account_Revenue_Rollup",
    )
    journal.save_meta(  # as the monitor's brake event would have recorded it
        meta.model_copy(
            update={"suspects_before": Suspects(connection_id="sf-local", drivers=[driver])}
        )
    )

    forced = connected("release", "--incident", incident_id, "--force")
    included = connected(
        "release", "--incident", incident_id, "--include", "flow:Account_Revenue_Rollup"
    )

    assert forced.exit_code == 0, forced.output
    assert "held" in forced.stdout
    assert "--force does not release held automations" in " ".join(forced.stdout.split())
    assert included.exit_code == 0, included.output
    assert "released" in included.stdout
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3
    assert connected("release", "--include", "flow:X").exit_code == 2  # needs --incident

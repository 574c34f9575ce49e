"""The runbook's local walk-through over the wire: `status` says how old each connection's
data is (nothing checks a local stack unless asked), and the `incident` scenario answers
the commands the `local up` banner lists with a warning, ranked consumers and a brake."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.store.state import StateStore
from apibrake_cli.local import local_state, scenario_sandbox, write_state
from apibrake_cli.localcmd import _next_commands
from apibrake_cli.main import app
from localaws import LocalAws
from sandbox.salesforce.connector import HUBSPOT_USER_ID
from sandbox.scenarios import INCIDENT_FLOW, INCIDENT_RUNNING_FOR, incident
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json


def _documents(text: str) -> list[Any]:
    """The JSON documents `status --watch --json` prints one after another."""
    decoder, documents = json.JSONDecoder(), []
    while text.strip():
        document, end = decoder.raw_decode(text.lstrip())
        documents.append(document)
        text = text.lstrip()[end:]
    return documents


def _reading_taken(aws: LocalAws, connection_id: str, ago: timedelta) -> None:
    state = StateStore(
        aws.client("dynamodb"), aws.table_name("StateTable"), reading_ttl=timedelta(days=2)
    )
    state.put_reading(
        connection_id,
        UsageReading(
            used=40_000,
            limit=100_000,
            taken_at=datetime.now(UTC) - ago,
            source=ReadingSource.LIMITS_ENDPOINT,
        ),
    )


def test_status_says_how_old_each_connections_data_is(connected: Run, aws: LocalAws) -> None:
    _reading_taken(aws, "sf-local", timedelta(minutes=3))

    table = connected("status")
    rows = {
        row["connection_id"]: row for row in as_json(connected("status", "--json"))["connections"]
    }

    assert table.exit_code == 0, table.output
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if "-local" in line}
    assert "checked 3 min ago" in lines["sf-local"]
    assert "never checked" in lines["hs-local"]
    assert "--check checks now, one call each" in " ".join(table.stdout.split())
    assert 180 <= rows["sf-local"]["checked_seconds_ago"] < 240
    assert rows["hs-local"]["checked_seconds_ago"] is None


def test_watch_with_check_refreshes_from_a_fresh_check_each_time(connected: Run) -> None:
    result = connected("status", "--watch", "1", "--count", "2", "--check", "--json")

    assert result.exit_code == 0, result.output
    first, second = _documents(result.stdout)
    for document in (first, second):
        assert all(row["checked_seconds_ago"] < 5 for row in document["connections"])
    checked = [{row["last_check"] for row in doc["connections"]} for doc in (first, second)]
    assert max(checked[0]) < min(checked[1])  # a check each refresh, not the first re-read


def test_local_up_builds_the_incident_in_the_past_and_serves_it_on_the_wall_clock() -> None:
    sandbox = scenario_sandbox("incident")  # what `local up --scenario incident` serves
    served_at = datetime.now(UTC)

    assert abs(sandbox.clock.now() - served_at) < timedelta(seconds=5)
    used, limit = sandbox.salesforce.usage()
    assert 77 <= used / limit * 100 < 78
    [activation] = [
        row for row in sandbox.salesforce.records.setup_audit if INCIDENT_FLOW in row.display
    ]
    assert served_at - activation.created_at >= INCIDENT_RUNNING_FOR  # the runaway's start
    later = sandbox.clock.now()
    time.sleep(0.05)
    assert sandbox.clock.now() > later  # live: the walk-through's minutes are real ones


@pytest.fixture
def walkthrough(
    aws: LocalAws, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Run:
    """The CLI against the `incident` scenario built as `local up` builds it: its history
    ending now, as the commands read the wall clock (this sandbox's clock stays there)."""
    sandbox.clock.set(datetime.now(UTC) - INCIDENT_RUNNING_FOR)
    incident(sandbox)
    monkeypatch.chdir(tmp_path)
    write_state(local_state(aws, sandbox))

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(app, ["--local", *args], catch_exceptions=False)

    return invoke


def test_the_banner_commands_show_a_warning_ranked_consumers_and_a_brake(walkthrough: Run) -> None:
    for line in _next_commands("incident")[:4]:  # the connections and the allowlist
        words = line.split("#")[0].split()[1:]
        added = walkthrough(*(word for word in words if word != "--local"))
        assert added.exit_code == 0, added.output

    status = as_json(walkthrough("status", "--check", "--json"))
    rows = {row["connection_id"]: row for row in status["connections"]}
    consumers = walkthrough("consumers", "sf-local", "--json")
    braked = walkthrough(
        "brake", "--connection", "sf-local", "--reason", "runaway", "--yes", "--json"
    )

    assert rows["sf-local"]["percent"] >= 77
    assert rows["hs-local"]["percent"] >= 75
    assert rows["sf-local"]["last_alert"] == rows["hs-local"]["last_alert"] == "warn:70"
    # Ranked from ApiTotalUsageEventLog: the connector first, driven by the runaway flow
    answer = as_json(consumers)
    assert answer["source"] == "ApiTotalUsageEventLog"
    top = answer["consumers"][0]
    assert HUBSPOT_USER_ID.startswith(top["user"])
    assert top["share"] > 0.5
    assert answer["drivers"][0]["automation"] == f"flow:{INCIDENT_FLOW}"
    assert answer["drivers"][0]["allowlisted"] is True
    assert braked.exit_code == 0, braked.output
    assert [row["status"] for row in as_json(braked)["rows"]] == ["braked"]

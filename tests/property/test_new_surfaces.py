"""The input surfaces added since the first property tests: HubSpot's token_type and
api_versions, Salesforce's api_version, the allowlist's options (allow_inexact_restore,
drives), and what leaves apibrake for other systems (the chat relay's notification and
the EventBridge event), for any alert content however odd."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apibrake.models.alert import Alert, Severity
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.store.items import to_item
from apibrake.warn import chat
from apibrake.warn.events import EventDetail, alert_event
from drill.stack import LocalStack
from tests.property.strategies import BAD_INPUT, ON_THE_STACK, names_a_field, near
from tests.property.test_secrets_and_responses import CANARY, SECRET_VALUES, _connect_error
from tests.property.test_stored_items import _empty

VERSIONS = st.sampled_from(["2026-03", "2026-09", "2026-09-beta", "2027-03-beta", "v3", "v4", ""])
HUBSPOT_SECRETS = near(
    {
        "auth": st.sampled_from(["token", "oauth_refresh"]),
        "base_url": st.sampled_from(["http://127.0.0.1:9", "https://api.hubapi.com"]),
        "access_token": SECRET_VALUES,
        "client_id": SECRET_VALUES,
        "client_secret": SECRET_VALUES,
        "refresh_token": SECRET_VALUES,
        "token_type": st.sampled_from(["private_app", "service_key", "Service_Key", ""])
        | SECRET_VALUES,
        "api_versions": near({"oauth": VERSIONS, "usage": VERSIONS, "flows": VERSIONS})
        | SECRET_VALUES,
    }
)
SALESFORCE_SECRETS = near(
    {
        "auth": st.just("client_credentials"),
        "instance_url": st.just("http://127.0.0.1:9"),
        "client_id": SECRET_VALUES,
        "client_secret": SECRET_VALUES,
        "api_version": st.sampled_from(["62.0", "65.0", "v62", "62", "1000.0", ""]) | SECRET_VALUES,
    }
)
HUBSPOT_FIELDS = {
    "(secret)", "auth", "base_url", "access_token", "client_id", "client_secret",
    "refresh_token", "token_type", "api_versions",
}  # fmt: skip
SALESFORCE_FIELDS = {
    "(secret)", "auth", "instance_url", "login_url", "client_id", "client_secret", "api_version",
    "username", "private_key",
}  # fmt: skip


def _named_without_values(error: Any, known: set[str]) -> None:
    assert error.field.split(".")[0] in known, error
    for text in (str(error), repr(error), error.problem, error.field):
        assert CANARY not in text, text


# connect() builds an HTTP client per example: fewer examples keep the file in seconds.
CONNECTS = settings(BAD_INPUT, max_examples=15)


@CONNECTS
@given(secret=HUBSPOT_SECRETS)
def test_hubspot_token_type_and_api_versions_are_named_never_quoted(secret: Any) -> None:
    connection = Connection(connection_id="c1", platform="hubspot", secret_id="apibrake/c1")
    error = _connect_error(connection, secret)
    if error is not None:
        _named_without_values(error, HUBSPOT_FIELDS)


@CONNECTS
@given(secret=SALESFORCE_SECRETS)
def test_salesforce_api_version_is_named_never_quoted(secret: Any) -> None:
    connection = Connection(connection_id="c1", platform="salesforce", secret_id="apibrake/c1")
    error = _connect_error(connection, secret)
    if error is not None:
        _named_without_values(error, SALESFORCE_FIELDS)


OPTIONS = near(
    {
        "allow_inexact_restore": st.booleans() | st.sampled_from(["yes", "true", 2]),
        "allow_managed": st.booleans(),
        "drives": st.lists(st.sampled_from(["hs-main", "sf-prod", "", "x" * 200]), max_size=3)
        | st.text(max_size=10),
        "tier": st.integers(min_value=0, max_value=10),
    }
)
ENTRY_KNOWN = set(AllowlistEntry.model_fields) | {"(item)"}


@ON_THE_STACK
@given(options=st.lists(OPTIONS, min_size=1, max_size=3))
def test_allowlist_options_junk_is_named_and_other_entries_kept(
    stack: LocalStack, options: list[dict[str, Any]]
) -> None:
    good = "flow:Account_Rollup_Hourly"
    _empty(stack, "AllowlistTable")
    stack.allow("sf-prod", good)
    junk = {f"flow:Junk_{n}": fields for n, fields in enumerate(options)}
    for automation, fields in junk.items():
        item = {**fields, "connection_id": "sf-prod", "automation": automation}
        stack.aws.client("dynamodb").put_item(
            TableName=stack.aws.table_name("AllowlistTable"), Item=to_item(item)
        )

    entries, invalid = stack.allowlist.for_connection("sf-prod")

    kept = {entry.automation for entry in entries}
    named = {entry.automation: entry for entry in invalid}
    assert good in kept
    assert kept | set(named) == {good, *junk}
    for automation, entry in named.items():
        assert entry.error
        assert names_a_field(entry.field, junk[automation], ENTRY_KNOWN), entry


TEXT = st.text(max_size=400) | st.text(alphabet="*_`~<>&|#:\n ", max_size=50)
ALERTS = st.builds(
    Alert,
    subject=TEXT,
    body=TEXT,
    sms=TEXT,
    severity=st.sampled_from(list(Severity)),
    connection_id=st.text(min_size=1, max_size=128),
    platform=st.sampled_from(["salesforce", "hubspot", ""]),
    kind=st.sampled_from(["threshold", "brake", "needs_human", "release"]) | st.text(max_size=30),
    usage_line=TEXT,
    forecast_line=TEXT,
    next_steps=st.lists(st.text(max_size=3000), max_size=8).map(tuple),
    suspects=TEXT | st.text(min_size=3000, max_size=5000),
    incident_id=st.text(max_size=60),
    dry_run=st.booleans(),
    percent=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    used=st.none() | st.integers(min_value=0, max_value=10**12),
    limit=st.none() | st.integers(min_value=0, max_value=10**12),
)
EVENT_TYPE = re.compile(r"^apibrake-[A-Za-z0-9-]*$")
PUT_EVENTS_ENTRY_MAX_BYTES = 256 * 1024  # EventBridge's PutEvents size limit


@BAD_INPUT
@given(alert=ALERTS)
def test_any_alert_is_a_chat_notification_the_relay_accepts(alert: Alert) -> None:
    message = chat.chat_notification(alert)

    json.dumps(message)
    assert message["version"] == "1.0"
    assert message["source"] == "custom"
    content, metadata = message["content"], message["metadata"]
    assert content["textType"] == "client-markdown"
    assert len(content["title"]) <= chat.TITLE_MAX_CHARS
    assert len(content["description"]) <= chat.DESCRIPTION_MAX_CHARS
    assert len(content["keywords"]) <= chat.KEYWORDS_MAX
    assert all(len(word) <= chat.KEYWORD_MAX_CHARS for word in content["keywords"])
    steps = content.get("nextSteps", [])
    assert len(steps) <= chat.NEXT_STEPS_MAX
    assert all(len(step) <= chat.NEXT_STEP_MAX_CHARS for step in steps)
    assert len(metadata["summary"]) <= chat.SUMMARY_MAX_CHARS
    assert EVENT_TYPE.match(metadata["eventType"]), metadata["eventType"]


@BAD_INPUT
@given(alert=ALERTS)
def test_any_alert_is_an_event_that_round_trips(alert: Alert) -> None:
    detail_type, detail = alert_event(alert)

    text = detail.model_dump_json()
    assert EventDetail.model_validate_json(text) == detail
    assert detail.connection_id == alert.connection_id
    assert detail.severity is alert.severity
    assert detail_type.value.startswith("apibrake ")
    assert len(text.encode()) < PUT_EVENTS_ENTRY_MAX_BYTES

"""`protected_consumers`: the consumers apibrake never freezes, blocks or suggests stopping
(the HubSpot connector's integration user first of all)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from apibrake.incident.adapters import ADAPTERS
from apibrake.incident.adapters.base import Observed
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Connection
from apibrake.models.protected import KEEP_OTHER_RUNNING, KEEP_RUNNING, ProtectedConsumers
from apibrake.models.validation import describe
from apibrake.platforms.salesforce.connector import (
    CONNECTOR_LOOKUP_CALLS,
    connector_user_ids,
    hubspot_connector_users,
)

CONNECTOR_USER = "hubspot@acme.com"


def _connection(*protected: str) -> Connection:
    return Connection(
        connection_id="sf", platform="salesforce", secret_id="s",
        protected_consumers=list(protected),
    )  # fmt: skip


def test_the_field_keeps_names_once_whatever_their_case() -> None:
    connection = _connection(CONNECTOR_USER, "HubSpot@Acme.com ", "Nightly ETL")
    assert connection.protected_consumers == (CONNECTOR_USER, "Nightly ETL")


@pytest.mark.parametrize("bad", [["a,b"], [""], ["x" * 300], [3], 7])
def test_a_bad_name_is_refused_naming_the_field_in_plain_words(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Connection.model_validate(
            {"connection_id": "sf", "platform": "salesforce", "secret_id": "s",
             "protected_consumers": bad}
        )  # fmt: skip
    field, message = describe(caught.value)
    assert field == "protected_consumers"
    assert "Value error" not in message
    assert "username" in message


def test_a_user_entry_naming_a_protected_user_is_refused_with_the_reason() -> None:
    protected = _connection(CONNECTOR_USER).protected
    refusal = protected.refusal("user:HUBSPOT@acme.com")
    assert refusal is not None
    assert refusal.startswith("protected_consumers: ")
    assert KEEP_RUNNING in refusal


def test_any_kind_naming_a_listed_consumer_is_refused_but_a_feeding_flow_is_not() -> None:
    protected = _connection("Nightly ETL").protected
    refusal = protected.refusal("scheduled_apex:Nightly ETL")
    assert refusal is not None
    assert KEEP_OTHER_RUNNING in refusal
    # A flow named after HubSpot feeds the sync: it is what the brake should stop.
    assert protected.refusal("flow:HubSpot_Contact_Rollup") is None
    assert protected.refusal("user:etl@acme.com") is None


def test_a_user_named_like_the_connector_is_protected_before_it_is_listed() -> None:
    assert ProtectedConsumers().refusal(f"user:{CONNECTOR_USER}") is not None


def test_user_ids_match_in_15_or_18_characters() -> None:
    protected = ProtectedConsumers(("005000000000001AAA",))
    assert protected.listed("005000000000001") == "005000000000001AAA"
    assert protected.listed("005000000000002") is None


def test_the_user_adapter_never_freezes_a_protected_user_whatever_the_entry_named() -> None:
    adapter = ADAPTERS[AutomationKind.USER]
    protected = _connection(CONNECTOR_USER).protected
    # The entry named the user by Id; the org's answer carries the username.
    seen = Observed({"user_id": "005000000000009AAA", "username": CONNECTOR_USER, "frozen": False})
    reason = adapter.protected_reason(seen, protected)
    assert reason is not None
    assert "protected_consumers" in reason
    assert KEEP_RUNNING in reason
    other = Observed({"user_id": "005000000000008AAA", "username": "etl@acme.com"})
    assert adapter.protected_reason(other, protected) is None
    # Automations feed consumers: no other kind is ever one.
    assert ADAPTERS[AutomationKind.FLOW].protected_reason(seen, protected) is None


def test_the_connector_user_is_the_one_logging_in_through_hubspot() -> None:
    logins = [
        {"UserId": "005000000000001AAA", "Application": "HubSpot Integration"},
        {"UserId": "005000000000002AAA", "Application": "Nightly ETL"},
        {"UserId": "005000000000001AAA", "Application": "HubSpot Integration"},
        {"UserId": None, "Application": "HubSpot"},
    ]
    assert connector_user_ids(logins) == ["005000000000001"]


def test_the_connector_lookup_names_the_users_in_two_queries() -> None:
    class Org:
        def __init__(self) -> None:
            self.asked: list[str] = []

        async def query(self, soql: str) -> list[dict[str, object]]:
            self.asked.append(soql)
            if "FROM LoginHistory" in soql:
                return [{"UserId": "005000000000001AAA", "Application": "HubSpot"}]
            return [{"Id": "005000000000001AAA", "Username": "hubspot@acme.com"}]

    org = Org()
    assert asyncio.run(hubspot_connector_users(org)) == ["hubspot@acme.com"]
    assert len(org.asked) == CONNECTOR_LOOKUP_CALLS
    assert "WHERE Id IN ('005000000000001')" in org.asked[1]

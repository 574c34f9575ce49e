"""Injected faults answer as HubSpot would, and leave the portal's state alone."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.faults import Fault, FaultKind
from tests.sandbox.hubspot_support import RunningPortal, editable, running_portal

USAGE = "/account-info/v3/api-usage/daily/private-apps"


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        running.portal.add_workflow("W", flow_id="101")
        yield running


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (500, "INTERNAL_ERROR"),
        (502, "INTERNAL_ERROR"),
        (503, "INTERNAL_ERROR"),
        (404, "OBJECT_NOT_FOUND"),
    ],
)
def test_status_fault_answers_with_a_hubspot_error_body(
    hs: RunningPortal, status: int, category: str
) -> None:
    hs.server.faults.add(Fault(FaultKind.STATUS, path="/flows", status=status))

    response = hs.get("/automation/v4/flows/101")

    assert response.status_code == status
    body = response.json()
    assert (body["status"], body["category"]) == ("error", category)
    assert body["correlationId"]
    # One shot: the next call is answered normally, and the faulted one was not counted
    assert hs.get("/automation/v4/flows/101").status_code == 200
    assert hs.portal.usage()[0] == 1


def test_status_403_fault_names_the_missing_scopes(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.STATUS, status=403))

    body = hs.get("/automation/v4/flows").json()

    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["automation"]


def test_burst_limit_fault(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.BURST_LIMIT))

    response = hs.get(USAGE)

    assert response.status_code == 429
    assert response.json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_daily_limit_fault(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.DAILY_LIMIT, method="PUT"))

    response = hs.put("/automation/v4/flows/101", {})

    assert response.status_code == 429
    assert response.json()["policyName"] == "DAILY"
    assert response.json()["message"] == "You have reached your daily limit."


def test_expired_token_fault(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.EXPIRED_TOKEN))

    response = hs.get(USAGE)

    assert response.status_code == 401
    assert response.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_concurrent_limit_fault_is_not_a_hubspot_thing(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.CONCURRENT_LIMIT))

    assert hs.get(USAGE).status_code == 200


def test_transport_faults_reach_the_client(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.HTML_ERROR, status=502))
    html = hs.get(USAGE)
    assert (html.status_code, html.headers["Content-Type"]) == (502, "text/html")

    hs.server.faults.add(Fault(FaultKind.MALFORMED_JSON))
    with pytest.raises(ValueError, match="Expecting"):
        hs.get(USAGE).json()

    hs.server.faults.add(Fault(FaultKind.RESET))
    with pytest.raises(httpx.TransportError):
        hs.get(USAGE)


def test_truncated_body_still_applies_the_request(hs: RunningPortal) -> None:
    hs.server.faults.add(Fault(FaultKind.TRUNCATED_BODY, method="PUT"))
    body = editable(hs.portal.workflow("101"))
    body["isEnabled"] = False

    with pytest.raises(httpx.TransportError):
        hs.put("/automation/v4/flows/101", body)

    # The brake must re-read: the change landed although the answer was lost
    assert hs.portal.workflow("101")["isEnabled"] is False

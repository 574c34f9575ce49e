"""Injected faults acted out by the Salesforce server, as a client over HTTP sees them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.faults import Fault, FaultKind
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import API, OrgClient

LIMITS = f"{API}/limits/"


@pytest.fixture
def sf(sandbox: Sandbox) -> Iterator[OrgClient]:
    client = OrgClient(sandbox, timeout=2).login()
    yield client
    client.close()


def _inject(sf: OrgClient, fault: Fault) -> None:
    sf.sandbox.salesforce_server.faults.add(fault)


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        (
            Fault(FaultKind.STATUS, status=503),
            503,
            [
                {
                    "message": "Server temporarily unavailable. Try again later.",
                    "errorCode": "SERVER_UNAVAILABLE",
                }
            ],
        ),
        (
            Fault(FaultKind.DAILY_LIMIT),
            403,
            [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        ),
        (
            Fault(FaultKind.CONCURRENT_LIMIT),
            403,
            [
                {
                    "message": "ConcurrentRequests (concurrent API requests) Limit exceeded.",
                    "errorCode": "REQUEST_LIMIT_EXCEEDED",
                }
            ],
        ),
        (
            Fault(FaultKind.EXPIRED_TOKEN),
            401,
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        ),
    ],
)
def test_salesforce_shaped_faults_answer_once_then_recover(
    sf: OrgClient, fault: Fault, status: int, body: object
) -> None:
    _inject(sf, fault)

    faulty = sf.get(LIMITS)
    recovered = sf.get(LIMITS)

    assert faulty.status_code == status
    assert faulty.json() == body
    assert recovered.status_code == 200
    assert sf.org.usage()[0] == 1  # the faulty answer was not counted


def test_other_5xx_statuses_are_unknown_exceptions(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.STATUS, status=500))

    response = sf.get(LIMITS)

    assert response.status_code == 500
    assert response.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"


def test_burst_limit_is_not_a_salesforce_answer(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.BURST_LIMIT))

    assert sf.get(LIMITS).status_code == 200


def test_reset_raises_a_connection_error(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.RESET, path="/limits"))

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError)):
        sf.get(LIMITS)
    assert sf.get(LIMITS).status_code == 200


def test_truncated_body_raises(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.TRUNCATED_BODY))

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        sf.get(LIMITS)


def test_html_error_page(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.HTML_ERROR, status=502))

    response = sf.get(LIMITS)

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text


def test_malformed_json(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.MALFORMED_JSON))

    response = sf.get(LIMITS)

    assert response.status_code == 200
    with pytest.raises(ValueError, match="Expecting"):
        response.json()


def test_timeout_with_a_short_client_timeout(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.TIMEOUT, delay_ms=300))

    with pytest.raises(httpx.ReadTimeout):
        sf.http.get(LIMITS, headers={"Authorization": f"Bearer {sf.token}"}, timeout=0.1)


def test_latency_then_a_normal_answer(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.LATENCY, delay_ms=20))

    assert sf.get(LIMITS).status_code == 200


def test_faults_can_target_a_path_and_method(sf: OrgClient) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=2)
    _inject(sf, Fault(FaultKind.STATUS, path="/tooling/sobjects/FlowDefinition/", method="PATCH"))

    assert sf.get(LIMITS).status_code == 200
    assert sf.patch_flow(flow.id, 0).status_code == 503
    assert flow.active_version == 2
    assert sf.patch_flow(flow.id, 0).status_code == 204


def test_token_endpoint_faults(sf: OrgClient) -> None:
    _inject(sf, Fault(FaultKind.STATUS, path="/services/oauth2/token", status=503))

    assert sf.client_credentials().status_code == 503
    assert sf.client_credentials().status_code == 200

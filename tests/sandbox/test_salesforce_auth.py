"""Who the simulated org lets in: client credentials, JWT bearer, and sessions that expire."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.salesforce import SalesforceSettings
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import API, TOKEN, OrgClient

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def sf(sandbox: Sandbox) -> Iterator[OrgClient]:
    client = OrgClient(sandbox)
    yield client
    client.close()


@functools.cache
def _key_pair(name: str = "registered") -> tuple[rsa.RSAPrivateKey, str]:
    """An RSA key pair per name, made once per session (generating one takes a while)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def _assertion(key: rsa.RSAPrivateKey, sandbox: Sandbox, **claims: Any) -> str:
    settings = sandbox.salesforce.settings
    now = sandbox.clock.now().timestamp()
    payload = {
        "iss": settings.client_id,
        "sub": settings.username,
        "aud": "https://login.salesforce.com",
        "exp": int(now + 180),
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256")


def test_client_credentials_issue_a_working_session(sf: OrgClient) -> None:
    response = sf.client_credentials()

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "signature",
        "token_format",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "scope",  # 2026 answers add these two (recorded responses)
        "api_instance_url",
    }
    assert body["access_token"].startswith("00D")
    assert "!AR" in body["access_token"]
    assert body["instance_url"] == sf.sandbox.salesforce_url
    assert body["token_type"] == "Bearer"
    assert body["token_format"] == "opaque"
    assert body["issued_at"] == str(int(sf.sandbox.clock.now().timestamp() * 1000))
    limits = sf.http.get(
        f"{API}/limits/", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert limits.status_code == 200


def test_http_basic_client_credentials_are_accepted(sf: OrgClient) -> None:
    settings = sf.org.settings
    basic = base64.b64encode(f"{settings.client_id}:{settings.client_secret}".encode()).decode()

    response = sf.http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )

    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"client_secret": "wrong"},
            {"error": "invalid_grant", "error_description": "authentication failure"},
        ),
        (
            {"client_id": "someone-else"},
            {"error": "invalid_client_id", "error_description": "client identifier invalid"},
        ),
        ({"grant_type": "password"}, {"error": "unsupported_grant_type"}),
    ],
)
def test_bad_credentials_get_a_400_error_object(
    sf: OrgClient, overrides: dict[str, str], expected: dict[str, str]
) -> None:
    response = sf.client_credentials(**overrides)

    assert response.status_code == 400
    assert expected.items() <= response.json().items()


def test_token_endpoint_and_refused_logins_do_not_count(sf: OrgClient) -> None:
    sf.client_credentials()
    sf.client_credentials(client_secret="wrong")

    assert sf.org.usage() == (0, 100_000)


def test_jwt_bearer_with_the_registered_key(sandbox_factory: Callable[..., Sandbox]) -> None:
    key, public_pem = _key_pair()
    sandbox = sandbox_factory(salesforce=SalesforceSettings(jwt_public_key_pem=public_pem))
    client = OrgClient(sandbox)

    response = client.http.post(
        TOKEN, data={"grant_type": JWT_BEARER, "assertion": _assertion(key, sandbox)}
    )

    assert response.status_code == 200
    token = response.json()["access_token"]
    limits = client.http.get(f"{API}/limits/", headers={"Authorization": f"Bearer {token}"})
    assert limits.status_code == 200
    client.close()


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"sub": "someone@else.example"}, "invalid_grant"),
        ({"iss": "another-app"}, "invalid_client_id"),
        ({"aud": "https://example.com"}, "invalid_grant"),
        ({"exp": 1}, "invalid_grant"),
    ],
)
def test_jwt_bearer_refuses_wrong_claims(
    sandbox_factory: Callable[..., Sandbox], claims: dict[str, Any], error: str
) -> None:
    key, public_pem = _key_pair()
    sandbox = sandbox_factory(salesforce=SalesforceSettings(jwt_public_key_pem=public_pem))
    client = OrgClient(sandbox)

    response = client.http.post(
        TOKEN, data={"grant_type": JWT_BEARER, "assertion": _assertion(key, sandbox, **claims)}
    )

    assert response.status_code == 400
    assert response.json()["error"] == error
    client.close()


def test_jwt_expiry_is_judged_by_the_virtual_clock(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    key, public_pem = _key_pair()
    sandbox = sandbox_factory(salesforce=SalesforceSettings(jwt_public_key_pem=public_pem))
    client = OrgClient(sandbox)
    assertion = _assertion(key, sandbox)  # valid for three minutes of virtual time

    sandbox.advance(timedelta(minutes=5))
    response = client.http.post(TOKEN, data={"grant_type": JWT_BEARER, "assertion": assertion})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    client.close()


def test_jwt_signed_with_another_key_or_without_a_registered_key_is_refused(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    key, _ = _key_pair()
    _, other_public_pem = _key_pair("another")
    with_other_key = sandbox_factory(
        salesforce=SalesforceSettings(jwt_public_key_pem=other_public_pem)
    )
    without_key = sandbox_factory()

    for sandbox in (with_other_key, without_key):
        client = OrgClient(sandbox)
        response = client.http.post(
            TOKEN, data={"grant_type": JWT_BEARER, "assertion": _assertion(key, sandbox)}
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        client.close()


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_missing_or_unknown_session_gets_401_and_is_not_counted(
    sf: OrgClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = sf.http.get(f"{API}/limits/", headers=headers)

    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert sf.org.usage()[0] == 0


def test_expired_tokens_get_401_until_a_new_login(sf: OrgClient) -> None:
    sf.login()
    sf.org.expire_tokens()

    assert sf.get(f"{API}/limits/").status_code == 401
    assert sf.login().get(f"{API}/limits/").status_code == 200


def test_token_ttl_runs_on_virtual_time(sandbox_factory: Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(token_ttl=timedelta(hours=2)))
    client = OrgClient(sandbox).login()

    sandbox.advance(timedelta(minutes=119))
    assert client.get(f"{API}/limits/").status_code == 200
    sandbox.advance(timedelta(minutes=1))
    assert client.get(f"{API}/limits/").status_code == 401
    client.close()


def test_a_token_answer_without_identity_leaves_userinfo_to_say_who(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sandbox = sandbox_factory(salesforce=SalesforceSettings(token_identity=False))
    client = OrgClient(sandbox)
    body = client.client_credentials().json()

    who = client.http.get(
        "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )

    assert "id" not in body
    assert who.status_code == 200
    assert who.json()["user_id"] == sandbox.salesforce.settings.user_id
    assert who.json()["sub"].endswith(
        f"/id/{sandbox.salesforce.settings.org_id}/{who.json()['user_id']}"
    )

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apibrake.http import AuthenticationFailed, PlatformHttp
from apibrake.models.credentials import SALESFORCE_CREDENTIALS
from apibrake.platforms.salesforce.auth import JWT_BEARER_GRANT, jwt_assertion
from apibrake.platforms.salesforce.client import SalesforceClient

pytestmark = pytest.mark.anyio

MakeHttp = Callable[..., PlatformHttp]
INSTANCE = "https://acme.my.salesforce.com"
TOKEN_URL = f"{INSTANCE}/services/oauth2/token"
LIMITS_URL = f"{INSTANCE}/services/data/v62.0/limits/"
CLIENT_SECRET = "s3cr3t-client-value"
LIMITS = {"DailyApiRequests": {"Max": 15000, "Remaining": 14998}}
EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def client_credentials(secret: str = CLIENT_SECRET, instance: str = INSTANCE) -> object:
    return SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "client_credentials",
            "instance_url": instance,
            "client_id": "3MVG9-consumer-key",
            "client_secret": secret,
        }
    )


def token_response(token: str, instance_url: str = INSTANCE) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": token,
            "instance_url": instance_url,
            "token_type": "Bearer",
            "issued_at": "1278448832702",
            "signature": "sig",
            "id": "x",
        },
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


async def test_client_credentials_post_the_form_to_the_instance(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    token = router.post(TOKEN_URL).mock(return_value=token_response("00D!AR.token-1"))
    limits = router.get(LIMITS_URL).mock(return_value=httpx.Response(200, json=LIMITS))
    http = make_http()

    await SalesforceClient(http, client_credentials()).limits()

    form = parse_qs(token.calls.last.request.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["3MVG9-consumer-key"],
        "client_secret": [CLIENT_SECRET],
    }
    assert limits.calls.last.request.headers["Authorization"] == "Bearer 00D!AR.token-1"
    assert (http.auth_calls, http.billable_calls) == (1, 1)


async def test_the_returned_instance_url_is_not_followed(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    router.post(TOKEN_URL).mock(
        return_value=token_response("t", instance_url="https://elsewhere.example.com")
    )
    limits = router.get(LIMITS_URL).mock(return_value=httpx.Response(200, json=LIMITS))

    await SalesforceClient(make_http(), client_credentials()).limits()

    assert limits.call_count == 1


async def test_tokens_are_cached_across_client_instances(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    token = router.post(TOKEN_URL).mock(return_value=token_response("t-1"))
    router.get(LIMITS_URL).mock(return_value=httpx.Response(200, json=LIMITS))

    await SalesforceClient(make_http(), client_credentials(), connection_id="sf-prod").limits()
    await SalesforceClient(make_http(), client_credentials(), connection_id="sf-prod").limits()

    assert token.call_count == 1


async def test_a_changed_secret_gets_a_new_token(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    token = router.post(TOKEN_URL).mock(return_value=token_response("t-1"))
    router.get(LIMITS_URL).mock(return_value=httpx.Response(200, json=LIMITS))

    await SalesforceClient(make_http(), client_credentials("old"), connection_id="c").limits()
    await SalesforceClient(make_http(), client_credentials("new"), connection_id="c").limits()

    assert token.call_count == 2


async def test_a_401_gets_one_fresh_token_and_one_retry(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    token = router.post(TOKEN_URL).mock(
        side_effect=[token_response("stale"), token_response("fresh")]
    )
    limits = router.get(LIMITS_URL).mock(
        side_effect=[httpx.Response(401, json=EXPIRED), httpx.Response(200, json=LIMITS)]
    )

    reading = await SalesforceClient(make_http(), client_credentials()).limits()

    assert reading.used == 2
    assert token.call_count == 2
    assert [c.request.headers["Authorization"] for c in limits.calls] == [
        "Bearer stale",
        "Bearer fresh",
    ]


async def test_a_second_401_is_final(router: respx.MockRouter, make_http: MakeHttp) -> None:
    token = router.post(TOKEN_URL).mock(return_value=token_response("t"))
    limits = router.get(LIMITS_URL).mock(return_value=httpx.Response(401, json=EXPIRED))

    with pytest.raises(AuthenticationFailed) as raised:
        await SalesforceClient(make_http(), client_credentials()).limits()

    assert raised.value.code == "INVALID_SESSION_ID"
    assert (token.call_count, limits.call_count) == (2, 2)


async def test_refused_credentials_fail_once_without_leaking_the_secret(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    token = router.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            400,
            json={"error": "invalid_client_id", "error_description": "client identifier invalid"},
        )
    )
    limits = router.get(LIMITS_URL)
    client = SalesforceClient(make_http(), client_credentials())

    with pytest.raises(AuthenticationFailed) as raised:
        await client.limits()

    assert raised.value.code == "invalid_client_id"
    assert (token.call_count, limits.call_count) == (1, 0)
    for text in (str(raised.value), repr(raised.value), repr(client), repr(client_credentials())):
        assert CLIENT_SECRET not in text


def test_jwt_assertion_claims(rsa_key: rsa.RSAPrivateKey) -> None:
    credentials = SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "jwt_bearer",
            "instance_url": INSTANCE,
            "login_url": "https://test.salesforce.com",
            "client_id": "3MVG9-consumer-key",
            "username": "integration@acme.com",
            "private_key": pem(rsa_key),
        }
    )

    assertion = jwt_assertion(credentials, now=1_700_000_000.5)

    assert jwt.get_unverified_header(assertion)["alg"] == "RS256"
    claims = jwt.decode(
        assertion,
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="https://test.salesforce.com",
        options={"verify_exp": False},
    )
    assert claims == {
        "iss": "3MVG9-consumer-key",
        "sub": "integration@acme.com",
        "aud": "https://test.salesforce.com",
        "exp": 1_700_000_180,
    }


async def test_jwt_bearer_posts_to_the_login_host_with_salesforce_s_audience(
    router: respx.MockRouter, make_http: MakeHttp, rsa_key: rsa.RSAPrivateKey
) -> None:
    sandbox = "http://127.0.0.1:8765"
    credentials = SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "jwt_bearer",
            "instance_url": sandbox,
            "login_url": sandbox,
            "client_id": "key",
            "username": "user@acme.com",
            "private_key": pem(rsa_key),
        }
    )
    token = router.post(f"{sandbox}/services/oauth2/token").mock(
        return_value=token_response("jwt-token", instance_url=sandbox)
    )
    limits = router.get(f"{sandbox}/services/data/v62.0/limits/").mock(
        return_value=httpx.Response(200, json=LIMITS)
    )

    await SalesforceClient(make_http(), credentials).limits()

    form = parse_qs(token.calls.last.request.content.decode())
    assert form["grant_type"] == [JWT_BEARER_GRANT]
    claims = jwt.decode(
        form["assertion"][0],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
    )
    # Asked from the login host (here the sandbox, in life a My Domain host), while `aud`
    # stays Salesforce's own login host.
    assert claims["aud"] == "https://login.salesforce.com"
    assert limits.calls.last.request.headers["Authorization"] == "Bearer jwt-token"


@pytest.mark.parametrize(
    ("login_url", "audience", "expected"),
    [
        ("https://acme.my.salesforce.com", None, "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", None, "https://test.salesforce.com"),
        ("https://test.salesforce.com", None, "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://acme.my.site.com/partners", None),
    ],
)
def test_the_jwt_audience_is_a_setting_of_its_own(
    rsa_key: rsa.RSAPrivateKey, login_url: str, audience: str | None, expected: str | None
) -> None:
    secret = {
        "auth": "jwt_bearer",
        "instance_url": "https://acme.my.salesforce.com",
        "login_url": login_url,
        "client_id": "key",
        "username": "user@acme.com",
        "private_key": pem(rsa_key),
    }
    if audience is not None:
        secret["audience"] = audience
    credentials = SALESFORCE_CREDENTIALS.validate_python(secret)
    assert credentials.jwt_audience == (expected or audience)


async def test_an_unusable_private_key_fails_without_quoting_it(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    key_text = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"
    credentials = SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "jwt_bearer",
            "instance_url": INSTANCE,
            "client_id": "key",
            "username": "u@acme.com",
            "private_key": key_text,
        }
    )
    token = router.post("https://login.salesforce.com/services/oauth2/token")

    with pytest.raises(AuthenticationFailed) as raised:
        await SalesforceClient(make_http(), credentials).limits()

    assert "bm90IGEga2V5" not in str(raised.value)
    assert raised.value.__suppress_context__
    assert token.call_count == 0

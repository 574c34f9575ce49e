"""The OAuth token endpoint (client credentials and JWT bearer) and the sessions it issues."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from urllib.parse import unquote

import jwt

from sandbox.http import Request, Response
from sandbox.salesforce.ids import IdFactory
from sandbox.salesforce.settings import SalesforceSettings

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ACCEPTED_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


def _token_error(error: str, description: str) -> Response:
    return Response.json(400, {"error": error, "error_description": description})


class _Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.response = _token_error(error, description)


class Sessions:
    """Issues access tokens and tells whether one is still good at a virtual moment."""

    def __init__(self, settings: SalesforceSettings) -> None:
        self._settings = settings
        self._issued: dict[str, datetime] = {}

    def is_valid(self, token: str | None, now: datetime) -> bool:
        issued_at = self._issued.get(token or "")
        if issued_at is None:
            return False
        ttl = self._settings.token_ttl
        return ttl is None or now < issued_at + ttl

    def expire_all(self) -> None:
        self._issued.clear()

    def token_endpoint(self, request: Request, now: datetime, instance_url: str) -> Response:
        form = request.form()
        grant_type = form.get("grant_type", "")
        try:
            if grant_type == "client_credentials":
                self._check_client_credentials(request, form)
            elif grant_type == JWT_BEARER:
                self._check_assertion(form.get("assertion", ""), now, instance_url)
            else:
                return _token_error("unsupported_grant_type", "grant type not supported")
        except _Refused as refused:
            return refused.response
        return Response.json(200, self._issue(now, instance_url))

    def _check_client_credentials(self, request: Request, form: dict[str, str]) -> None:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_credentials(request)
        if basic and not client_id:
            client_id, client_secret = basic
        if client_id != self._settings.client_id:
            raise _Refused("invalid_client_id", "client identifier invalid")
        if not client_secret or not hmac.compare_digest(
            client_secret, self._settings.client_secret
        ):
            raise _Refused("invalid_grant", "authentication failure")

    def _check_assertion(self, assertion: str, now: datetime, instance_url: str) -> None:
        key = self._settings.jwt_public_key_pem
        if not key or not assertion:
            raise _Refused("invalid_grant", "authentication failure")
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256"],
                # Expiry is checked against the virtual clock below, the audience by hand.
                options={
                    "verify_exp": False,
                    "verify_aud": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["iss", "sub", "exp"],
                },
            )
        except jwt.PyJWTError:
            raise _Refused("invalid_grant", "invalid assertion") from None
        if claims["iss"] != self._settings.client_id:
            raise _Refused("invalid_client_id", "client identifier invalid")
        # As Salesforce: login or test.salesforce.com, whichever host the token is asked from.
        if claims.get("aud") not in _ACCEPTED_AUDIENCES:
            raise _Refused("invalid_grant", "audience is invalid")
        if claims["sub"] != self._settings.username:
            raise _Refused("invalid_grant", "authentication failure")
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= now.timestamp():
            raise _Refused("invalid_grant", "expired authorization code")

    def _issue(self, now: datetime, instance_url: str) -> dict[str, str]:
        settings = self._settings
        token = f"{settings.org_id[:15]}!AR{IdFactory.random_token(96)}"
        self._issued[token] = now
        identity = f"{instance_url}/id/{settings.org_id}/{settings.user_id}"
        issued_at = str(int(now.timestamp() * 1000))
        digest = hmac.new(
            settings.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        answer = {
            "access_token": token,
            "signature": base64.b64encode(digest).decode(),
            "token_format": "opaque",
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            # What 2026 answers add (recorded responses).
            "scope": "api",
            "api_instance_url": f"{instance_url}/services/data",
        }
        if not settings.token_identity:
            del answer["id"]
        return answer

    def userinfo(self, request: Request, now: datetime, instance_url: str) -> Response:
        """OpenID Connect UserInfo: who the bearer token acts as (an OAuth endpoint, not a
        REST API resource)."""
        if not self.is_valid(request.bearer_token(), now):
            return Response.json(403, {"error": "Bad_OAuth_Token"})
        settings = self._settings
        return Response.json(
            200,
            {
                "sub": f"{instance_url}/id/{settings.org_id}/{settings.user_id}",
                "user_id": settings.user_id,
                "organization_id": settings.org_id,
                "preferred_username": settings.username,
            },
        )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, client_secret = decoded.partition(":")
    return (unquote(client_id), unquote(client_secret)) if sep else None

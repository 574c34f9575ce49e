"""Salesforce access tokens: client credentials or JWT bearer, cached per connection.

The token response also names an `instance_url`. We keep calling the configured one:
a token is never sent to a host the operator did not configure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
from pydantic import SecretStr

from apibrake.http.client import PlatformHttp
from apibrake.http.errors import AuthenticationFailed, MalformedResponse, PlatformError
from apibrake.http.profile import CallKind
from apibrake.http.token_cache import TOKEN_CACHE, CachedToken, TokenCache, cache_key
from apibrake.models.credentials import (
    SalesforceClientCredentials,
    SalesforceJwtBearer,
    base_url,
)
from apibrake.platforms.salesforce.errors import SALESFORCE

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 (a path, not a password)
USERINFO_PATH = "/services/oauth2/userinfo"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180


def jwt_assertion(credentials: SalesforceJwtBearer, *, now: float) -> str:
    """An RS256 assertion for `username`. `aud` is Salesforce's login or test host (or the
    secret's `audience`), never the My Domain host the token is asked from."""
    import jwt  # here, not at the top: PyJWT + cryptography cost a cold start ~50-100 ms

    claims = {
        "iss": credentials.client_id.get_secret_value(),
        "sub": credentials.username,
        "aud": credentials.jwt_audience,
        "exp": int(now) + JWT_LIFETIME_SECONDS,
    }
    try:
        return jwt.encode(claims, credentials.private_key.get_secret_value(), algorithm="RS256")
    except Exception:  # the library's text may quote the key material
        raise AuthenticationFailed(
            SALESFORCE, "private_key cannot sign an RS256 JWT (not a PEM RSA private key?)"
        ) from None


class SalesforceTokenProvider:
    """Salesforce issues no expiry: a token is kept until a 401 invalidates it."""

    can_refresh = True

    def __init__(
        self,
        http: PlatformHttp,
        credentials: SalesforceClientCredentials | SalesforceJwtBearer,
        *,
        connection_id: str = "",
        cache: TokenCache = TOKEN_CACHE,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._cache = cache
        self._wall_clock = wall_clock
        self._lock = asyncio.Lock()
        self._key = cache_key(SALESFORCE, connection_id, *_secret_parts(credentials))

    def __repr__(self) -> str:
        return (
            f"SalesforceTokenProvider(auth={self._credentials.auth!r}, "
            f"instance_url={base_url(self._credentials.instance_url)!r})"
        )

    async def token(self) -> SecretStr:
        return (await self._current()).access_token

    async def user_id(self) -> str | None:
        """The id of the user the token acts as (from the token's identity URL)."""
        identity = (await self._identified()).identity
        return identity.rstrip("/").rsplit("/", 1)[-1] if identity else None

    async def org_id(self) -> str | None:
        """The org's id, from the token's identity URL (`.../id/<org id>/<user id>`)."""
        return _org_of((await self._identified()).identity)

    async def org_id_from_token(self) -> str | None:
        """The org's id only when the token answer carried its identity URL: never the
        UserInfo call, for an org whose limit is spent (the raise asks for it then)."""
        return _org_of((await self._current()).identity)

    async def _identified(self) -> CachedToken:
        """The token with its identity URL. An answer without `id` (reported in 2026) is
        completed once per token from the UserInfo endpoint's `sub`; when that fails too the
        identity stays unknown and the callers say so."""
        current = await self._current()
        if current.identity is not None:
            return current
        url = base_url(self._credentials.instance_url) + USERINFO_PATH
        bearer = {"Authorization": f"Bearer {current.access_token.get_secret_value()}"}
        try:
            identity = await self._http.request_parsed(
                "GET", url, headers=bearer, parse=self._userinfo_identity, retry=False
            )
        except PlatformError:
            return current
        identified = replace(current, identity=identity)
        self._cache.put(self._key, identified)
        return identified

    def _userinfo_identity(self, response: httpx.Response) -> str:
        body: Any = self._http.json_body(response)
        sub = body.get("sub") if isinstance(body, dict) else None
        if not isinstance(sub, str) or "/id/" not in sub:
            raise MalformedResponse(SALESFORCE, "UserInfo answer has no identity URL (sub)")
        return sub

    async def _current(self) -> CachedToken:
        cached = self._cache.get(self._key, now=time.monotonic())
        if cached is not None:
            return cached
        async with self._lock:  # concurrent calls of one client share one token request
            cached = self._cache.get(self._key, now=time.monotonic())
            if cached is None:
                cached = await self._request_token()
                self._cache.put(self._key, cached)
            return cached

    def invalidate(self, token: SecretStr) -> None:
        self._cache.invalidate(self._key, token)

    async def _request_token(self) -> CachedToken:
        credentials = self._credentials
        if isinstance(credentials, SalesforceJwtBearer):
            url = base_url(credentials.login_url) + TOKEN_PATH
            form = {
                "grant_type": JWT_BEARER_GRANT,
                "assertion": jwt_assertion(credentials, now=self._wall_clock()),
            }
        else:
            url = base_url(credentials.instance_url) + TOKEN_PATH
            form = {
                "grant_type": "client_credentials",
                "client_id": credentials.client_id.get_secret_value(),
                "client_secret": credentials.client_secret.get_secret_value(),
            }
        return await self._http.request_parsed(
            "POST", url, data=form, kind=CallKind.AUTH, parse=self._access_token
        )

    def _access_token(self, response: httpx.Response) -> CachedToken:
        body: Any = self._http.json_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse(SALESFORCE, "token response has no access_token")
        identity = body.get("id")
        return CachedToken(
            SecretStr(token), identity=identity if isinstance(identity, str) else None
        )


def _secret_parts(credentials: SalesforceClientCredentials | SalesforceJwtBearer) -> list[str]:
    if isinstance(credentials, SalesforceJwtBearer):
        return [
            base_url(credentials.instance_url),
            base_url(credentials.login_url),
            credentials.client_id.get_secret_value(),
            credentials.username,
            credentials.private_key.get_secret_value(),
        ]
    return [
        base_url(credentials.instance_url),
        credentials.client_id.get_secret_value(),
        credentials.client_secret.get_secret_value(),
    ]


def _org_of(identity: str | None) -> str | None:
    parts = identity.rstrip("/").rsplit("/", 2) if identity else []
    return parts[-2] if len(parts) == 3 else None

"""HubSpot access tokens: a static private-app token, or OAuth refreshed before expiry.

A refresh response may carry a new refresh token; HubSpot's stay valid, and the
client cannot write secrets back (it knows nothing of AWS), so it is not kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from apibrake.http.client import PlatformHttp
from apibrake.http.errors import MalformedResponse
from apibrake.http.parsing import as_int
from apibrake.http.profile import CallKind
from apibrake.http.token_cache import TOKEN_CACHE, CachedToken, TokenCache, cache_key
from apibrake.models.credentials import HubSpotOAuth, HubSpotToken, base_url
from apibrake.platforms.hubspot.errors import HUBSPOT


def token_path(version: str) -> str:
    """`/oauth/v1/token` until its removal on 2027-02-16, `/oauth/2026-03/token` after."""
    return f"/oauth/{version}/token"


REFRESH_MARGIN_SECONDS = 60.0


class StaticTokenProvider:
    """A private-app or service key token: nothing to refresh, a 401 is final."""

    can_refresh = False

    def __init__(self, credentials: HubSpotToken) -> None:
        self._token = credentials.access_token

    def __repr__(self) -> str:
        return "StaticTokenProvider()"

    async def token(self) -> SecretStr:
        return self._token

    def invalidate(self, token: SecretStr) -> None:
        return None


class OAuthTokenProvider:
    can_refresh = True

    def __init__(
        self,
        http: PlatformHttp,
        credentials: HubSpotOAuth,
        *,
        connection_id: str = "",
        cache: TokenCache = TOKEN_CACHE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._cache = cache
        self._clock = clock
        self._lock = asyncio.Lock()
        self._key = cache_key(
            HUBSPOT,
            connection_id,
            base_url(credentials.base_url),
            credentials.client_id.get_secret_value(),
            credentials.client_secret.get_secret_value(),
            credentials.refresh_token.get_secret_value(),
        )

    def __repr__(self) -> str:
        return f"OAuthTokenProvider(base_url={base_url(self._credentials.base_url)!r})"

    async def token(self) -> SecretStr:
        cached = self._fresh()
        if cached is not None:
            return cached.access_token
        async with self._lock:  # concurrent calls of one client share one refresh
            cached = self._fresh()
            if cached is not None:
                return cached.access_token
            token = await self._refresh()
            self._cache.put(self._key, token)
            return token.access_token

    def invalidate(self, token: SecretStr) -> None:
        self._cache.invalidate(self._key, token)

    def _fresh(self) -> CachedToken | None:
        return self._cache.get(self._key, now=self._clock(), margin=REFRESH_MARGIN_SECONDS)

    async def _refresh(self) -> CachedToken:
        credentials = self._credentials
        form = {
            "grant_type": "refresh_token",
            "client_id": credentials.client_id.get_secret_value(),
            "client_secret": credentials.client_secret.get_secret_value(),
            "refresh_token": credentials.refresh_token.get_secret_value(),
        }
        sent_at = self._clock()
        return await self._http.request_parsed(
            "POST",
            base_url(credentials.base_url) + token_path(credentials.api_versions.oauth),
            data=form,
            kind=CallKind.AUTH,
            parse=lambda response: self._cached_token(response, sent_at),
        )

    def _cached_token(self, response: httpx.Response, sent_at: float) -> CachedToken:
        body: Any = self._http.json_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse(HUBSPOT, "token response has no access_token")
        expires_in = as_int(body.get("expires_in"))
        # Without expires_in the token is kept until a 401 says otherwise.
        expires_at = None if expires_in is None else sent_at + expires_in
        return CachedToken(SecretStr(token), expires_at)


def hubspot_token_provider(
    http: PlatformHttp,
    credentials: HubSpotToken | HubSpotOAuth,
    *,
    connection_id: str = "",
    cache: TokenCache = TOKEN_CACHE,
) -> StaticTokenProvider | OAuthTokenProvider:
    if isinstance(credentials, HubSpotToken):
        return StaticTokenProvider(credentials)
    return OAuthTokenProvider(http, credentials, connection_id=connection_id, cache=cache)

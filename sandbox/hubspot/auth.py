"""Who may call: the private-app token and OAuth access tokens issued by refresh."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sandbox.clock import VirtualClock
from sandbox.hubspot.settings import HubSpotSettings


class Caller(StrEnum):
    PRIVATE_APP = "private_app"
    SERVICE_KEY = "service_key"
    OAUTH = "oauth"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TokenBook:
    def __init__(self, settings: HubSpotSettings, clock: VirtualClock) -> None:
        self._settings = settings
        self._clock = clock
        self._expiry: dict[str, datetime] = {}

    def issue(self) -> str:
        token = f"sandbox-oauth-{secrets.token_urlsafe(24)}"
        self._expiry[token] = self._clock.now() + self._settings.oauth_token_ttl
        return token

    def identify(self, token: str | None) -> Caller:
        if not token:
            return Caller.UNKNOWN
        if secrets.compare_digest(token, self._settings.token):
            return Caller.PRIVATE_APP
        if secrets.compare_digest(token, self._settings.service_key):
            return Caller.SERVICE_KEY
        expiry = self._expiry.get(token)
        if expiry is None:
            return Caller.UNKNOWN
        return Caller.OAUTH if self._clock.now() < expiry else Caller.EXPIRED

    def expire_all(self) -> None:
        now = self._clock.now()
        self._expiry = {token: min(expiry, now) for token, expiry in self._expiry.items()}

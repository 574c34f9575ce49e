"""A HubSpot portal served on its own port, for the tests/sandbox/test_hubspot_*.py modules."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.audit import AuditLog
from sandbox.clock import VirtualClock
from sandbox.http import PlatformServer
from sandbox.hubspot import HubSpotPortal, HubSpotSettings

# Loading CA certificates costs ~0.1 s per httpx.Client; the portal is plain HTTP anyway.
_TLS = ssl.create_default_context()


@dataclass
class RunningPortal:
    portal: HubSpotPortal
    server: PlatformServer
    clock: VirtualClock
    audit: AuditLog
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.portal.settings.token

    def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kwargs)

    def refresh(self, version: str = "v1", **overrides: str) -> httpx.Response:
        settings = self.portal.settings
        form = {
            "grant_type": "refresh_token",
            "client_id": settings.oauth_client_id,
            "client_secret": settings.oauth_client_secret,
            "refresh_token": settings.refresh_token,
            **overrides,
        }
        return self.client.post(f"/oauth/{version}/token", data=form)


@contextmanager
def running_portal(settings: HubSpotSettings | None = None) -> Iterator[RunningPortal]:
    clock, audit = VirtualClock(), AuditLog()
    portal = HubSpotPortal(clock, audit, settings or HubSpotSettings())
    server = PlatformServer(portal).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10, verify=_TLS) as client:
            yield RunningPortal(portal, server, clock, audit, client)
    finally:
        server.stop()


def editable(flow: dict[str, Any]) -> dict[str, Any]:
    """A fetched flow minus its read-only fields: the body a careful client PUTs."""
    read_only = {
        "id",
        "createdAt",
        "updatedAt",
        "dataSources",
        "crmObjectCreationStatus",
        "nextAvailableActionId",
    }
    return {key: value for key, value in flow.items() if key not in read_only}

"""A thin httpx client on the sandbox org, for the tests/sandbox/test_salesforce_*.py modules."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from sandbox.server import Sandbox

API = "/services/data/v62.0"
TOOLING = f"{API}/tooling"
TOKEN = "/services/oauth2/token"
# The sandbox speaks plain HTTP; sharing one TLS context spares each client ~50 ms of set-up.
_TLS = ssl.create_default_context()


class OrgClient:
    def __init__(self, sandbox: Sandbox, *, timeout: float = 5) -> None:
        self.sandbox = sandbox
        self.org = sandbox.salesforce
        self.http = httpx.Client(base_url=sandbox.salesforce_url, timeout=timeout, verify=_TLS)
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    def client_credentials(self, **overrides: str) -> httpx.Response:
        settings = self.org.settings
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
            **overrides,
        }
        return self.http.post(TOKEN, data=form)

    def login(self) -> OrgClient:
        response = self.client_credentials()
        response.raise_for_status()
        self.token = response.json()["access_token"]
        return self

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.request("GET", path, params=params or None)

    def query(self, soql: str, *, tooling: bool = False) -> httpx.Response:
        return self.get(f"{TOOLING if tooling else API}/query/", q=soql)

    def patch_flow(self, flow_id: str, version: int | None) -> httpx.Response:
        body = {"Metadata": {"activeVersionNumber": version}}
        return self.request("PATCH", f"{TOOLING}/sobjects/FlowDefinition/{flow_id}", json=body)

    def composite(self, items: list[dict[str, Any]], *, all_or_none: bool) -> httpx.Response:
        body = {"allOrNone": all_or_none, "compositeRequest": items}
        return self.request("POST", f"{TOOLING}/composite", json=body)

    def apex(self, body: str) -> httpx.Response:
        return self.get(f"{TOOLING}/executeAnonymous/", anonymousBody=body)


def activation(flow_id: str, version: int, reference: str) -> dict[str, Any]:
    """One composite subrequest setting a flow's active version."""
    return {
        "method": "PATCH",
        "url": f"{TOOLING}/sobjects/FlowDefinition/{flow_id}",
        "referenceId": reference,
        "body": {"Metadata": {"activeVersionNumber": version}},
    }

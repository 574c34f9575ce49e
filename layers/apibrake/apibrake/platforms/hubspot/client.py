"""HubSpotClient: usage, account details and the Automation v4 workflow calls.

Path version segments are configurable: numbered versions are being retired in
favour of dated ones (`/account-info/2026-03/...`, `/automation/2026-09-beta/...`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from apibrake.http.authorized import AuthorizedHttp, TokenProvider
from apibrake.http.client import PlatformHttp
from apibrake.http.errors import (
    DailyLimitExhausted,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RequestRejected,
)
from apibrake.http.parsing import as_int
from apibrake.http.profile import Change
from apibrake.models.credentials import HubSpotOAuth, HubSpotToken, base_url
from apibrake.models.usage import UsageReading, UsageScope
from apibrake.platforms.hubspot.auth import hubspot_token_provider
from apibrake.platforms.hubspot.errors import HUBSPOT
from apibrake.platforms.hubspot.flow_versions import not_served
from apibrake.platforms.hubspot.usage import ALL_APP_TYPES_VERSIONS, parse_daily_usage

T = TypeVar("T")

logger = logging.getLogger(__name__)

LEGACY_USAGE_VERSION = "2026-09"  # counts legacy private apps only
_MISSES = "the figure counts legacy private apps only, not this service key's own calls"
# Connections whose portal refused the all-app-types figure -> until when that is believed:
# a warm container then reads the fallback straight away instead of being refused first
# on every check (each refusal is a call against the daily limit).
_BETA_REFUSED: dict[str, tuple[datetime, str]] = {}  # key -> (until, why)
BETA_REFUSAL_KEPT = timedelta(hours=24)


def forget_beta_refusals() -> None:
    _BETA_REFUSED.clear()


FLOW_BATCH_READ_MAX = 100  # HubSpot's usual batch size; the spec states none (unconfirmed)
FLOW_PAGE_SIZE = 100
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class AccountDetails:
    time_zone: str  # IANA name, e.g. "US/Eastern": the daily limit resets at its midnight
    utc_offset: str  # e.g. "-05:00"
    utc_offset_milliseconds: int | None = None
    portal_id: int | None = None


class HubSpotClient:
    def __init__(
        self,
        http: PlatformHttp,
        credentials: HubSpotToken | HubSpotOAuth,
        *,
        connection_id: str = "",
        usage_api_version: str | None = None,  # account-info API: usage and details
        flows_api_version: str | None = None,
        tokens: TokenProvider | None = None,
    ) -> None:
        """The versions default to the secret's `api_versions`."""
        if http.platform != HUBSPOT:
            raise ValueError(f"HubSpotClient needs a HubSpot PlatformHttp, not {http!r}")
        self.http = http
        self.base_url = base_url(credentials.base_url)
        self.service_key = credentials.is_service_key
        self._refusal_key = f"{self.base_url}|{connection_id}"
        versions = credentials.api_versions
        # field of the secret's api_versions -> the version this client calls
        self.api_versions: dict[str, str] = {
            "usage": usage_api_version or versions.usage_version(service_key=self.service_key),
            "flows": flows_api_version or versions.flows,
        }
        if isinstance(credentials, HubSpotOAuth):
            self.api_versions["oauth"] = versions.oauth
        self._account_info = f"{self.base_url}/account-info/{_segment(self.api_versions['usage'])}"
        self._flows = (
            f"{self.base_url}/automation/{_flows_segment(self.api_versions['flows'])}/flows"
        )
        provider = tokens or hubspot_token_provider(http, credentials, connection_id=connection_id)
        self._authorized = AuthorizedHttp(http, provider)
        self.resets_at: datetime | None = None  # from the last usage reading

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.base_url!r})"

    async def daily_usage(self) -> UsageReading:
        """The daily usage entry (picked by name), of the version the connection reads. A
        service key's own calls count only in 2027-03-beta: when that figure cannot be had,
        the legacy private-app figure is read instead and the reading says what it misses."""
        version = str(self.api_versions["usage"])
        refused = _BETA_REFUSED.get(self._refusal_key)
        if refused is not None and self.http.now() < refused[0]:
            fallback = await self._usage_of(LEGACY_USAGE_VERSION)
            return fallback.model_copy(update={"gap": refused[1]})
        try:
            reading = await self._usage_of(version)
        except (RequestRejected, PermissionDenied, MalformedResponse) as error:
            if not self.service_key or version not in ALL_APP_TYPES_VERSIONS:
                raise
            why = f"HubSpot gave no {version} usage figure ({error.message}): {_MISSES}"
            _BETA_REFUSED[self._refusal_key] = (self.http.now() + BETA_REFUSAL_KEPT, why)
            fallback = await self._usage_of(LEGACY_USAGE_VERSION)
            return fallback.model_copy(update={"gap": why})
        if reading.stale and self.service_key and reading.gap is None:
            reading = reading.model_copy(update={"gap": "the 2027-03-beta figure is not fresh"})
        return reading

    async def _usage_of(self, version: str) -> UsageReading:
        reading = await self._call(
            "GET",
            f"{self.base_url}/account-info/{_segment(version)}/api-usage/daily/private-apps",
            parse=lambda response: parse_daily_usage(
                self.http.json_body(response), version=version
            ),
        )
        if self.service_key and reading.scope is not UsageScope.ALL_APP_TYPES:
            why = f"account-info {version}: {_MISSES} (set api_versions.usage to 2027-03-beta)"
            reading = reading.model_copy(update={"gap": why})
        if reading.resets_at is not None:
            self.resets_at = reading.resets_at
        return reading

    async def usage_of(self, version: str) -> UsageReading:
        """One daily-usage call of `version`, whatever the connection reads (connections
        test compares what a narrower figure leaves out)."""
        return await self._usage_of(version)

    async def authenticate(self) -> None:
        """Gets a token (or finds it cached), so a failed token request is told apart from
        a refused API call: the token endpoint is no API-limit call."""
        await self._authorized.tokens.token()

    async def usage(self) -> UsageReading:
        """The daily API usage: one daily-usage call (the same name on every platform client)."""
        return await self.daily_usage()

    async def account_details(self) -> AccountDetails:
        return await self._call(
            "GET",
            f"{self._account_info}/details",
            parse=lambda response: _account_details(self.http.json_body(response)),
        )

    async def flows_page(
        self, *, limit: int = FLOW_PAGE_SIZE, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of flow listings (one call) and the cursor of the next page, if any."""
        params: dict[str, str | int] = {"limit": limit}
        if after is not None:
            params["after"] = after
        try:
            return await self._call("GET", self._flows, params=params, parse=self._flow_page)
        except NotFound as error:
            raise not_served(self.api_versions["flows"], error) from error

    async def list_flows(self, *, page_size: int = FLOW_PAGE_SIZE) -> list[dict[str, Any]]:
        """Every flow listing (not full flows); each page is one call."""
        flows: list[dict[str, Any]] = []
        after: str | None = None
        seen: set[str] = set()
        while True:
            results, after = await self.flows_page(limit=page_size, after=after)
            flows += results
            if after is None:
                return flows
            if after in seen:
                raise MalformedResponse(HUBSPOT, "flow paging loops on the same cursor")
            seen.add(after)

    async def get_flow(self, flow_id: str) -> dict[str, Any]:
        return await self._call("GET", f"{self._flows}/{_segment(flow_id)}", parse=self._object)

    async def batch_read_flows(self, flow_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full flows, FLOW_BATCH_READ_MAX per call. Flows HubSpot cannot read are absent."""
        unique_ids = list(dict.fromkeys(_segment(flow_id) for flow_id in flow_ids))
        flows: list[dict[str, Any]] = []
        for start in range(0, len(unique_ids), FLOW_BATCH_READ_MAX):
            chunk = unique_ids[start : start + FLOW_BATCH_READ_MAX]
            try:
                flows += await self._call(
                    "POST",
                    f"{self._flows}/batch/read",
                    json={"inputs": [{"flowId": i, "type": "FLOW_ID"} for i in chunk]},
                    parse=self._batch_results,
                )
            except NotFound as error:  # the collection itself: unknown flows are just absent
                raise not_served(self.api_versions["flows"], error) from error
        return flows

    async def put_flow(self, flow_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace the whole flow (see `flow_update_body`); returns it with a new revisionId."""
        # Guarded by the body's revisionId: a resent PUT that had landed is refused as
        # stale, and the workflow adapter re-reads to see it landed.
        return await self._call(
            "PUT",
            f"{self._flows}/{_segment(flow_id)}",
            json=body,
            parse=self._object,
            change=Change.IDEMPOTENT,
        )

    async def create_flow(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a flow (the rehearsal canary); returns it with its id. Sent once: a
        second POST would create a second flow, so an unanswered one is found by name."""
        return await self._call(
            "POST", self._flows, json=body, parse=self._object, change=Change.ONCE
        )

    async def _call(
        self,
        method: str,
        url: str,
        *,
        parse: Callable[[httpx.Response], T],
        params: dict[str, str | int] | None = None,
        json: Any = None,
        change: Change | None = None,
    ) -> T:
        try:
            return await self._authorized.request_parsed(
                method, url, parse=parse, params=params, json=json, change=change
            )
        except DailyLimitExhausted as exhausted:
            if exhausted.resets_at is None:
                exhausted.resets_at = self.resets_at
            raise

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        body = self.http.json_body(response)
        if not isinstance(body, dict):
            raise MalformedResponse(HUBSPOT, "expected a JSON object")
        return body

    def _flow_page(self, response: httpx.Response) -> tuple[list[dict[str, Any]], str | None]:
        body = self._object(response)
        results = body.get("results")
        if not isinstance(results, list):
            raise MalformedResponse(HUBSPOT, "flow list without a 'results' array")
        paging = body.get("paging")
        next_page = paging.get("next") if isinstance(paging, dict) else None
        after = next_page.get("after") if isinstance(next_page, dict) else None
        cursor = str(after) if isinstance(after, str | int) and str(after) else None
        return [flow for flow in results if isinstance(flow, dict)], cursor

    def _batch_results(self, response: httpx.Response) -> list[dict[str, Any]]:
        body = self._object(response)
        results = body.get("results")
        if not isinstance(results, list):
            raise MalformedResponse(HUBSPOT, "batch read without a 'results' array")
        errors = body.get("errors")
        if isinstance(errors, list) and errors:  # 207: some flows could not be read
            logger.warning(
                "batch read returned errors",
                extra={"platform": HUBSPOT, "errors": len(errors), "status": response.status_code},
            )
        return [flow for flow in results if isinstance(flow, dict)]


def _account_details(body: Any) -> AccountDetails:
    if not isinstance(body, dict):
        raise MalformedResponse(HUBSPOT, "account details are not a JSON object")
    time_zone, utc_offset = body.get("timeZone"), body.get("utcOffset")
    if not isinstance(time_zone, str) or not isinstance(utc_offset, str):
        raise MalformedResponse(HUBSPOT, "account details without timeZone/utcOffset")
    return AccountDetails(
        time_zone=time_zone,
        utc_offset=utc_offset,
        utc_offset_milliseconds=as_int(body.get("utcOffsetMilliseconds")),
        portal_id=as_int(body.get("portalId")),
    )


def _flows_segment(version: str) -> str:
    """The automation path's version part: 2027-03-beta lives under v4
    (docs/platform-notes.md C10)."""
    return f"v4/{_segment(version)}" if version == "2027-03-beta" else _segment(version)


def _segment(value: str) -> str:
    """A path segment we build URLs from (version, flow id): no slashes, no surprises."""
    if not isinstance(value, str) or not _PATH_SEGMENT.fullmatch(value):
        raise ValueError(f"not a safe URL path segment: {value!r}")
    return value

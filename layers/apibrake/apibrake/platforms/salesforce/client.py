"""SalesforceClient: the REST and Tooling calls apibrake makes, and nothing more.

Every call but `versions()` costs one call of the org's daily limit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from apibrake.http.authorized import AuthorizedHttp, TokenProvider
from apibrake.http.client import PlatformHttp
from apibrake.http.errors import AuthenticationFailed, MalformedResponse, RequestRejected
from apibrake.http.profile import CallKind, Change
from apibrake.models.credentials import (
    SalesforceClientCredentials,
    SalesforceJwtBearer,
    base_url,
)
from apibrake.models.usage import UsageReading
from apibrake.platforms.salesforce.apex_soap import (
    SOAP_HEADERS,
    DebuggedResult,
    envelope,
    parse_response,
    soap_path,
)
from apibrake.platforms.salesforce.auth import SalesforceTokenProvider
from apibrake.platforms.salesforce.errors import SALESFORCE
from apibrake.platforms.salesforce.execute_anonymous import (
    MAX_ANONYMOUS_URL_BYTES,
    ExecuteAnonymousResult,
    anonymous_url_bytes,
    parse_execute_anonymous,
    within_recommended_uri,
)
from apibrake.platforms.salesforce.limits import parse_limits
from apibrake.platforms.salesforce.models import (
    MAX_COMPOSITE_SUBREQUESTS,
    CompositeResult,
    CompositeSubrequest,
    SalesforceErrorItem,
    parse_error_items,
)

CALL_OPTIONS = {"Sforce-Call-Options": "client=apibrake"}
MAX_COMPOSITE_QUERIES = 5  # of a composite's 25 subrequests, at most 5 may be queries
T = TypeVar("T")


_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_SOBJECT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")


class SalesforceClient:
    def __init__(
        self,
        http: PlatformHttp,
        credentials: SalesforceClientCredentials | SalesforceJwtBearer,
        *,
        connection_id: str = "",
        tokens: TokenProvider | None = None,
    ) -> None:
        if http.platform != SALESFORCE:
            raise ValueError(f"SalesforceClient needs a Salesforce PlatformHttp, not {http!r}")
        self.http = http
        self.instance_url = base_url(credentials.instance_url)
        self.api_version = credentials.api_version
        provider = tokens or SalesforceTokenProvider(http, credentials, connection_id=connection_id)
        self._authorized = AuthorizedHttp(http, provider, headers=CALL_OPTIONS)
        self._org_id: str | None = None

    def __repr__(self) -> str:
        return f"SalesforceClient(instance_url={self.instance_url!r}, v{self.api_version})"

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    async def versions(self) -> list[dict[str, Any]]:
        """The API versions list: free and unauthenticated."""
        body = await self.http.request_parsed(
            "GET",
            f"{self.instance_url}/services/data/",
            headers=CALL_OPTIONS,
            kind=CallKind.FREE,
            parse=self.http.json_body,
        )
        if not isinstance(body, list):
            raise MalformedResponse(SALESFORCE, "the versions list is not a JSON array")
        return [entry for entry in body if isinstance(entry, dict)]

    async def authenticate(self) -> None:
        """Gets a token (or finds it cached), so a failed token request is told apart from
        a refused API call: the token endpoint is no API-limit call."""
        await self._authorized.tokens.token()

    async def running_user_id(self) -> str | None:
        """The id of the user this connection's calls run as (System.schedule makes it a
        re-created job's owner), from the token's identity URL: no API call."""
        find_user = getattr(self._authorized.tokens, "user_id", None)
        user_id: str | None = await find_user() if find_user is not None else None
        return user_id

    async def org_id(self) -> str:
        """The org's id (a hierarchy setting's org-default row is owned by it): from the
        token's identity URL (free), else one query of Organization; kept for the client."""
        if self._org_id is None:
            find_org = getattr(self._authorized.tokens, "org_id", None)
            found: str | None = await find_org() if find_org is not None else None
            if not found:
                records = await self.query("SELECT Id FROM Organization")
                found = str(records[0].get("Id")) if records else None
            if not found:
                raise MalformedResponse(SALESFORCE, "no Organization record readable")
            self._org_id = found
        return self._org_id

    async def org_id_without_calls(self) -> str | None:
        """The org's id when the token already names it (free), else None: never a query,
        for an org whose limit is spent."""
        if self._org_id is not None:
            return self._org_id
        find_org = getattr(self._authorized.tokens, "org_id_from_token", None)
        found: str | None = await find_org() if find_org is not None else None
        return found

    async def describe_global(self) -> list[dict[str, Any]]:
        """Every sObject the user sees (`customSetting` marks custom settings)."""
        body = await self._authorized.request_parsed(
            "GET", self._url("/sobjects/"), parse=self.http.json_body
        )
        found = body.get("sobjects") if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise MalformedResponse(SALESFORCE, "describe global has no 'sobjects' array")
        return [item for item in found if isinstance(item, dict)]

    async def describe(self, sobject: str) -> dict[str, Any]:
        body = await self._authorized.request_parsed(
            "GET", self._url(f"/sobjects/{_sobject(sobject)}/describe/"), parse=self.http.json_body
        )
        if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
            raise MalformedResponse(SALESFORCE, f"describe of {sobject} has no 'fields' array")
        return body

    async def update_record(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        """PATCH of a record's fields (204). Setting values: twice does no harm."""
        await self._authorized.request_parsed(
            "PATCH",
            self._url(f"/sobjects/{_sobject(sobject)}/{_record_id(record_id)}"),
            json=fields,
            parse=_ignore_body,
            change=Change.IDEMPOTENT,
        )

    async def create_record(self, sobject: str, fields: dict[str, Any]) -> str:
        """POST of a new record (201 with its id). Never sent twice: a second would be a
        duplicate; the caller re-reads when the answer is lost."""
        return await self._authorized.request_parsed(
            "POST",
            self._url(f"/sobjects/{_sobject(sobject)}/"),
            json=fields,
            parse=lambda response: _created_id(self.http.json_body(response)),
            change=Change.ONCE,
        )

    async def delete_record(self, sobject: str, record_id: str) -> None:
        """DELETE of a record (204); a second would answer 404, so it is sent once."""
        await self._authorized.request_parsed(
            "DELETE",
            self._url(f"/sobjects/{_sobject(sobject)}/{_record_id(record_id)}"),
            parse=_ignore_body,
            change=Change.ONCE,
        )

    async def limits(self) -> UsageReading:
        return await self._authorized.request_parsed(
            "GET",
            self._url("/limits/"),
            parse=lambda response: parse_limits(
                self.http.json_body(response), taken_at=self.http.now()
            ),
        )

    async def usage(self) -> UsageReading:
        """The daily API usage: one `/limits` call (the same name on every platform client)."""
        return await self.limits()

    async def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a SOQL query; each page is one call."""
        return await self._query_all(self._url("/query/"), soql)

    async def query_many(self, soqls: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
        """Up to 5 queries in one composite call, which "counts as a single call toward your
        API limits" (REST API, Composite); the first page of each (keep each to one page
        with a LIMIT). A query the org refuses raises its own error (its code and message),
        the others' records stand: name -> records, or -> `SubqueryRefused`."""
        if len(soqls) > MAX_COMPOSITE_QUERIES:
            raise ValueError(f"a composite takes at most {MAX_COMPOSITE_QUERIES} queries")
        if not soqls:
            return {}
        subrequests = [
            CompositeSubrequest("GET", f"{self.data_path}/query?{urlencode({'q': soql})}", name)
            for name, soql in soqls.items()
        ]
        payload = {"allOrNone": False, "compositeRequest": [s.as_json() for s in subrequests]}
        results = await self._authorized.request_parsed(
            "POST",
            self._url("/composite"),
            json=payload,
            parse=lambda response: _composite_results(self.http.json_body(response)),
        )
        return {result.reference_id: _subquery_records(result) for result in results}

    async def log_file(
        self, log_file_path: str, consume: Callable[[httpx.Response], Awaitable[T]]
    ) -> T:
        """An EventLogFile's body (`LogFile`, a relative URL), streamed into `consume`: one call.
        Only a relative path on our own instance: the token never leaves the configured host."""
        if not log_file_path.startswith("/services/data/") or "/EventLogFile/" not in log_file_path:
            raise MalformedResponse(SALESFORCE, "EventLogFile.LogFile is not a relative file URL")
        return await self._authorized.stream(self.instance_url + log_file_path, consume=consume)

    async def tooling_query(self, soql: str) -> list[dict[str, Any]]:
        return await self._query_all(self._url("/tooling/query/"), soql)

    async def patch_flow_definition(
        self, flow_definition_id: str, active_version_number: int
    ) -> None:
        """Activate version N of a flow, or deactivate it with 0. Expects 204."""
        await self._authorized.request_parsed(
            "PATCH",
            self._url(f"/tooling/sobjects/FlowDefinition/{_record_id(flow_definition_id)}"),
            json=_flow_activation(active_version_number),
            parse=_ignore_body,
        )

    def flow_definition_subrequest(
        self, flow_definition_id: str, active_version_number: int, reference_id: str
    ) -> CompositeSubrequest:
        """The same PATCH as `patch_flow_definition`, for `tooling_composite`."""
        return CompositeSubrequest(
            method="PATCH",
            url=f"{self.data_path}/tooling/sobjects/FlowDefinition/"
            f"{_record_id(flow_definition_id)}",
            reference_id=reference_id,
            body=_flow_activation(active_version_number),
        )

    async def tooling_composite(
        self, subrequests: Sequence[CompositeSubrequest], all_or_none: bool = False
    ) -> list[CompositeResult]:
        """Up to 25 subrequests in one call; each result carries its own status and errors."""
        if len(subrequests) > MAX_COMPOSITE_SUBREQUESTS:
            raise ValueError(
                f"a composite takes at most {MAX_COMPOSITE_SUBREQUESTS} subrequests, "
                f"got {len(subrequests)}"
            )
        if not subrequests:
            return []
        payload = {
            "allOrNone": all_or_none,
            "compositeRequest": [subrequest.as_json() for subrequest in subrequests],
        }
        # FlowDefinition PATCHes set a value: sending them twice does no harm.
        return await self._authorized.request_parsed(
            "POST",
            self._url("/tooling/composite"),
            json=payload,
            parse=lambda response: _composite_results(self.http.json_body(response)),
            change=Change.IDEMPOTENT,
        )

    def anonymous_body_fits(self, apex: str) -> bool:
        """Whether `apex` keeps the executeAnonymous URI within Salesforce's recommendation."""
        return within_recommended_uri(apex, self.instance_url, self.api_version)

    async def execute_anonymous(
        self, apex: str, *, change: Change = Change.ONCE
    ) -> ExecuteAnonymousResult:
        """Run anonymous Apex (always HTTP 200: read the result). Not allowed in composites.
        By default a body whose answer was lost is not sent again (`System.schedule` twice
        fails as "already scheduled"); `System.abortJob` may say IDEMPOTENT."""
        size = anonymous_url_bytes(apex, self.api_version)
        if size > MAX_ANONYMOUS_URL_BYTES:
            raise ValueError(
                f"anonymous Apex URL would be {size} bytes, over {MAX_ANONYMOUS_URL_BYTES}: "
                "split the body"
            )
        return await self._authorized.request_parsed(
            "GET",
            self._url("/tooling/executeAnonymous/"),
            params={"anonymousBody": apex},
            parse=lambda response: parse_execute_anonymous(self.http.json_body(response)),
            change=change,
        )

    async def execute_anonymous_debugging(self, apex: str) -> DebuggedResult:
        """Anonymous Apex through the Apex SOAP API with a DebuggingHeader: served after
        the org's daily limit is spent, at most 1,000 a day per org (apex_soap.py). Never
        sent twice: a lost answer is settled by a re-read. One fresh token after a 401."""
        tokens = self._authorized.tokens
        token = await tokens.token()
        try:
            return await self._soap_anonymous(apex, token)
        except AuthenticationFailed:
            if not tokens.can_refresh:
                raise
            tokens.invalidate(token)
        return await self._soap_anonymous(apex, await tokens.token())

    async def _soap_anonymous(self, apex: str, token: SecretStr) -> DebuggedResult:
        return await self.http.request_parsed(
            "POST",
            f"{self.instance_url}{soap_path(self.api_version)}",
            content=envelope(apex, token.get_secret_value()),
            headers={**CALL_OPTIONS, **SOAP_HEADERS},
            parse=lambda response: parse_response(response.content),
            change=Change.ONCE,
        )

    def _url(self, path: str) -> str:
        return f"{self.instance_url}{self.data_path}{path}"

    async def _query_all(self, url: str, soql: str) -> list[dict[str, Any]]:
        page = await self._query_page(url, {"q": soql})
        records = list(page.records)
        seen = {url}
        while not page.done:
            next_url = self._next_records_url(page.next_records_url, seen)
            seen.add(next_url)
            page = await self._query_page(next_url, None)
            records.extend(page.records)
        return records

    async def _query_page(self, url: str, params: dict[str, str] | None) -> _QueryPage:
        return await self._authorized.request_parsed(
            "GET",
            url,
            params=params,
            parse=lambda response: _QueryPage.parse(self.http.json_body(response)),
        )

    def _next_records_url(self, next_records_url: str | None, seen: set[str]) -> str:
        # Only a relative path on our own instance: the token never leaves the configured host.
        if not next_records_url or not next_records_url.startswith("/services/data/"):
            raise MalformedResponse(
                SALESFORCE, "query page is not done but has no relative nextRecordsUrl"
            )
        url = self.instance_url + next_records_url
        if url in seen:
            raise MalformedResponse(SALESFORCE, "query paging loops on the same nextRecordsUrl")
        return url


class _QueryPage:
    def __init__(self, records: list[dict[str, Any]], done: bool, next_url: str | None) -> None:
        self.records = records
        self.done = done
        self.next_records_url = next_url

    @classmethod
    def parse(cls, body: Any) -> _QueryPage:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise MalformedResponse(SALESFORCE, "unreadable query response: no 'records' array")
        next_url = body.get("nextRecordsUrl")
        return cls(
            records=[record for record in body["records"] if isinstance(record, dict)],
            done=body.get("done") is not False,
            next_url=next_url if isinstance(next_url, str) else None,
        )


def _composite_results(body: Any) -> list[CompositeResult]:
    items = body.get("compositeResponse") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise MalformedResponse(SALESFORCE, "unreadable composite response: no compositeResponse")
    results = []
    for item in items:
        status = item.get("httpStatusCode") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(status, int):
            raise MalformedResponse(SALESFORCE, "composite item without an httpStatusCode")
        item_body = item.get("body")
        results.append(
            CompositeResult(
                reference_id=str(item.get("referenceId", "")),
                status=status,
                body=item_body,
                errors=parse_error_items(item_body) if status >= 400 else (),
            )
        )
    return results


class SubqueryRefused(list[dict[str, Any]]):
    """A composite's query the org refused: no records, and its error said."""

    def __init__(self, error: SalesforceErrorItem) -> None:
        super().__init__()
        self.error = error


def answered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A composite query's records, or its refusal raised as the error the same query sent
    alone would have raised (for callers that cannot go on without it)."""
    if isinstance(records, SubqueryRefused):
        raise RequestRejected(SALESFORCE, records.error.message, code=records.error.error_code)
    return records


def _subquery_records(result: CompositeResult) -> list[dict[str, Any]]:
    if not result.ok:
        first = result.errors[0] if result.errors else None
        return SubqueryRefused(first or SalesforceErrorItem("UNKNOWN_ERROR", str(result.status)))
    return _QueryPage.parse(result.body).records


def _flow_activation(active_version_number: int) -> dict[str, Any]:
    if isinstance(active_version_number, bool) or active_version_number < 0:
        raise ValueError("active_version_number must be 0 (deactivate) or a version number")
    return {"Metadata": {"activeVersionNumber": active_version_number}}


def _record_id(record_id: str) -> str:
    if not _RECORD_ID.fullmatch(record_id):
        raise ValueError(f"not a Salesforce record id: {record_id!r}")
    return record_id


def _sobject(name: str) -> str:
    if not _SOBJECT_NAME.fullmatch(name):
        raise ValueError(f"not an sObject API name: {name!r}")
    return name


def _created_id(body: Any) -> str:
    record_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(record_id, str) or not _RECORD_ID.fullmatch(record_id):
        raise MalformedResponse(SALESFORCE, "create answered without the new record's id")
    return record_id


def _ignore_body(response: httpx.Response) -> None:
    return None

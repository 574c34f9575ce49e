"""The HTTP face of the org: the gate every request passes (auth, version, daily limit, counting)
and the REST and Tooling endpoints apibrake calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandbox.http import BadRequest, Request, Response, Router
from sandbox.salesforce import errors, ids, permissions
from sandbox.salesforce.apex_soap import SOAP_PREFIX, handle_soap
from sandbox.salesforce.callers import request_caller
from sandbox.salesforce.composite import run_composite
from sandbox.salesforce.limits import limits_payload
from sandbox.salesforce.query import QueryResult, run
from sandbox.salesforce.settings import VERSION_LABELS
from sandbox.salesforce.sobject_rest import SObjectRest, hidden_types
from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.tooling import ToolingWrites

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

TOKEN_PATH = "/services/oauth2/token"
USERINFO_PATH = "/services/oauth2/userinfo"
VERSIONS_PATH = "/services/data"
_API_PREFIX = "/services/data/v"

_EVENT_LOG_OBJECT = frozenset({"apitotalusageeventlog"})  # strict: no aggregates


class SalesforceApi:
    def __init__(self, org: SalesforceOrg) -> None:
        self._org = org
        self._cursors: dict[str, tuple[QueryResult, bool]] = {}  # locator -> (result, tooling)
        self._writes = ToolingWrites(org)
        self._router = Router()
        base = "/services/data/v{version}"
        self._router.add("GET", base, self._resources)
        self._router.add("GET", f"{base}/limits", self._limits)
        self._router.add("GET", f"{base}/query", self._query)
        self._router.add("GET", f"{base}/query/{{locator}}", self._next_page)
        self._router.add("GET", f"{base}/tooling/query", self._tooling_query)
        self._router.add("GET", f"{base}/tooling/query/{{locator}}", self._tooling_next_page)
        self._router.add(
            "PATCH", f"{base}/tooling/sobjects/FlowDefinition/{{record_id}}", self._patch_flow
        )
        self._router.add("POST", f"{base}/tooling/composite", self._composite)
        self._router.add("POST", f"{base}/composite", self._data_composite)
        self._router.add("GET", f"{base}/tooling/executeAnonymous", self._execute_anonymous)
        self._router.add(
            "GET", f"{base}/sobjects/EventLogFile/{{record_id}}/LogFile", self._log_file
        )
        rest = SObjectRest(org)
        self._router.add("GET", f"{base}/sobjects", rest.describe_global)
        self._router.add("GET", f"{base}/sobjects/{{sobject}}/describe", rest.describe)
        self._router.add("POST", f"{base}/sobjects/{{sobject}}", rest.create)
        self._router.add("PATCH", f"{base}/sobjects/{{sobject}}/{{record_id}}", rest.update)
        self._router.add("DELETE", f"{base}/sobjects/{{sobject}}/{{record_id}}", rest.delete)

    # --- the gate ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        org, now = self._org, self._org.clock.now()
        path = request.path.rstrip("/") or "/"
        if (
            len(request.path) + len(urlencode(request.query, doseq=True))
            > org.settings.max_url_chars
        ):
            return errors.error(414, "URI_TOO_LONG", "Request-URI Too Large")
        if path == TOKEN_PATH:
            if request.method != "POST":
                return errors.not_found()
            granted = org.sessions.token_endpoint(request, now, _instance_url(request))
            if granted.status == 200:
                org.record_login(now)
            return granted
        if path == USERINFO_PATH and request.method == "GET":
            return org.sessions.userinfo(request, now, _instance_url(request))
        if path == VERSIONS_PATH and request.method == "GET":
            return Response.json(200, self._versions())  # free: not counted
        if path.startswith(SOAP_PREFIX):
            return handle_soap(org, request)  # its own gate: the DebuggingHeader allocation
        if not path.startswith(_API_PREFIX):
            return errors.not_found()
        if not org.sessions.is_valid(request.bearer_token(), now):
            return errors.invalid_session()
        version = path[len(_API_PREFIX) :].split("/", 1)[0]
        if version not in org.settings.api_versions:
            return errors.not_found()
        if not org.settings.grants(permissions.API_ENABLED):
            return permissions.api_disabled()
        used, _ = org.usage()
        if used >= org.hard_cap():
            # Refused calls are not counted.
            return self._with_limit_info(errors.total_requests_exceeded())
        org.count_call(request_caller(org.settings, request))
        matched = self._router.match(request.method, path)
        if matched is None:
            return self._with_limit_info(errors.not_found())
        handler, params = matched
        request.params = params
        try:
            response = handler(request)
        except BadRequest as exc:
            response = errors.error(400, "JSON_PARSER_ERROR", str(exc))
        return self._with_limit_info(response)

    def _with_limit_info(self, response: Response) -> Response:
        used, limit = self._org.usage()
        extra = self._org.settings.limit_info_extra
        response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{limit}{extra}"
        return response

    def _versions(self) -> list[dict[str, str]]:
        return [
            {"label": VERSION_LABELS.get(v, f"v{v}"), "url": f"/services/data/v{v}", "version": v}
            for v in self._org.settings.api_versions
        ]

    # --- reading ---------------------------------------------------------------------------------

    def _resources(self, request: Request) -> Response:
        base = f"/services/data/v{request.params['version']}"
        names = ("limits", "query", "tooling", "sobjects", "composite")
        return Response.json(200, {name: f"{base}/{name}" for name in names})

    def _limits(self, request: Request) -> Response:
        if not self._org.settings.grants(permissions.VIEW_SETUP):
            return permissions.insufficient_access()
        used, _ = self._org.usage()
        return Response.json(200, limits_payload(self._org.settings, used))

    def _query(self, request: Request) -> Response:
        return self._run_query(request, tooling=False)

    def _tooling_query(self, request: Request) -> Response:
        return self._run_query(request, tooling=True)

    def _run_query(self, request: Request, *, tooling: bool) -> Response:
        soql = request.arg("q")
        if not soql:
            return errors.error(400, "MALFORMED_QUERY", "A query string has to be specified")
        version = request.params["version"]
        base = f"/services/data/v{version}" + ("/tooling" if tooling else "")
        hidden = self._hidden_objects() | hidden_types(self._org)
        aggregates = self._org.settings.event_log_object_aggregates
        try:
            result = run(
                soql,
                self._org.records,
                self._org.clock.now(),
                tooling=tooling,
                base=base,
                hidden=hidden,
                no_aggregates=frozenset() if aggregates else _EVENT_LOG_OBJECT,
                missing_fields=frozenset(
                    f.lower() for f in self._org.settings.missing_permission_fields
                ),
            )
        except SoqlError as exc:
            return errors.error(400, exc.error_code, exc.message)
        if result.object_name == "ApexClass" and self._org.settings.symbol_table_null_after_first:
            for record in result.records[1:]:
                if "SymbolTable" in record:
                    record["SymbolTable"] = None
        locator = self._org.ids.new(ids.QUERY_LOCATOR) if result.records else ""
        if locator:
            self._cursors[locator] = (result, tooling)
        return Response.json(200, self._page(result, tooling, version, locator, 0))

    def _hidden_objects(self) -> frozenset[str]:
        settings = self._org.settings
        hidden: frozenset[str] = frozenset()
        if not settings.grants(permissions.VIEW_SETUP):
            hidden |= permissions.SETUP_OBJECTS | permissions.PERMISSION_SET_OBJECTS
            if not settings.grants(permissions.MANAGE_USERS):
                hidden |= permissions.PERMISSION_ASSIGNMENT_OBJECTS
        if not settings.grants(permissions.VIEW_EVENT_LOG_FILES):
            hidden |= permissions.EVENT_LOG_OBJECTS
        if not settings.event_monitoring_licensed or not settings.grants(
            permissions.VIEW_EVENT_LOG_OBJECT_DATA
        ):
            hidden |= permissions.LICENSED_OBJECTS
        if not (
            settings.grants(permissions.MANAGE_USERS)
            or settings.grants(permissions.MONITOR_LOGIN_HISTORY)
        ):
            hidden |= permissions.LOGIN_HISTORY_OBJECTS
        return hidden

    def _log_file(self, request: Request) -> Response:
        """The file's CSV, streamed (docs/platform-notes.md A1: octetstream, chunked)."""
        logs = self._org.records.event_logs
        if not self._org.settings.grants(permissions.VIEW_EVENT_LOG_FILES) or logs is None:
            return errors.not_found()
        file = logs.file(request.params["record_id"], self._org.clock.now())
        if file is None:
            return errors.not_found()
        return Response(
            200, headers={"Content-Type": "application/octetstream"}, stream=logs.body(file)
        )

    def _next_page(self, request: Request) -> Response:
        return self._cursor_page(request, tooling=False)

    def _tooling_next_page(self, request: Request) -> Response:
        return self._cursor_page(request, tooling=True)

    def _cursor_page(self, request: Request, *, tooling: bool) -> Response:
        locator, _, offset_text = request.params["locator"].rpartition("-")
        cursor = self._cursors.get(locator)
        if cursor is None or cursor[1] != tooling or not offset_text.isdigit():
            return errors.error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        page = self._page(cursor[0], tooling, request.params["version"], locator, int(offset_text))
        return Response.json(200, page)

    def _page(
        self, result: QueryResult, tooling: bool, version: str, locator: str, offset: int
    ) -> dict[str, Any]:
        size = self._org.settings.query_page_size
        records = result.records[offset : offset + size]
        done = offset + size >= len(result.records)
        next_locator = None if done else f"{locator}-{offset + size}"
        prefix = f"/services/data/v{version}" + ("/tooling" if tooling else "")
        payload: dict[str, Any] = {}
        if tooling:
            payload["size"] = len(result.records)
        payload["totalSize"] = len(result.records)
        payload["done"] = done
        if tooling:
            payload["queryLocator"] = next_locator
            payload["entityTypeName"] = result.object_name
        if next_locator:
            payload["nextRecordsUrl"] = f"{prefix}/query/{next_locator}"
        payload["records"] = records
        return payload

    # --- writing ---------------------------------------------------------------------------------

    def _patch_flow(self, request: Request) -> Response:
        return self._writes.patch_flow(request.params["record_id"], request.json())

    def _composite(self, request: Request) -> Response:
        return self._writes.composite(request.json())

    def _data_composite(self, request: Request) -> Response:
        """Queries in one call (counted once, at the gate)."""
        return run_composite(request.json(), request.headers, self._composite_query)

    def _composite_query(self, request: Request) -> Response:
        if request.params["version"] not in self._org.settings.api_versions:
            return errors.not_found()
        return self._query(request)

    def _execute_anonymous(self, request: Request) -> Response:
        body = request.arg("anonymousBody")
        if not self._org.settings.grants(permissions.AUTHOR_APEX):
            return permissions.insufficient_access()
        if body is None:
            return errors.error(400, "MISSING_ARGUMENT", "anonymousBody: parameter is required")
        return Response.json(200, self._writes.execute_anonymous(body).payload())


def _instance_url(request: Request) -> str:
    # The org's URL is wherever the client reached it.
    return f"http://{request.headers.get('Host') or '127.0.0.1'}"

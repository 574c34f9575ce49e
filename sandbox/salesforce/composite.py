"""The REST composite (`POST /services/data/vXX.X/composite`) for what apibrake sends it:
queries. "The entire series of requests counts as a single call toward your API limits";
up to 25 subrequests, "up to 5 of these subrequests can be sObject Collections or query
operations" (REST API Developer Guide, Composite: docs/platform-notes.md S3). Subrequests
run in the caller's context, so a query the user may not see fails on its own, as a
subrequest, while the others answer (allOrNone false)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.http import Request, Response
from sandbox.salesforce import errors

MAX_SUBREQUESTS = 25
MAX_QUERY_SUBREQUESTS = 5
_QUERY_URL = re.compile(r"^/services/data/v([^/]+)/query/?$")


def run_composite(
    body: Any, headers: Message, run_query: Callable[[Request], Response]
) -> Response:
    """Each GET query subrequest answered by `run_query` (the org's own query endpoint);
    anything else is refused per subrequest, as the sandbox serves no other kind here."""
    items = subrequests(body)
    if isinstance(items, Response):
        return items
    queries = [item for item in items if isinstance(item, dict) and _query_path(item)]
    if len(queries) > MAX_QUERY_SUBREQUESTS:
        return errors.error(
            400,
            "LIMIT_EXCEEDED",
            f"Limit Exceeded: at most {MAX_QUERY_SUBREQUESTS} query subrequests in a composite",
        )
    results = [_answer(item, headers, run_query) for item in items]
    return Response.json(200, {"compositeResponse": results})


def subrequests(body: Any) -> list[Any] | Response:
    """A composite body's subrequests, or the error either composite answers a bad one with."""
    items = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return errors.error(400, "JSON_PARSER_ERROR", "compositeRequest is required")
    if len(items) > MAX_SUBREQUESTS:
        return errors.error(
            400,
            "LIMIT_EXCEEDED",
            f"Limit Exceeded: a composite request can contain at most {MAX_SUBREQUESTS} "
            "subrequests",
        )
    return items


def _answer(
    item: Any, headers: Message, run_query: Callable[[Request], Response]
) -> dict[str, Any]:
    item = item if isinstance(item, dict) else {}
    found = _query_path(item)
    if str(item.get("method", "")).upper() != "GET" or found is None:
        response = errors.error(
            400,
            "NOT_SUPPORTED",
            "The sandbox's REST composite runs only GET /services/data/vXX.X/query?q=...",
        )
    else:
        path, version, query = found
        request = Request("GET", path, query, headers, params={"version": version})
        response = run_query(request)
    return result(item, response)


def result(item: Any, response: Response) -> dict[str, Any]:
    """One subrequest's entry in `compositeResponse`."""
    reference = item.get("referenceId") if isinstance(item, dict) else None
    return {
        "body": json.loads(response.body) if response.body else None,
        "httpHeaders": {},
        "httpStatusCode": response.status,
        "referenceId": reference,
    }


def _query_path(item: dict[str, Any]) -> tuple[str, str, dict[str, list[str]]] | None:
    parts = urlsplit(str(item.get("url", "")))
    matched = _QUERY_URL.match(parts.path)
    if matched is None:
        return None
    return parts.path, matched.group(1), parse_qs(parts.query, keep_blank_values=True)

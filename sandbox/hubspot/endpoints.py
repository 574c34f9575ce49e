"""The HTTP endpoints: OAuth refresh, account usage and details, v4 flows.

The version segment is a route parameter, so dated twins (`/automation/2026-09-beta/flows`,
`/account-info/2026-03/...`) answer like v3/v4.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sandbox.http import Handler, Request, Response, Router
from sandbox.hubspot import errors, flows
from sandbox.hubspot.settings import SERVED_VERSIONS
from sandbox.hubspot.timestamps import iso_millis, iso_seconds

if TYPE_CHECKING:
    from sandbox.hubspot.portal import HubSpotPortal

USAGE_NAME = "private-apps-api-calls-daily"


def register_endpoints(portal: HubSpotPortal, open_routes: Router, routes: Router) -> None:
    def served(api: str, handler: Handler) -> Handler:
        """Only the versions HubSpot serves; a retired one answers as a removed endpoint."""

        def gate(request: Request) -> Response:
            version = request.params.get("version", "")
            retired = f"{api}:{version}" in portal.settings.retired_versions
            if version not in SERVED_VERSIONS[api] or retired:
                return errors.error(404, f"No route for /{api}/{version}", "OBJECT_NOT_FOUND")
            return handler(request)

        return gate

    open_routes.add(
        "POST", "/oauth/{version}/token", served("oauth", lambda r: _refresh_token(portal, r))
    )
    routes.add(
        "GET",
        "/account-info/{version}/api-usage/daily/private-apps",
        served("account-info", lambda r: _daily_usage(portal, r)),
    )
    routes.add(
        "GET",
        "/account-info/{version}/details",
        served("account-info", lambda r: _details(portal, r)),
    )
    flows_api = [
        ("GET", "/automation/{version}/flows", _list_flows),
        ("POST", "/automation/{version}/flows", _create_flow),
        ("POST", "/automation/{version}/flows/batch/read", _batch_read),
        ("GET", "/automation/{version}/flows/{flowId}", _get_flow),
        ("PUT", "/automation/{version}/flows/{flowId}", _put_flow),
    ]
    for method, path, handler in flows_api:
        routes.add(method, path, served("automation", partial(handler, portal)))


def _refresh_token(portal: HubSpotPortal, request: Request) -> Response:
    form, settings = request.form(), portal.settings
    dated = request.params.get("version") != "v1"  # /oauth/2026-03/token answers richer
    problem = None
    if form.get("grant_type") != "refresh_token":
        problem = ("BAD_GRANT_TYPE", "missing or unknown grant type")
    elif form.get("client_id") != settings.oauth_client_id:
        problem = ("BAD_CLIENT_ID", "missing or unknown client ID")
    elif form.get("client_secret") != settings.oauth_client_secret:
        problem = ("BAD_CLIENT_SECRET", "missing or invalid client secret")
    elif form.get("refresh_token") != settings.refresh_token:
        problem = ("BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked")
    if problem is not None:
        if not dated:
            return errors.oauth_error(*problem)
        status, message = problem
        return Response.json(
            400,
            {
                "error": "invalid_grant" if status == "BAD_REFRESH_TOKEN" else "invalid_client",
                "error_description": message,
                "status": status,
                "message": message,
            },
        )
    body = {
        "token_type": "bearer",
        "refresh_token": settings.refresh_token,
        "access_token": portal.tokens.issue(),
        "expires_in": int(settings.oauth_token_ttl.total_seconds()),
    }
    if dated:
        body["token_use"] = "access_token"
        body.update(hub_id=settings.portal_id, scopes=["automation", "oauth"])
    return Response.json(200, body)


def _daily_usage(portal: HubSpotPortal, request: Request) -> Response:
    """Up to 2026-09 the figure counts legacy private apps only; 2027-03-beta counts every
    app type (service keys too) in one pool and breaks it down in usageByAppType."""
    settings, now = portal.settings, portal.clock.now()
    every_app = request.params.get("version") == "2027-03-beta"
    if every_app and settings.beta_usage == "refused":
        return errors.error(
            403, "This portal is not enrolled in the 2027-03 beta", "MISSING_SCOPES"
        )
    reset = portal.counter.next_reset(now)
    service_keys = portal.service_key_counter.calls
    total = portal.counter.calls
    collected_at, figure = now, total if every_app else total - service_keys
    status = settings.usage_fetch_status
    if every_app and settings.beta_usage == "notfound":
        status = "NOTFOUND"
    if settings.usage_cache_minutes > 0:
        snapshot = portal.usage_snapshot
        cache_age = timedelta(minutes=settings.usage_cache_minutes)
        day_start = reset - timedelta(days=1)
        if snapshot is None or now - snapshot[0] >= cache_age or snapshot[0] < day_start:
            portal.usage_snapshot = (now, figure)
        else:
            collected_at, figure = snapshot
            if status == "SUCCESS":
                status = "CACHED"
    entry: dict[str, Any] = {
        "name": settings.beta_usage_entry_name if every_app else USAGE_NAME,
        "usageLimit": settings.daily_limit,
        "currentUsage": figure,
        "collectedAt": iso_millis(collected_at),
        "fetchStatus": status,
    }
    if every_app:
        entry["usageByAppType"] = [
            {"appType": "LEGACY_PRIVATE_APP", "currentUsage": total - service_keys},
            {"appType": "SERVICE_KEY", "currentUsage": service_keys},
        ]
    if status == "NOTFOUND":
        del entry["currentUsage"]
    if settings.include_resets_at:
        entry["resetsAt"] = iso_seconds(reset)
    results = [entry]
    if settings.extra_usage_entries:
        # Other limits first: a client trusting results[0] reads the wrong figure.
        others = [
            ("search-api-calls-daily", 50_000, 42),
            ("private-apps-api-calls-ten-secondly", settings.burst_limit, 1),
        ]
        results = [
            {
                "name": name,
                "usageLimit": limit,
                "currentUsage": used,
                "collectedAt": iso_millis(now),
                "fetchStatus": "SUCCESS",
            }
            for name, limit, used in others
        ] + results
    return Response.json(200, {"results": results})


def _details(portal: HubSpotPortal, request: Request) -> Response:
    offset = portal.clock.now().astimezone(portal.zone).utcoffset() or timedelta(0)
    offset_ms = int(offset.total_seconds() * 1000)
    sign, minutes = ("-" if offset_ms < 0 else "+"), abs(offset_ms) // 60_000
    return Response.json(
        200,
        {
            "portalId": portal.settings.portal_id,
            "accountType": "STANDARD",
            "timeZone": portal.settings.time_zone,
            "companyCurrency": "USD",
            "additionalCurrencies": [],
            "utcOffset": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
            "utcOffsetMilliseconds": offset_ms,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        },
    )


def _list_flows(portal: HubSpotPortal, request: Request) -> Response:
    after, limit_arg = request.arg("after", "0") or "0", request.arg("limit", "100") or "100"
    if not after.isdigit() or not limit_arg.isdigit() or int(limit_arg) < 1:
        return errors.error(
            400,
            "Invalid paging parameters",
            "VALIDATION_ERROR",
            context={"after": [after], "limit": [limit_arg]},
        )
    start, limit = int(after), min(int(limit_arg), portal.settings.list_page_max)
    ordered = list(portal.flows.values())
    page = ordered[start : start + limit]
    body: dict[str, Any] = {"results": [flows.listing(flow) for flow in page]}
    if start + limit < len(ordered):
        next_after = str(start + limit)
        host = request.headers.get("Host", "api.hubapi.com")
        link = f"http://{host}{request.path}?after={next_after}&limit={limit}"
        body["paging"] = {"next": {"after": next_after, "link": link}}
    return Response.json(200, body)


def _create_flow(portal: HubSpotPortal, request: Request) -> Response:
    body = request.json()
    problems = flows.create_problems(body)
    if problems:
        return errors.error(
            400, "Invalid request to create flow", "VALIDATION_ERROR", errors=problems
        )
    return Response.json(201, portal.create_workflow(body))


def _flow_not_found(flow_id: str) -> Response:
    return errors.error(
        404, f"Could not find flow with id {flow_id}", "OBJECT_NOT_FOUND", context={"id": [flow_id]}
    )


def _get_flow(portal: HubSpotPortal, request: Request) -> Response:
    flow = portal.flows.get(request.params["flowId"])
    if flow is None:
        return _flow_not_found(request.params["flowId"])
    return Response.json(200, flow)


def _batch_read(portal: HubSpotPortal, request: Request) -> Response:
    body = request.json()
    inputs = body.get("inputs") if isinstance(body, dict) else None
    valid = isinstance(inputs, list) and all(
        isinstance(item, dict)
        and isinstance(item.get("flowId"), str)
        and item.get("type", "FLOW_ID") == "FLOW_ID"
        for item in inputs
    )
    if not valid or inputs is None:
        return errors.error(
            400,
            'Invalid input: expected {"inputs":[{"flowId":"<id>","type":"FLOW_ID"}]}',
            "VALIDATION_ERROR",
        )
    if len(inputs) > portal.settings.batch_read_max_inputs:
        return errors.error(
            400,
            f"Batch input must contain at most {portal.settings.batch_read_max_inputs} inputs",
            "VALIDATION_ERROR",
            context={"inputs": [str(len(inputs))]},
        )
    started = iso_millis(portal.clock.now())
    wanted = list(dict.fromkeys(item["flowId"] for item in inputs))
    missing = [flow_id for flow_id in wanted if flow_id not in portal.flows]
    result: dict[str, Any] = {
        "status": "COMPLETE",
        "results": [copy.deepcopy(portal.flows[i]) for i in wanted if i in portal.flows],
        "startedAt": started,
        "completedAt": iso_millis(portal.clock.now()),
    }
    if not missing:
        return Response.json(200, result)
    result["numErrors"] = 1
    result["errors"] = [
        {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not find some flows, they may be deleted or not exist.",
            "context": {"ids": missing},
            "errors": [],
            "links": {},
        }
    ]
    return Response.json(207, result)


def _refused_as_reported(portal: HubSpotPortal, stored: dict[str, Any]) -> bool:
    """The strict modes: updates third parties report HubSpot refusing, with no detail."""
    settings = portal.settings
    branching = any(a.get("type") == "LIST_BRANCH" for a in stored.get("actions") or [])
    return (settings.refuse_branch_updates and branching) or (
        settings.refuse_enabled_updates and stored.get("isEnabled") is True
    )


def _put_flow(portal: HubSpotPortal, request: Request) -> Response:
    flow_id = request.params["flowId"]
    stored = portal.flows.get(flow_id)
    if stored is None:
        return _flow_not_found(flow_id)
    body = request.json()
    problems = flows.put_problems(body, stored)
    if problems:
        context: dict[str, list[str]] = {}
        for problem in problems:
            context.setdefault(problem.get("code", "INVALID"), []).append(problem.get("in", ""))
        return errors.error(
            400, errors.UPDATE_REJECTED, "VALIDATION_ERROR", context=context, errors=problems
        )
    if _refused_as_reported(portal, stored):
        return errors.error(400, errors.UPDATE_REJECTED, "VALIDATION_ERROR")
    if body["revisionId"] != stored["revisionId"]:
        status = portal.settings.stale_revision_status
        return errors.error(
            status,
            errors.UPDATE_REJECTED,
            "CONFLICT" if status == 409 else "VALIDATION_ERROR",
            context={
                "revisionId": [body["revisionId"]],
                "currentRevisionId": [stored["revisionId"]],
            },
            errors=[
                {
                    "message": f"revisionId {body['revisionId']} is not the latest revision",
                    "in": "revisionId",
                    "code": "STALE_REVISION",
                }
            ],
        )
    portal.accrue()  # calls up to now were spent with the flow as it was
    updated = flows.replaced(stored, body, portal.clock.now())
    portal.flows[flow_id] = updated
    portal.record_put(stored, updated)
    return Response.json(200, updated)

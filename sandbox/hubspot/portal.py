"""The simulated portal: its state, the gate every request passes, and the state API for tests."""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.audit import AuditLog, Mutation
from sandbox.clock import VirtualClock
from sandbox.faults import Fault, FaultKind
from sandbox.http import BadRequest, Request, Response, Router
from sandbox.hubspot import errors, flows
from sandbox.hubspot.auth import Caller, TokenBook
from sandbox.hubspot.endpoints import register_endpoints
from sandbox.hubspot.limits import BurstWindow, DailyCounter
from sandbox.hubspot.settings import HubSpotSettings, required_scope
from sandbox.hubspot.timestamps import iso_millis
from sandbox.hubspot.workload import WorkflowLoad
from sandbox.salesforce.changes import Driver


class HubSpotPortal:
    """One HubSpot account. Every state method takes `lock`; the server holds it around `handle`."""

    name = "hubspot"

    def __init__(
        self, clock: VirtualClock, audit: AuditLog, settings: HubSpotSettings | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.audit = audit
        self.settings = settings or HubSpotSettings()
        self.zone = ZoneInfo(self.settings.time_zone)
        self.tokens = TokenBook(self.settings, clock)
        self.counter = DailyCounter(self.zone, clock.now())  # every call, one daily pool
        # Of which service-key calls: only the 2027-03-beta usage figure counts these.
        self.service_key_counter = DailyCounter(self.zone, clock.now())
        self.burst = BurstWindow()
        self.flows: dict[str, dict[str, Any]] = {}
        self.usage_snapshot: tuple[datetime, int] | None = None  # (collectedAt, figure)
        self._loads: dict[str, WorkflowLoad] = {}
        # Every call the workflows' custom code ever spent (the score measures its tail).
        self.custom_code_calls_total = 0.0
        self._accrued_to = clock.now()
        self._background_rate = 0.0
        self._last_flow_number = 585_051_900
        self._open_routes = Router()  # no token, not counted
        self._routes = Router()
        register_endpoints(self, self._open_routes, self._routes)

    # -- serving -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            found = self._open_routes.match(request.method, request.path)
            if found:
                return self._dispatch(request, *found)
            token = request.bearer_token()
            caller = self.tokens.identify(token)
            if caller is Caller.UNKNOWN or token is None:
                return errors.error(401, errors.NO_CREDENTIALS, "INVALID_AUTHENTICATION")
            if caller is Caller.EXPIRED:
                return errors.error(401, errors.EXPIRED_TOKEN, "EXPIRED_AUTHENTICATION")
            self.accrue()
            if self.counter.calls >= self.settings.daily_limit:
                return errors.daily_limit_reached(self._limit_headers(token, caller))
            if not self._burst_exempt(request) and not self.burst.admit(
                token, self.settings.burst_limit, self.settings.burst_interval_ms
            ):
                return errors.burst_limit_reached(self._limit_headers(token, caller))
            self.counter.add(1)
            if caller is Caller.SERVICE_KEY:
                self.service_key_counter.add(1)
            found = self._routes.match(request.method, request.path)
            scope = required_scope(request.path)
            if not self.settings.grants(scope):
                response = errors.missing_scopes([str(scope)])
            elif found:
                response = self._dispatch(request, *found)
            else:
                response = errors.error(404, "resource not found", "OBJECT_NOT_FOUND")
            response.headers.update(self._limit_headers(token, caller))
            return response

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        if fault.kind is FaultKind.STATUS:
            return errors.error_for_status(fault.status)
        if fault.kind is FaultKind.BURST_LIMIT:
            return errors.burst_limit_reached()
        if fault.kind is FaultKind.DAILY_LIMIT:
            return errors.daily_limit_reached()
        if fault.kind is FaultKind.EXPIRED_TOKEN:
            return errors.error(401, errors.EXPIRED_TOKEN, "EXPIRED_AUTHENTICATION")
        return None

    @staticmethod
    def _dispatch(request: Request, handler: Any, params: dict[str, str]) -> Response:
        request.params = params
        try:
            response: Response = handler(request)
        except BadRequest as exc:
            return errors.error(400, f"Invalid input JSON: {exc}", "VALIDATION_ERROR")
        return response

    @staticmethod
    def _burst_exempt(request: Request) -> bool:
        # HubSpot exempts flow updates from the ten-secondly limit.
        return request.method == "PUT" and "/flows/" in request.path

    def _limit_headers(self, token: str, caller: Caller) -> dict[str, str]:
        settings = self.settings
        burst_used = self.burst.used(token, settings.burst_interval_ms)
        headers = {
            "X-HubSpot-RateLimit-Max": str(settings.burst_limit),
            "X-HubSpot-RateLimit-Remaining": str(max(settings.burst_limit - burst_used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(settings.burst_interval_ms),
            # Recorded responses also carry these (per-second figures, a correlation id).
            "X-HubSpot-RateLimit-Secondly": str(max(settings.burst_limit // 10, 1)),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(settings.burst_limit // 10, 1)),
            "X-HubSpot-Correlation-Id": str(uuid.uuid4()),
        }
        if caller is Caller.PRIVATE_APP:
            remaining = max(settings.daily_limit - self.counter.calls, 0)
            headers["X-HubSpot-RateLimit-Daily"] = str(settings.daily_limit)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(remaining)
        return headers

    # -- state API -----------------------------------------------------------------------------

    def accrue(self) -> None:
        """Spend the background's calls and the enabled workflows' custom-code calls from the
        last accrual to now."""
        with self.lock:
            now = self.clock.now()
            custom_code = sum(load.portal_calls_per_hour for load in self._running_loads().values())
            hours = max((now - self._accrued_to).total_seconds(), 0.0) / 3600
            self.custom_code_calls_total += custom_code * hours
            self._accrued_to = max(now, self._accrued_to)
            self.counter.run_until(now, self._background_rate + custom_code)
            self.service_key_counter.run_until(self.clock.now(), 0.0)  # its midnight reset

    def create_workflow(self, body: dict[str, Any]) -> dict[str, Any]:
        """A workflow created through the API (POST): the body as sent, with the fields only
        the server sets; it enrolls nothing here (no load)."""
        created = self.add_workflow(
            str(body.get("name") or ""),
            enabled=bool(body["isEnabled"]),
            object_type_id=str(body["objectTypeId"]),
            type=str(body["type"]),
            flow_type=str(body["flowType"]),
            actions=list(body["actions"]),
        )
        with self.lock:
            flow = self.flows[created["id"]]
            flow.update(copy.deepcopy({k: v for k, v in body.items() if k != "id"}))
            flow["startActionId"] = body.get("startActionId", created.get("startActionId"))
            return copy.deepcopy(flow)

    def add_workflow(
        self,
        name: str,
        *,
        flow_id: str | None = None,
        enabled: bool = True,
        object_type_id: str = "0-1",
        type: str = "CONTACT_FLOW",
        flow_type: str = "WORKFLOW",
        enrolments_per_hour: float = 0.0,
        custom_code_calls: float = 0.0,
        salesforce_actions: float = 0.0,
        actions: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A workflow enrolling `enrolments_per_hour` records while enabled; per enrolment
        its custom-code actions make `custom_code_calls` portal calls and its Salesforce
        actions `salesforce_actions` (carried out by the connector, on Salesforce's limit)."""
        load = WorkflowLoad(enrolments_per_hour, custom_code_calls, salesforce_actions)
        if actions is None and custom_code_calls > 0:
            actions = flows.custom_code_actions()
        with self.lock:
            self.accrue()
            if flow_id is None:
                self._last_flow_number += 1
                while str(self._last_flow_number) in self.flows:
                    self._last_flow_number += 1
                flow_id = str(self._last_flow_number)
            if flow_id in self.flows:
                raise ValueError(f"flow {flow_id} already exists")
            flow = flows.new_flow(
                flow_id,
                name,
                enabled=enabled,
                object_type_id=object_type_id,
                flow_kind=type,
                flow_type=flow_type,
                actions=actions,
                at=self.clock.now(),
            )
            self.flows[flow_id] = flow
            self._loads[flow_id] = load
            return copy.deepcopy(flow)

    def workflow(self, flow_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.flows[flow_id])

    def workflows(self) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(flow) for flow in self.flows.values()]

    def edit_workflow_by_hand(self, flow_id: str, **changes: Any) -> dict[str, Any]:
        """A person edits the flow in HubSpot's UI: a new revision, audited as `human`."""
        with self.lock:
            self.accrue()
            stored = self.flows[flow_id]
            edited = {**copy.deepcopy(stored), **copy.deepcopy(changes)}
            edited["revisionId"] = flows.bump_revision(stored["revisionId"])
            edited["updatedAt"] = iso_millis(self.clock.now())
            self.flows[flow_id] = edited
            self.record_put(stored, edited, actor="human")
            return copy.deepcopy(edited)

    def record_put(self, before: dict[str, Any], after: dict[str, Any], actor: str = "api") -> None:
        self.audit.record(
            Mutation(
                at=self.clock.now(),
                platform=self.name,
                kind="workflow_put",
                target=before["id"],
                before={"isEnabled": before.get("isEnabled"), "revisionId": before["revisionId"]},
                after={"isEnabled": after.get("isEnabled"), "revisionId": after["revisionId"]},
                actor=actor,
            )
        )

    def set_workflow_rate(self, flow_id: str, enrolments_per_hour: float) -> None:
        """A workflow's enrolments change pace from now on (a spike, or calm)."""
        with self.lock:
            self.accrue()
            if flow_id not in self.flows:
                raise KeyError(flow_id)
            self._loads[flow_id] = replace(
                self._loads[flow_id], enrolments_per_hour=enrolments_per_hour
            )

    def salesforce_actions_now(self) -> list[tuple[Driver, float]]:
        """Salesforce actions an hour the enabled workflows ask the connector for (it is
        wired to the org's connector as one of its feeds)."""
        with self.lock:
            return [
                (Driver(f"workflow:{flow_id}", "HubSpot"), load.salesforce_actions_per_hour)
                for flow_id, load in self._running_loads().items()
                if load.salesforce_actions_per_hour > 0
            ]

    def _running_loads(self) -> dict[str, WorkflowLoad]:
        return {
            flow_id: load
            for flow_id, load in self._loads.items()
            if self.flows[flow_id]["isEnabled"]
        }

    def set_background_rate(self, calls_per_hour: float) -> None:
        """Calls per hour from everything else in the portal (other apps, integrations)."""
        with self.lock:
            self.accrue()
            self._background_rate = calls_per_hour

    def add_usage(self, calls: int) -> None:
        """Calls an app (a private app, a service key) made just now."""
        with self.lock:
            self.accrue()
            self.counter.add(calls)

    def usage(self) -> tuple[int, int]:
        """(calls spent today, daily limit), after accruing to now."""
        with self.lock:
            self.accrue()
            return self.counter.calls, self.settings.daily_limit

    def expire_tokens(self) -> None:
        """Every OAuth access token issued so far expires now."""
        with self.lock:
            self.tokens.expire_all()

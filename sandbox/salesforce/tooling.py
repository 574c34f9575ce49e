"""The Tooling API writes: flow activation by PATCH or composite, and anonymous Apex."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.http import Response
from sandbox.salesforce import errors, permissions
from sandbox.salesforce.apex import (
    AbortJob,
    ApexCompileError,
    ApexException,
    ApexResult,
    Statement,
    parse,
)
from sandbox.salesforce.composite import result, subrequests

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

_FLOW_URL = re.compile(r"^/services/data/v([^/]+)/tooling/sobjects/FlowDefinition/([^/]+)/?$")
_HALTED = errors.error_body(
    "PROCESSING_HALTED",
    "The transaction was rolled back since another operation in the same transaction failed.",
)


class ToolingWrites:
    def __init__(self, org: SalesforceOrg) -> None:
        self._org = org

    # --- flows -----------------------------------------------------------------------------------

    def patch_flow(self, record_id: str, body: Any) -> Response:
        flow = self._org.flow_by_id(record_id)
        if flow is None:
            return errors.not_found()
        if not self._org.settings.grants(permissions.MANAGE_FLOWS):
            return permissions.read_only_object(record_id)
        metadata = body.get("Metadata") if isinstance(body, dict) else None
        if not isinstance(metadata, dict) or "activeVersionNumber" not in metadata:
            return errors.error(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "The sandbox updates only Metadata.activeVersionNumber of a FlowDefinition",
            )
        number = metadata["activeVersionNumber"]
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
            return errors.error(
                400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of int from {number!r}"
            )
        if flow.namespace and not self._org.settings.managed_flows_editable:
            return errors.error(
                400,
                "CANNOT_MODIFY_MANAGED_OBJECT",
                "Cannot modify managed object: entity=FlowDefinition, component="
                f"{flow.id[:15]}, field=ActiveVersion, state=installed",
            )
        if number and flow.version(number) is None:
            return errors.error(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"The flow version {number} of {flow.developer_name} doesn't exist.",
                ["activeVersionNumber"],
            )
        self._org.set_active_version(flow, number or None)
        return Response.empty(204)

    def composite(self, body: Any) -> Response:
        items = subrequests(body)
        if isinstance(items, Response):
            return items
        all_or_none = bool(body.get("allOrNone", False))
        if all_or_none:
            self._org.begin()
        results: list[dict[str, Any]] = []
        failed_at: int | None = None
        for index, item in enumerate(items):
            response = self._subrequest(item if isinstance(item, dict) else {})
            results.append(result(item, response))
            if all_or_none and response.status >= 400:
                failed_at = index
                break
        if not all_or_none:
            return Response.json(200, {"compositeResponse": results})
        if failed_at is None:
            self._org.commit()
            return Response.json(200, {"compositeResponse": results})
        self._org.rollback()
        halted = [
            results[index]
            if index == failed_at
            else {**result(item, Response(400)), "body": _HALTED}
            for index, item in enumerate(items)
        ]
        return Response.json(200, {"compositeResponse": halted})

    def _subrequest(self, item: dict[str, Any]) -> Response:
        found = _FLOW_URL.match(str(item.get("url", "")))
        if str(item.get("method", "")).upper() != "PATCH" or not found:
            return errors.error(
                400,
                "NOT_SUPPORTED",
                "The sandbox's tooling composite runs only PATCH "
                "/services/data/vXX.X/tooling/sobjects/FlowDefinition/{id}",
            )
        if found.group(1) not in self._org.settings.api_versions:
            return errors.not_found()
        return self.patch_flow(found.group(2), item.get("body"))

    # --- anonymous Apex ------------------------------------------------------------------------

    def execute_anonymous(self, body: str) -> ApexResult:
        try:
            statements = parse(body)
            self._compile(statements)
        except ApexCompileError as exc:
            return ApexResult.compile_failure(exc)
        # An unhandled exception rolls back everything the block did.
        self._org.begin()
        for statement in statements:
            try:
                if isinstance(statement, AbortJob):
                    self._org.abort_job(statement.job_id)
                else:
                    self._org.schedule_job(statement.name, statement.cron, statement.class_name)
            except ApexException as exc:
                self._org.rollback()
                return ApexResult.exception(str(exc), statement.line, statement.column)
        self._org.commit()
        return ApexResult()

    def _compile(self, statements: list[Statement]) -> None:
        for statement in statements:
            if isinstance(statement, AbortJob):
                continue
            apex_class = self._org.records.apex_classes.get(statement.class_name)
            if apex_class is None:
                raise ApexCompileError(
                    f"Invalid type: {statement.class_name}", statement.line, statement.column
                )
            if not apex_class.constructible:
                raise ApexCompileError(
                    f"Constructor not defined: [{apex_class.name}].<Constructor>()",
                    statement.line,
                    statement.column,
                )
            # Anonymous Apex stands outside every namespace: a managed class needs a
            # global constructor, any class at least a public one (or none declared).
            needed = {"global"} if apex_class.namespace else {"public", "global", "default"}
            if apex_class.constructor_access not in needed:
                raise ApexCompileError(
                    f"Constructor not visible: [{apex_class.qualified_name}].<Constructor>()",
                    statement.line,
                    statement.column,
                )

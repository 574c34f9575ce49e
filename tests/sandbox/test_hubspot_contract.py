"""The sandbox's HubSpot answers, and the PUT bodies it accepts, match HubSpot's OpenAPI files.

The specs live in `shared/specs/hubspot/` beside the repository (reference data, not copied
in). Flows are checked strictly at the top level (no field the spec does not declare) and
leniently inside `actions`: the spec types action `fields` values as objects, while live
flows carry strings there.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from sandbox.faults import Fault, FaultKind
from sandbox.hubspot import HubSpotSettings
from tests.sandbox.hubspot_support import RunningPortal, editable, running_portal

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "hubspot"
ACCOUNT, AUTOMATION = "account-info-v3", "automation-v4"
FLOWS = "/automation/v4/flows"
_LENIENT_ACTION = {
    "type": "object",
    "required": ["actionId", "type"],
    "properties": {"actionId": {"type": "string"}, "type": {"type": "string"}},
}


class Spec:
    """Validators for `components/schemas` entries of the HubSpot OpenAPI files."""

    def __init__(self, spec_dir: Path, names: tuple[str, ...] = (ACCOUNT, AUTOMATION)) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        registry: Registry = Registry()
        for name in names:
            document = json.loads((spec_dir / f"{name}.json").read_text())
            for schema in document["components"]["schemas"].values():
                if "items" in schema.get("properties", {}).get("actions", {}):
                    schema["properties"]["actions"]["items"] = _LENIENT_ACTION
            self.documents[name] = document
            registry = registry.with_resource(f"urn:{name}", DRAFT202012.create_resource(document))
        self._registry = registry

    def schema(self, document: str, name: str) -> dict[str, Any]:
        return self.documents[document]["components"]["schemas"][name]

    def errors(self, document: str, name: str, instance: Any) -> list[str]:
        validator = Draft202012Validator(
            {"$ref": f"urn:{document}#/components/schemas/{name}"},
            registry=self._registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator.iter_errors(instance)
        ]

    def check(self, document: str, name: str, instance: Any) -> None:
        problems = self.errors(document, name, instance)
        assert not problems, f"{name}: " + "; ".join(problems[:5])

    def check_declared_only(self, document: str, name: str, instance: dict[str, Any]) -> None:
        """Strict top level: every field we send is one the spec declares."""
        declared = set(self.schema(document, name)["properties"])
        assert set(instance) <= declared, f"{name} lacks {sorted(set(instance) - declared)}"

    def check_flow(self, flow: dict[str, Any], document: str = AUTOMATION) -> None:
        # The flow's own subtype first: its errors point at fields, the oneOf's do not.
        subtype = {"CONTACT_FLOW": "ApiContactFlow", "PLATFORM_FLOW": "ApiPlatformFlow"}
        self.check(document, subtype[flow["type"]], flow)
        self.check(document, "ApiFlow", flow)
        self.check_declared_only(document, subtype[flow["type"]], flow)


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not SPEC_DIR.is_dir():
        pytest.skip(
            f"HubSpot OpenAPI specs not found at {SPEC_DIR}: shared/ must sit beside the repo"
        )
    return Spec(SPEC_DIR)


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        running.portal.add_workflow("Contact flow", flow_id="101")
        running.portal.add_workflow(
            "Deal flow", flow_id="202", type="PLATFORM_FLOW", object_type_id="0-3"
        )
        yield running


def test_daily_usage_matches_the_spec(spec: Spec, hs: RunningPortal) -> None:
    body = hs.get("/account-info/v3/api-usage/daily/private-apps").json()

    spec.check(ACCOUNT, "CollectionResponseApiUsageNoPaging", body)
    for entry in body["results"]:
        spec.check_declared_only(ACCOUNT, "ApiUsage", entry)


@pytest.mark.parametrize(
    "settings",
    [
        HubSpotSettings(extra_usage_entries=True),
        HubSpotSettings(include_resets_at=False, usage_fetch_status="TIMEOUT"),
        HubSpotSettings(usage_cache_minutes=5),
    ],
)
def test_daily_usage_variants_match_the_spec(spec: Spec, settings: HubSpotSettings) -> None:
    with running_portal(settings) as hs:
        for _ in range(2):  # the second answer comes from the cache when there is one
            body = hs.get("/account-info/v3/api-usage/daily/private-apps").json()
            spec.check(ACCOUNT, "CollectionResponseApiUsageNoPaging", body)


def test_account_details_match_the_spec(spec: Spec, hs: RunningPortal) -> None:
    body = hs.get("/account-info/v3/details").json()

    spec.check(ACCOUNT, "PortalInformationResponse", body)
    spec.check_declared_only(ACCOUNT, "PortalInformationResponse", body)


@pytest.mark.parametrize("flow_id", ["101", "202"])
def test_flow_matches_the_spec(spec: Spec, hs: RunningPortal, flow_id: str) -> None:
    spec.check_flow(hs.get(f"{FLOWS}/{flow_id}").json())


def test_flow_enrollment_criteria_match_the_spec_strictly(spec: Spec, hs: RunningPortal) -> None:
    # actions are loosened for the known string `fields`; nothing else is
    flow = hs.get(f"{FLOWS}/101").json()
    flow["enrollmentCriteria"]["type"] = "NOT_A_KIND"

    assert spec.errors(AUTOMATION, "ApiFlow", flow)


def test_flow_list_matches_the_spec(spec: Spec, hs: RunningPortal) -> None:
    body = hs.get(FLOWS, params={"limit": "1"}).json()

    assert "paging" in body
    spec.check(AUTOMATION, "CollectionResponseApiFlowListingForwardPaging", body)
    for listing in body["results"]:
        spec.check_declared_only(AUTOMATION, "ApiFlowListing", listing)


def test_batch_read_input_and_answers_match_the_spec(spec: Spec, hs: RunningPortal) -> None:
    found = {"inputs": [{"flowId": "101", "type": "FLOW_ID"}, {"flowId": "202", "type": "FLOW_ID"}]}
    partial = {"inputs": [{"flowId": "101", "type": "FLOW_ID"}, {"flowId": "9", "type": "FLOW_ID"}]}
    spec.check(AUTOMATION, "ApiFlowBatchInput", found)

    complete = hs.post(f"{FLOWS}/batch/read", found)
    with_errors = hs.post(f"{FLOWS}/batch/read", partial)

    assert (complete.status_code, with_errors.status_code) == (200, 207)
    spec.check(AUTOMATION, "BatchResponseApiFlow", complete.json())
    spec.check(AUTOMATION, "BatchResponseApiFlowWithErrors", with_errors.json())
    for flow in complete.json()["results"]:
        spec.check_flow(flow)


@pytest.mark.parametrize("flow_id", ["101", "202"])
def test_disable_body_and_put_answer_match_the_spec(
    spec: Spec, hs: RunningPortal, flow_id: str
) -> None:
    body = editable(hs.get(f"{FLOWS}/{flow_id}").json())
    body["isEnabled"] = False
    spec.check(AUTOMATION, "ApiFlowPutRequest", body)

    response = hs.put(f"{FLOWS}/{flow_id}", body)

    assert response.status_code == 200
    spec.check_flow(response.json())


@pytest.mark.parametrize(
    ("flow_id", "request_schema"),
    [("101", "ApiContactFlowPutRequest"), ("202", "ApiPlatformFlowPutRequest")],
)
def test_a_body_of_only_the_spec_required_fields_is_accepted(
    spec: Spec, hs: RunningPortal, flow_id: str, request_schema: str
) -> None:
    flow = hs.portal.workflow(flow_id)
    body = {field: flow[field] for field in spec.schema(AUTOMATION, request_schema)["required"]}
    spec.check(AUTOMATION, "ApiFlowPutRequest", body)

    response = hs.put(f"{FLOWS}/{flow_id}", body)

    assert response.status_code == 200
    spec.check_flow(response.json())


@pytest.mark.parametrize(
    ("flow_id", "request_schema"),
    [("101", "ApiContactFlowPutRequest"), ("202", "ApiPlatformFlowPutRequest")],
)
def test_dropping_any_spec_required_field_is_refused(
    spec: Spec, hs: RunningPortal, flow_id: str, request_schema: str
) -> None:
    complete = editable(hs.portal.workflow(flow_id))
    for field in spec.schema(AUTOMATION, request_schema)["required"]:
        body = copy.deepcopy(complete)
        del body[field]
        assert spec.errors(AUTOMATION, "ApiFlowPutRequest", body), field

        response = hs.put(f"{FLOWS}/{flow_id}", body)

        assert response.status_code == 400, field
        spec.check(AUTOMATION, "Error", response.json())


def test_read_only_fields_are_not_part_of_the_put_request(spec: Spec) -> None:
    from sandbox.hubspot.flows import READ_ONLY_FIELDS

    for request_schema in ("ApiContactFlowPutRequest", "ApiPlatformFlowPutRequest"):
        declared = set(spec.schema(AUTOMATION, request_schema)["properties"])
        assert not declared & set(READ_ONLY_FIELDS), request_schema


def test_error_answers_match_the_error_schema(spec: Spec, hs: RunningPortal) -> None:
    stale = editable(hs.portal.workflow("101"))
    hs.portal.edit_workflow_by_hand("101", name="edited")
    read_only = editable(hs.portal.workflow("101")) | {"id": "101"}
    answers = {
        "401": hs.get(FLOWS, token="nope"),
        "404": hs.get(f"{FLOWS}/999"),
        "400 read-only": hs.put(f"{FLOWS}/101", read_only),
        "400 stale": hs.put(f"{FLOWS}/101", stale),
        "400 paging": hs.get(FLOWS, params={"after": "x"}),
        "400 batch": hs.post(f"{FLOWS}/batch/read", {"inputs": 1}),
        "400 oauth": hs.refresh(refresh_token="wrong"),
    }
    for status in (403, 500, 503):
        hs.server.faults.add(Fault(FaultKind.STATUS, status=status))
        answers[str(status)] = hs.get(FLOWS)
    hs.portal.expire_tokens()
    hs.server.faults.add(Fault(FaultKind.EXPIRED_TOKEN))
    answers["401 expired"] = hs.get(FLOWS)

    for label, response in answers.items():
        assert response.status_code >= 400, label
        for document in (ACCOUNT, AUTOMATION):
            problems = spec.errors(document, "Error", response.json())
            assert not problems, f"{label}: {problems}"

"""Nothing outside the allowlist is ever touched, whatever the allowlist and the org hold."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.server import Sandbox
from tests.integration.brake_support import (
    api_mutations,
)

_ids = itertools.count()
FLOWS = [f"Flow_{n}" for n in range(6)]
JOBS = [f"Job {n}" for n in range(4)]


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    flows_on=st.lists(st.booleans(), min_size=len(FLOWS), max_size=len(FLOWS)),
    allowed_flows=st.sets(st.sampled_from(FLOWS)),
    allowed_jobs=st.sets(st.sampled_from(JOBS)),
    workflows_on=st.lists(st.booleans(), min_size=1, max_size=6),
    allowed_workflows=st.sets(st.integers(min_value=0, max_value=5)),
    missing=st.sets(st.sampled_from(["flow:Not_There", "workflow:999999"])),
)
def test_only_allowlisted_automations_change(
    aws: LocalAws,
    function_env: None,
    flows_on: list[bool],
    allowed_flows: set[str],
    allowed_jobs: set[str],
    workflows_on: list[bool],
    allowed_workflows: set[int],
    missing: set[str],
) -> None:
    with Sandbox() as sandbox:
        stack = LocalStack(aws, sandbox)
        n = next(_ids)
        sf_id, hs_id = f"sf-{n}", f"hs-{n}"
        for name, on in zip(FLOWS, flows_on, strict=True):
            sandbox.salesforce.add_flow(name, versions=2, active_version=2 if on else None)
        for name in JOBS:
            sandbox.salesforce.add_scheduled_job(name, apex_class="PropJob")
        flow_ids = [
            sandbox.hubspot.add_workflow(f"W{i}", enabled=on)["id"]
            for i, on in enumerate(workflows_on)
        ]
        stack.add_salesforce(sf_id)
        stack.add_hubspot(hs_id)
        allowed_wf = {flow_ids[i] for i in allowed_workflows if i < len(flow_ids)}
        stack.allow(sf_id, *(f"flow:{f}" for f in allowed_flows))
        stack.allow(sf_id, *(f"scheduled_apex:{j}" for j in allowed_jobs))
        stack.allow(hs_id, *(f"workflow:{w}" for w in allowed_wf))
        stack.allow(sf_id, *(m for m in missing if m.startswith("flow")))
        stack.allow(hs_id, *(m for m in missing if m.startswith("workflow")))

        for connection_id in (sf_id, hs_id):
            report = stack.brake(connection_id=connection_id)
            stack.release_incident(report["incident_id"], force=True)

        touched = {m.target for m in api_mutations(sandbox)}
        assert touched <= allowed_flows | allowed_jobs | allowed_wf
        on_flows = {f for f, on in zip(FLOWS, flows_on, strict=True) if on}
        on_workflows = {w for w, on in zip(flow_ids, workflows_on, strict=True) if on}
        assert touched == (allowed_flows & on_flows) | allowed_jobs | (allowed_wf & on_workflows)
        # and everything is back as it was
        for name, on in zip(FLOWS, flows_on, strict=True):
            assert (sandbox.salesforce.flow(name).active_version == 2) is on
        assert {j.name for j in sandbox.salesforce.jobs()} == set(JOBS)
        for flow_id, on in zip(flow_ids, workflows_on, strict=True):
            assert sandbox.hubspot.workflow(flow_id)["isEnabled"] is on

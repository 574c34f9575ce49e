"""The whole loop under generated histories (tests/model/machine.py).

`make test` runs the fast profile (a few dozen short histories); `make reliability` the
deep one (APIBRAKE_MODEL_PROFILE=deep: hundreds, longer). A failure prints the shrunk
history as a script of `state.<rule>(...)` calls: add it to test_model_regressions.py.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from localaws import LocalAws
from tests.model.machine import TALLY, machine_for

PROFILES = {
    "fast": settings(max_examples=16, stateful_step_count=10),
    "deep": settings(max_examples=300, stateful_step_count=30),
}
PROFILE = os.environ.get("APIBRAKE_MODEL_PROFILE", "fast")


@pytest.mark.timeout(3600 if PROFILE == "deep" else 300)
def test_the_promises_hold_over_generated_histories(
    local_aws: LocalAws, function_env: None, fast_retries: None
) -> None:
    run_state_machine_as_test(
        lambda: machine_for(local_aws)(),
        settings=settings(
            PROFILES[PROFILE],
            deadline=None,
            database=None,  # reproducible from the seed alone, no hidden example store
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        ),
    )
    print(TALLY)

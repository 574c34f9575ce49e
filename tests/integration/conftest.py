"""Fixtures of the integration tests: the whole local stack (drill.stack.LocalStack).

moto server + the sandbox over HTTP + the three handlers in-process, with the environment
template.yaml gives the functions; the environment and the handlers' caches are undone after.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest

from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.server import Sandbox

TEST_ENVIRONMENT = {"POWERTOOLS_METRICS_NAMESPACE": "ApiBrake"}


@pytest.fixture
def function_env() -> Iterator[None]:
    """Whatever LocalStack puts into os.environ is gone after the test."""
    with mock.patch.dict(os.environ):
        yield
    LocalStack.forget_caches()


@pytest.fixture
def stack(aws: LocalAws, sandbox: Sandbox, function_env: None) -> LocalStack:
    return LocalStack(aws, sandbox, environment=TEST_ENVIRONMENT)


@pytest.fixture
def stack_factory(
    aws: LocalAws, sandbox_factory: Callable[..., Sandbox], function_env: None
) -> Callable[..., LocalStack]:
    """A stack over a sandbox built with `Sandbox(**options)` (own settings or clock)."""

    def make(**sandbox_options: Any) -> LocalStack:
        return LocalStack(aws, sandbox_factory(**sandbox_options), environment=TEST_ENVIRONMENT)

    return make

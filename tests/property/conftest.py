"""The whole local stack for bad-input properties; the environment is undone after each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from unittest import mock

import pytest

from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.server import Sandbox


@pytest.fixture
def stack(aws: LocalAws, sandbox: Sandbox) -> Iterator[LocalStack]:
    with mock.patch.dict(os.environ):
        yield LocalStack(aws, sandbox, environment={"POWERTOOLS_METRICS_NAMESPACE": "ApiBrake"})
    LocalStack.forget_caches()

"""Layer modules log through the standard library; the handlers route those lines into
Powertools' JSON logger, `extra` keys and all."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aws_lambda_powertools import Logger

from apibrake.runtime.logs import LAYER_PACKAGE, route_layer_logs


@pytest.fixture
def package_logger() -> Iterator[logging.Logger]:
    package = logging.getLogger(LAYER_PACKAGE)
    saved = (list(package.handlers), package.level, package.propagate)
    yield package
    package.handlers, package.propagate = saved[0], saved[2]
    package.setLevel(saved[1])


def test_a_layer_log_line_comes_out_as_powertools_json(package_logger: logging.Logger) -> None:
    """A service named otherwise than the package (a service named `apibrake` is the
    package's own logger: layer loggers are its children already)."""
    service = "apibrake-test"
    stream = io.StringIO()
    route_layer_logs(Logger(service=service, logger_handler=logging.StreamHandler(stream)))
    logging.getLogger("apibrake.incident.engine").warning(
        "brake failed", extra={"connection_id": "sf-prod"}
    )
    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == "brake failed"
    assert record["level"] == "WARNING"
    assert record["connection_id"] == "sf-prod"
    assert record["service"] == service

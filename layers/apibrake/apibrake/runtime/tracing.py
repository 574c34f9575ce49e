"""X-Ray tracing for every handler, built only when switched on.

Powertools' Tracer imports the X-Ray SDK even when disabled; most deployments keep
tracing off, so their cold starts do not pay for it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

Handler = TypeVar("Handler", bound=Callable[..., Any])


def traced(handler: Handler) -> Handler:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() in {"1", "true"}
    if disabled or importlib.util.find_spec("aws_xray_sdk") is None:
        return handler
    from aws_lambda_powertools import Tracer

    return cast(Handler, Tracer().capture_lambda_handler(handler, capture_response=False))

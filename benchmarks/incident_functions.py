"""The two incident functions' handlers, set up on a local stack as their Lambdas would be
(the template's environment; idempotency off, so repeated benchmark runs are not cached)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from apibrake.runtime import container
from localaws import LocalAws


def incident_handlers(aws: LocalAws) -> tuple[ModuleType, ModuleType]:
    """(incident_responder, restore) app modules, on a cold container."""
    for logical_id in ("IncidentResponderFunction", "RestoreFunction"):
        os.environ.update(aws.function_environment(logical_id))
    os.environ["POWERTOOLS_IDEMPOTENCY_DISABLED"] = "true"
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ApiBrake")
    container.forget()
    return (
        importlib.import_module("functions.incident_responder.app"),
        importlib.import_module("functions.restore.app"),
    )

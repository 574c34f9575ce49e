"""What every handler does with an event it cannot accept."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from apibrake.models.errors import InvalidInput


def rejected(logger: Logger, problem: InvalidInput) -> dict[str, Any]:
    """The answer to an event the function cannot accept: the field, never a traceback."""
    logger.warning("invalid event", extra={"field": problem.field})
    return problem.model_dump()

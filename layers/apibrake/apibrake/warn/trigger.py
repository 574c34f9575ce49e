"""Starting the brake: the monitor invokes incident_responder asynchronously.

The Invoker protocol keeps the monitor testable without Lambda: tests and the drill pass
an in-process invoker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from apibrake.models.events import BrakeEvent

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class Invoker(Protocol):
    def invoke(self, event: BrakeEvent) -> None: ...


class LambdaInvoker:
    """Fire-and-forget (`InvocationType=Event`): the monitor must not wait for a brake."""

    def __init__(self, lambda_client: LambdaClient, function_name: str) -> None:
        self._lambda = lambda_client
        self.function_name = function_name

    def invoke(self, event: BrakeEvent) -> None:
        self._lambda.invoke(
            FunctionName=self.function_name,
            InvocationType="Event",
            # Fields left at their defaults stay out: a responder one deployment behind
            # (the stack's functions do not update at one instant) refuses fields it does
            # not know, such as `shadow`, and a real brake must never fail on that.
            Payload=event.model_dump_json(exclude_defaults=True).encode(),
        )

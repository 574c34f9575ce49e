"""The answer a function gives to an event it cannot accept: the field, never a traceback."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from apibrake.models.validation import describe

Model = TypeVar("Model", bound=BaseModel)


class InvalidInput(BaseModel):
    error: str = "invalid_event"
    field: str
    message: str


def parse_event(model: type[Model], event: Any) -> Model | InvalidInput:
    if not isinstance(event, dict):
        return InvalidInput(field="(event)", message="the event must be a JSON object")
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        field, message = describe(exc, unnamed="(event)")
        return InvalidInput(field=field, message=message)

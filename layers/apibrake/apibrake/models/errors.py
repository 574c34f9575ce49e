"""The answer a function gives to an event it cannot accept: the field, never a traceback."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

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
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(event)"
        return InvalidInput(field=field, message=first["msg"])

"""Admin forms as pydantic models: each field's validator says what is wrong in the user's
language, and ``validate_form`` returns the model or those messages per field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

FormT = TypeVar("FormT", bound=BaseModel)

#: The error type of a message written for the user (shown as it is, without a prefix).
FORM_ERROR = "form"


def form_error(message: str) -> PydanticCustomError:
    """Raise this from a validator: ``message`` (already translated) is what the form shows."""
    return PydanticCustomError(FORM_ERROR, message)


def validate_form(
    model: type[FormT], values: Mapping[str, str]
) -> tuple[FormT | None, dict[str, str]]:
    """The form as ``model``, or None and the first message of each field that is wrong, in
    the order of the model's fields."""
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(field, error["msg"])
        return None, errors

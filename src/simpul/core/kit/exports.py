"""One handler for a report's CSV and XLSX downloads, registered at ``PATH.csv`` and
``PATH.xlsx`` (route names ``NAME_csv`` and ``NAME_xlsx``), instead of two twin routes."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Final, get_type_hints

from fastapi import APIRouter
from fastapi.responses import Response

from simpul.core.errors import InvalidInput

EXTENSIONS: Final = ("csv", "xlsx")

Handler = Callable[..., Response]


def _with_extension(handler: Handler, extension: str) -> Handler:
    """``handler`` with its ``extension`` argument fixed, and a signature FastAPI can read
    (annotations resolved in the handler's module, ``extension`` left out)."""
    hints = get_type_hints(handler, include_extras=True)
    signature = inspect.signature(handler)
    parameters = [
        parameter.replace(annotation=hints.get(name, parameter.annotation))
        for name, parameter in signature.parameters.items()
        if name != "extension"
    ]

    def endpoint(**kwargs: object) -> Response:
        return handler(extension=extension, **kwargs)

    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=Response
    )
    endpoint.__name__ = f"{handler.__name__}_{extension}"
    endpoint.__doc__ = handler.__doc__
    return endpoint


def export_routes(router: APIRouter, path: str, name: str) -> Callable[[Handler], Handler]:
    """Register the decorated handler, which takes ``extension`` (``csv`` or ``xlsx``) besides
    its FastAPI parameters, at ``path.csv`` and ``path.xlsx``."""

    def register(handler: Handler) -> Handler:
        for extension in EXTENSIONS:
            router.add_api_route(
                f"{path}.{extension}",
                _with_extension(handler, extension),
                methods=["GET"],
                name=f"{name}_{extension}",
            )
        return handler

    return register


def invalid_query(errors: Mapping[str, str]) -> InvalidInput:
    """The refusal of an export whose query (its period) is wrong, naming each field."""
    return InvalidInput(
        next(iter(errors.values())),
        details=[{"field": name, "message": message} for name, message in errors.items()],
    )

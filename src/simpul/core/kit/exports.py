"""One handler for a report's CSV and XLSX downloads, registered at ``PATH.csv`` and
``PATH.xlsx`` (route names ``NAME_csv`` and ``NAME_xlsx``), instead of two twin routes.

Every CSV export also takes ``?pemisah=``: ``titik-koma`` (the default: what Excel opens on
an Indonesian computer, with decimal commas) or ``koma`` (comma-separated, decimal points).
The route reads it once here and ``web.downloads`` writes with it (decision 0053)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Annotated, Final, get_type_hints

from fastapi import APIRouter, Query
from fastapi.responses import Response

from simpul.core.errors import InvalidInput
from simpul.core.i18n import _

EXTENSIONS: Final = ("csv", "xlsx")
SEMICOLON: Final = ";"
COMMA: Final = ","
#: ``?pemisah=`` -> the CSV's separator.
SEPARATORS: Final = {"titik-koma": SEMICOLON, "koma": COMMA}
_separator: ContextVar[str | None] = ContextVar("csv_separator", default=None)


def current_separator() -> str | None:
    """The separator the current export request asked for; None when it asked for none
    (``web.downloads`` then writes its default)."""
    return _separator.get()


def parse_separator(raw: str | None) -> str | None:
    """``titik-koma`` -> ``;``, ``koma`` -> ``,``, nothing -> None; anything else is refused."""
    if not raw:
        return None
    found = SEPARATORS.get(raw.strip().lower())
    if found is None:
        raise invalid_query({"pemisah": _("Pemisah CSV harus titik-koma atau koma.")})
    return found


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

    def endpoint(pemisah: str | None = None, **kwargs: object) -> Response:
        token = _separator.set(parse_separator(pemisah))
        try:
            return handler(extension=extension, **kwargs)
        finally:
            _separator.reset(token)

    separator = inspect.Parameter(
        "pemisah",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[str | None, Query(max_length=20)],
    )
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*parameters, separator], return_annotation=Response
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

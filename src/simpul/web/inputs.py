"""Rules for what enters the web app: no NUL in any parameter or field, and refusals worded.

PostgreSQL cannot hold NUL (U+0000) in text, so a NUL that reached a query crashed the request
(a search for ``%00``, a region or slug with one, a login e-mail, a token name). Instead of
each domain checking its own strings, ``refuse_nul_characters`` runs before every route (an
app-wide dependency): path and query parameters, form fields and JSON bodies are checked, and
any NUL is refused with 422 naming each field. Uploaded files' names are not checked here:
``applications.files.safe_filename`` removes control characters from them.

``validation_message`` words what FastAPI refuses on its own (a parameter outside its declared
bounds, a malformed date or UUID) in the reader's language.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from fastapi import Request

from simpul.core.errors import InvalidInput
from simpul.core.i18n import _, lazy
from simpul.core.inputs import contains_nul, fields_with_nul, nul_message

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_nul_characters(request: Request) -> None:
    """Refuse the request (422) if a NUL is in a path or query parameter, form field or JSON."""
    fields = [name for name, value in request.path_params.items() if _has_nul(value)]
    fields += [
        name
        for name, value in request.query_params.multi_items()
        if contains_nul(name) or contains_nul(value)
    ]
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        if content_type in _FORM_TYPES:
            # Parsed once: FastAPI and the CSRF check read the same cached form.
            form = await request.form()
            fields += [
                name
                for name, value in form.multi_items()
                if contains_nul(name) or (isinstance(value, str) and contains_nul(value))
            ]
        elif content_type == "application/json" or content_type.endswith("+json"):
            fields += list(fields_with_nul(await _json(request)))
    if fields:
        details = [{"field": name, "message": nul_message()} for name in dict.fromkeys(fields)]
        raise InvalidInput(_("Data yang dikirim tidak valid."), details=details)


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and contains_nul(value)


async def _json(request: Request) -> Any:
    """The request's JSON (cached by FastAPI), or None when it is not JSON at all: the
    route's own parsing reports that."""
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        # Too deeply nested to parse is not JSON the route accepts either: its parsing says so.
        return None


def validation_message(error: Mapping[str, Any]) -> str:
    """Pydantic's complaint about one parameter or field, in the reader's language.

    The kinds that request parameters produce are worded here; anything rarer keeps
    pydantic's own (English) sentence rather than a vaguer one.
    """
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind in _LIMITS:
        key, message = _LIMITS[kind]
        return _(message) % {"limit": context.get(key, "")}
    if kind in {"enum", "literal_error"}:
        return _("Isi salah satu dari: %(expected)s.") % {"expected": context.get("expected", "")}
    words = _WORDS.get(kind) or _WORDS.get(kind.split("_", 1)[0] + "_")
    return _(words) if words else str(error.get("msg", ""))


#: Bounds pydantic reports, with the key of the bound in the error's context.
_LIMITS: Final = {
    "greater_than_equal": ("ge", lazy("Paling kecil %(limit)s.")),
    "greater_than": ("gt", lazy("Harus lebih dari %(limit)s.")),
    "less_than_equal": ("le", lazy("Paling besar %(limit)s.")),
    "less_than": ("lt", lazy("Harus kurang dari %(limit)s.")),
    "string_too_long": ("max_length", lazy("Paling banyak %(limit)s karakter.")),
    "string_too_short": ("min_length", lazy("Paling sedikit %(limit)s karakter.")),
}
_INTEGER: Final = lazy("Isi dengan bilangan bulat.")
_NUMBER: Final = lazy("Isi dengan angka.")
_DATE: Final = lazy("Tanggal tidak dikenali: tulis sebagai TTTT-BB-HH.")
#: Other kinds by name, or by their first word and "_" (``date_parsing`` -> ``date_``).
_WORDS: Final = {
    "missing": lazy("Wajib diisi."),
    "int_parsing": _INTEGER,
    "int_type": _INTEGER,
    "int_from_float": _INTEGER,
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "finite_number": _NUMBER,
    "date_": _DATE,
    "datetime_": _DATE,
    "uuid_": lazy("Isi dengan ID (UUID)."),
    "bool_parsing": lazy("Isi true atau false."),
    "json_invalid": lazy("Isi permintaan bukan JSON yang sah."),
}

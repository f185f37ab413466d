"""JSON Schema errors of eForm data as one message per field, in words a citizen can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Final

from babel.numbers import format_decimal
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from simpul.applications.eform_schema import (
    Schema,
    UiHints,
    hints_for,
    kind_of,
    options_of,
    properties_of,
    required_of,
    schema_type,
)
from simpul.core.i18n import _, current_locale, ngettext

#: When one field breaks several rules, the most basic one is reported.
_PRIORITY: Final = {
    "type": 0,
    "required": 1,
    "const": 2,
    "enum": 2,
    "oneOf": 2,
    "anyOf": 2,
    "format": 3,
    "pattern": 5,
}
_DEFAULT_PRIORITY: Final = 4
_DIGITS_EXACT = re.compile(r"\^?\[0-9\]\{(\d+)\}\$?")
_DIGITS_RANGE = re.compile(r"\^?\[0-9\]\{(\d+),(\d+)\}\$?")
_DIGITS_ANY = re.compile(r"\^?(\[0-9\]|\\d)\+\$?")
_TIME = re.compile(r".*\[0-5\]\[0-9\]\$?")


#: Annotations a choice (``oneOf`` branch) may carry besides its ``const``.
_ANNOTATIONS: Final = frozenset({"const", "title", "description", "$comment"})


def _quick_schema(node: Any) -> Any:
    """``node`` with each list of choices (``oneOf`` of string ``const``s, all different,
    with only annotations beside them) as the ``enum`` it means: the same data is valid, but
    jsonschema checks an ``enum`` in one step instead of one sub-validator per choice. Only
    for telling valid from invalid: messages come from the schema as written."""
    if isinstance(node, list):
        return [_quick_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    choices = node.get("oneOf")
    if (
        isinstance(choices, list)
        and choices
        and "enum" not in node
        and all(
            isinstance(c, dict) and "const" in c and isinstance(c["const"], str) for c in choices
        )
        and all(set(c) <= _ANNOTATIONS for c in choices)
        and len({c["const"] for c in choices}) == len(choices)
    ):
        quick = {key: _quick_schema(value) for key, value in node.items() if key != "oneOf"}
        quick["enum"] = [c["const"] for c in choices]
        return quick
    return {key: _quick_schema(value) for key, value in node.items()}


@lru_cache(maxsize=256)
def _validators(text: str) -> tuple[Draft202012Validator, Draft202012Validator]:
    """The validators of one eForm schema (its JSON text, key order kept), made once per
    process and version of the form: the one that explains errors, and a quicker one that
    only tells valid from invalid (``_quick_schema``)."""
    schema = json.loads(text)
    checker = Draft202012Validator.FORMAT_CHECKER
    return (
        Draft202012Validator(schema, format_checker=checker),
        Draft202012Validator(_quick_schema(schema), format_checker=checker),
    )


def schema_errors(schema: Schema, data: Any, ui: UiHints | None) -> dict[str, str]:
    """Validate ``data`` (draft 2020-12, formats checked); the first message per field path."""
    validator, quick = _validators(json.dumps(schema))
    if quick.is_valid(data):
        return {}  # the usual case: nothing to explain
    found: list[tuple[int, int, str, str]] = []
    for error in validator.iter_errors(data):
        rank = _PRIORITY.get(str(error.validator), _DEFAULT_PRIORITY)
        for path, message in _describe(error, ui):
            found.append((rank, len(found), path, message))
    errors: dict[str, str] = {}
    for _rank, _order, path, message in sorted(found):
        errors.setdefault(path, message)
    return errors


def _path(parts: Any) -> str:
    return ".".join(str(part) for part in parts)


def _describe(error: ValidationError, ui: UiHints | None) -> Iterator[tuple[str, str]]:
    """Each field path an error concerns with its message; ``required`` names the child."""
    path = _path(error.absolute_path)
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        parent: Schema = error.schema if isinstance(error.schema, Mapping) else {}
        names = error.validator_value if isinstance(error.validator_value, list) else []
        for key in names:
            if key not in instance:
                child = properties_of(parent).get(key, {})
                yield from _missing(child, f"{path}.{key}" if path else key)
        return
    key = next((p for p in reversed(path.split(".")) if not p.isdigit()), "")
    schema: Schema = error.schema if isinstance(error.schema, Mapping) else {}
    kind = kind_of(schema, hints_for(ui, path), key)
    if kind == "phone" and error.validator in ("pattern", "format", "minLength", "maxLength"):
        yield (
            path,
            _(
                "Nomor telepon harus diawali 0 atau +62 dan hanya berisi angka, "
                "misalnya 081234567890."
            ),
        )
        return
    yield path, message_for(error)


def _missing(node: Schema, path: str) -> Iterator[tuple[str, str]]:
    """A missing object is reported on its required fields, where people can fill them in."""
    required = required_of(node)
    if schema_type(node) == "object" and required:
        for key, child in properties_of(node).items():
            if key in required:
                yield from _missing(child, f"{path}.{key}")
    else:
        yield path, _("Wajib diisi.")


def _number(value: Any) -> str:
    return str(format_decimal(value, locale=current_locale.get()))


def message_for(error: ValidationError) -> str:  # noqa: PLR0911 - one answer per keyword
    """The message for one failed keyword of a field's schema."""
    keyword, limit = str(error.validator), error.validator_value
    schema: Schema = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword == "type":
        return _type_message(limit)
    if keyword == "const" and limit is True:
        return _("Wajib dicentang.")
    if keyword in ("const", "enum") or (keyword in ("oneOf", "anyOf") and options_of(schema)):
        return _("Pilih salah satu pilihan yang tersedia.")
    if keyword == "format":
        return _format_message(str(limit))
    if keyword == "pattern":
        return _pattern_message(str(limit))
    limit_message = _LIMIT_MESSAGES.get(keyword)
    if limit_message is not None and isinstance(limit, int | float):
        return limit_message(limit)
    return _("Isian tidak valid.")


#: Messages of the keywords that set a limit, given the limit.
_LIMIT_MESSAGES: Final[dict[str, Callable[[Any], str]]] = {
    "minLength": lambda n: _("Minimal %(n)d karakter.") % {"n": n},
    "maxLength": lambda n: _("Maksimal %(n)d karakter.") % {"n": n},
    "minimum": lambda n: _("Minimal %(n)s.") % {"n": _number(n)},
    "maximum": lambda n: _("Maksimal %(n)s.") % {"n": _number(n)},
    "exclusiveMinimum": lambda n: _("Harus lebih dari %(n)s.") % {"n": _number(n)},
    "exclusiveMaximum": lambda n: _("Harus kurang dari %(n)s.") % {"n": _number(n)},
    "minItems": lambda n: (
        ngettext("Isi minimal %(n)d baris.", "Isi minimal %(n)d baris.", n) % {"n": n}
    ),
    "maxItems": lambda n: ngettext("Maksimal %(n)d baris.", "Maksimal %(n)d baris.", n) % {"n": n},
}


def _type_message(expected: Any) -> str:
    types = [expected] if isinstance(expected, str) else list(expected)
    if "integer" in types:
        return _("Harus berupa angka bulat.")
    if "number" in types:
        return _("Harus berupa angka.")
    if "boolean" in types:
        return _("Pilih ya atau tidak.")
    if "string" in types:
        return _("Harus berupa teks.")
    return _("Isian tidak valid.")


def _format_message(name: str) -> str:
    if name == "date":
        return _("Tanggal tidak valid; gunakan format tahun-bulan-tanggal, misalnya 2024-08-17.")
    if name == "email":
        return _("Alamat e-mail tidak valid, contoh: nama@contoh.id.")
    return _("Format isian tidak sesuai.")


def _pattern_message(pattern: str) -> str:
    """Say what the common patterns mean; other patterns get a general message."""
    if match := _DIGITS_EXACT.fullmatch(pattern):
        count = int(match[1])
        return ngettext("Harus %(n)d digit angka.", "Harus %(n)d digit angka.", count) % {
            "n": count
        }
    if match := _DIGITS_RANGE.fullmatch(pattern):
        return _("Harus %(min)d sampai %(max)d digit angka.") % {
            "min": int(match[1]),
            "max": int(match[2]),
        }
    if _DIGITS_ANY.fullmatch(pattern):
        return _("Hanya boleh berisi angka.")
    if ":" in pattern and _TIME.fullmatch(pattern):
        return _("Tulis jam dengan format 24 jam, misalnya 08:00.")
    return _("Format isian tidak sesuai.")

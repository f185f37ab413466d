"""The eForm engine: a service's JSON Schema as an online application form.

The page code needs five calls: ``build_fields`` (the view model the ``_eform.html`` macros
render), ``parse_form`` (submitted form -> JSON data), ``validate`` (data -> one Indonesian
message per field path), ``apply_action`` (add/remove a row of a repeated group without
JavaScript) and ``to_form`` (data -> form values). The demo's readable answers for a schema are
``simpul.demo.eform_sample.sample_data``; tests and benchmarks draw valid data with
hypothesis-jsonschema (``tests/support/eform_data.py``).

Form names are the prefix and the path: ``f.nama``, ``f.alamat.jalan``, ``f.anak.0.nama``.
Error paths drop the prefix: ``alamat.jalan``, ``anak.0.nama``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, cast

from simpul.accounts.nik import NikError, parse_nik
from simpul.applications.eform_messages import schema_errors
from simpul.applications.eform_render import FormField, FormRow, Option, build_fields
from simpul.applications.eform_rules import rule_errors
from simpul.applications.eform_schema import (
    Schema,
    UiHints,
    clean_text,
    hints_for,
    items_of,
    kind_of,
    label_of,
    properties_of,
    schema_type,
    value_text,
    walk_scalars,
)
from simpul.core.text import unsafe_paths, unsafe_text_message

__all__ = [
    "ACTION_FIELD",
    "FormField",
    "FormLike",
    "FormRow",
    "Option",
    "apply_action",
    "build_fields",
    "hidden_character_errors",
    "parse_form",
    "to_form",
    "validate",
]

#: Name of the submit buttons that add or remove a row (``add:anak``, ``remove:anak.1``).
ACTION_FIELD: Final = "_action"
_FALSE_WORDS: Final = frozenset({"", "0", "false", "tidak", "no", "off"})
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
_ROW = re.compile(r"\d+")
_MAX_NUMBER_LENGTH: Final = 30


class FormLike(Protocol):
    """What ``parse_form`` reads: Starlette's ``FormData`` or any multi-dict like it."""

    def getlist(self, key: Any) -> Sequence[Any]: ...

    def keys(self) -> Iterable[Any]: ...


Form = FormLike | Mapping[str, Any]


class _Reader:
    """Text values of a form by name, whether it is a multi-dict or a plain mapping."""

    def __init__(self, form: Form, prefix: str, ui: UiHints | None) -> None:
        self._form = form
        self.prefix = prefix
        self.ui = ui
        self.names = [k for k in form.keys() if isinstance(k, str)]  # noqa: SIM118 - FormLike has no __iter__

    def first(self, name: str) -> str | None:
        form = self._form
        values: Sequence[Any]
        if isinstance(form, Mapping) and not hasattr(form, "getlist"):
            raw = form.get(name)
            values = raw if isinstance(raw, list | tuple) else [] if raw is None else [raw]
        else:
            values = cast("FormLike", form).getlist(name)
        return next((v for v in values if isinstance(v, str)), None)

    def row_numbers(self, name: str) -> list[int]:
        """Row numbers that appear under ``name.`` (``f.anak.0.nama`` -> 0), in order."""
        start = name + "."
        found = {
            int(head)
            for key in self.names
            if key.startswith(start) and _ROW.fullmatch(head := key[len(start) :].split(".", 1)[0])
        }
        return sorted(found)


_MISSING: Final = object()


def parse_form(
    schema: Schema,
    form: Form,
    *,
    ui: UiHints | None = None,
    prefix: str = "f",
    keep_blank_rows: bool = False,
) -> dict[str, Any]:
    """Turn a submitted eForm into JSON data shaped by ``schema``, ready for ``validate``.

    Empty answers are left out (so ``required`` reports them), numbers that do not parse stay
    text (so ``validate`` reports them), blank rows of repeated groups are dropped unless
    ``keep_blank_rows`` (use it before ``apply_action``, whose row numbers are the form's).
    """
    reader = _Reader(form, prefix, ui)
    value, _filled = _parse_node(schema, reader, prefix, "", keep_blank_rows=keep_blank_rows)
    return value if isinstance(value, dict) else {}


def _parse_node(
    node: Schema, form: _Reader, name: str, key: str, *, keep_blank_rows: bool
) -> tuple[Any, bool]:
    """One property's value (or ``_MISSING``) and whether anything in it was filled in."""
    json_type = schema_type(node)
    if json_type == "object":
        result: dict[str, Any] = {}
        filled = False
        for child_key, child in properties_of(node).items():
            value, child_filled = _parse_node(
                child, form, f"{name}.{child_key}", child_key, keep_blank_rows=keep_blank_rows
            )
            nested = schema_type(child) == "object"
            if value is not _MISSING and (child_filled or not nested):
                result[child_key] = value
            filled = filled or child_filled
        return result, filled
    if json_type == "array":
        rows = []
        any_filled = False
        for number in form.row_numbers(name):
            value, row_filled = _parse_node(
                items_of(node), form, f"{name}.{number}", key, keep_blank_rows=keep_blank_rows
            )
            if row_filled or keep_blank_rows:
                rows.append(None if value is _MISSING else value)
            any_filled = any_filled or row_filled
        return rows, any_filled
    return _parse_scalar(node, form, name, key, json_type)


def _parse_scalar(
    node: Schema, form: _Reader, name: str, key: str, json_type: str
) -> tuple[Any, bool]:
    raw = form.first(name)
    if json_type == "boolean":
        checked = raw is not None and raw.strip().lower() not in _FALSE_WORDS
        return checked, checked
    path = name.removeprefix(form.prefix + ".")
    text = clean_text(kind_of(node, hints_for(form.ui, path), key), raw or "")
    if not text:
        return _MISSING, False
    # Absurdly long numbers stay text: int() refuses them and float() makes them infinite.
    if len(text) <= _MAX_NUMBER_LENGTH:
        if json_type == "integer" and _INTEGER.fullmatch(text):
            return int(text), True
        if json_type == "number" and _DECIMAL.fullmatch(text):
            decimal = text.replace(",", ".")
            return (int(decimal) if _INTEGER.fullmatch(decimal) else float(decimal)), True
    return text, True


def to_form(schema: Schema, data: Mapping[str, Any], *, prefix: str = "f") -> dict[str, str]:
    """The form values that, submitted, ``parse_form`` turns back into ``data``.

    Unchecked boxes and empty values are left out, as a browser leaves them out.
    """
    values: dict[str, str] = {}
    _flatten(schema, data, prefix, values)
    return values


def _flatten(node: Schema, value: Any, name: str, out: dict[str, str]) -> None:
    json_type = schema_type(node)
    if json_type == "object":
        if isinstance(value, Mapping):
            for key, child in properties_of(node).items():
                if key in value:
                    _flatten(child, value[key], f"{name}.{key}", out)
    elif json_type == "array":
        if isinstance(value, list):
            for number, row in enumerate(value):
                _flatten(items_of(node), row, f"{name}.{number}", out)
    elif text := value_text(value):
        out[name] = text


def validate(
    schema: Schema, data: Mapping[str, Any], *, ui: UiHints | None = None
) -> dict[str, str]:
    """Check data against the eForm; return one message per field path, empty when valid.

    Messages are in the request's language (Indonesian msgids). NIK fields get the precise
    reason from ``parse_nik`` (length, region code, birth date) and phone fields say how a
    number is written; the rules of ``eform_rules`` (a date not in the future, a least
    number of words, a declaration that must be "Ya") are checked last.
    """
    errors = schema_errors(schema, data, ui)
    _check_niks(schema, data, ui, errors)
    errors.update(rule_errors(schema, data, errors))
    errors.update(hidden_character_errors(schema, data))
    return errors


def hidden_character_errors(schema: Schema, data: Any) -> dict[str, str]:
    """A message per field whose text holds a NUL or a bidirectional control (``core.text``),
    naming the field by its label; drafts are checked with this alone."""
    return {path: unsafe_text_message(_label_at(schema, path)) for path in unsafe_paths(data)}


def _label_at(schema: Schema, path: str) -> str:
    """The label of the field at ``path`` (``anak.0.nama``), or its name when the form has
    no such field."""
    node: Schema = schema
    key = path
    for part in path.split("."):
        if schema_type(node) == "array" and part.isdigit():
            node = items_of(node)
            continue
        child = properties_of(node).get(part)
        if child is None:
            return part or path
        node, key = child, part
    return label_of(node, key)


def _check_niks(
    schema: Schema, data: Mapping[str, Any], ui: UiHints | None, errors: dict[str, str]
) -> None:
    for path, key, node, value in walk_scalars(schema, data):
        if isinstance(value, str) and kind_of(node, hints_for(ui, path), key) == "nik":
            try:
                parse_nik(value)
            except NikError as exc:
                errors[path] = str(exc)


def apply_action(schema: Schema, data: Mapping[str, Any], action: str) -> dict[str, Any]:
    """Return ``data`` with a blank row added (``add:anak``) or one removed (``remove:anak.1``).

    Row numbers are those of the rendered form, so parse with ``keep_blank_rows=True`` first.
    An action that names no repeated group, a row that does not exist or a group at its
    ``maxItems`` leaves the data as it was.
    """
    result = copy.deepcopy(dict(data))
    verb, _, path = action.partition(":")
    parts = path.split(".") if path else []
    number = parts.pop() if verb == "remove" and parts and parts[-1].isdigit() else None
    found = _rows_at(schema, result, parts) if verb in ("add", "remove") else None
    if found is None:
        return copy.deepcopy(dict(data))
    node, rows = found
    if number is not None and int(number) < len(rows):
        del rows[int(number)]
        return result
    limit = node.get("maxItems")
    shown = max(int(node.get("minItems", 0)), len(rows), 1)
    if verb == "add" and (limit is None or shown < int(limit)):
        rows.extend(_blank_row(node) for _ in range(shown - len(rows) + 1))
        return result
    return copy.deepcopy(dict(data))


def _blank_row(node: Schema) -> Any:
    return {} if schema_type(items_of(node)) == "object" else None


def _rows_at(
    schema: Schema, data: dict[str, Any], parts: list[str]
) -> tuple[Schema, list[Any]] | None:
    """The array schema and list of rows at a path (the list is created if absent), or None
    when the path does not lead to a repeated group."""
    node: Schema = schema
    holder: Any = data
    for part in parts:
        json_type = schema_type(node)
        if json_type == "object" and part in properties_of(node):
            node = properties_of(node)[part]
        elif json_type == "array" and part.isdigit():
            node = items_of(node)
        else:
            return None
        if isinstance(holder, dict):
            if not isinstance(holder.get(part), dict | list):
                holder[part] = {} if schema_type(node) == "object" else []
            holder = holder[part]
        elif isinstance(holder, list) and int(part) < len(holder):
            holder = holder[int(part)]
        else:
            return None
    if parts and schema_type(node) == "array" and isinstance(holder, list):
        return node, holder
    return None

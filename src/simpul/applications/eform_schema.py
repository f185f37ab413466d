"""How the eForm engine reads a service's JSON Schema: kinds of field, choices, labels, hints.

Shared by parsing, validation, rendering and sample data so that all four agree on what a
property is (a NIK, a phone number, a choice, an address, a repeated group ...).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, Literal

from simpul.accounts.nik import normalise_nik
from simpul.core.personal import KINDS, MARK, PersonalKind

Schema = Mapping[str, Any]
UiHints = Mapping[str, Mapping[str, str]]

Kind = Literal[
    "text",
    "textarea",
    "number",
    "date",
    "select",
    "radio",
    "checkbox",
    "nik",
    "phone",
    "email",
    "address",
    "group",
]

NIK_PATTERN: Final = "^[0-9]{16}$"
PHONE_PATTERN: Final = r"^(\+62|0)[0-9]{8,13}$"
#: Choices up to this many are radio buttons unless the ui says otherwise.
MAX_RADIO_OPTIONS: Final = 4
_NO_HINTS: Final[Mapping[str, str]] = {}


def schema_type(node: Schema) -> str:
    """The JSON type of a property ("string" when the schema leaves it open)."""
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if isinstance(declared, str):
        return declared
    if "properties" in node:
        return "object"
    if "items" in node:
        return "array"
    values = [value for value, _label in options_of(node)]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    return "string"


def properties_of(node: Schema) -> Mapping[str, Schema]:
    """The properties of an object schema, in the order the form shows them."""
    props = node.get("properties")
    return props if isinstance(props, Mapping) else {}


def required_of(node: Schema) -> frozenset[str]:
    return frozenset(node.get("required") or ())


def items_of(node: Schema) -> Schema:
    """The schema of one row of an array (an empty schema, i.e. text, when not given)."""
    items = node.get("items")
    return items if isinstance(items, Mapping) else {}


def options_of(node: Schema) -> list[tuple[Any, str]]:
    """The allowed values with their labels: ``oneOf``/``anyOf`` of ``const``s, or ``enum``."""
    for keyword in ("oneOf", "anyOf"):
        choices = node.get(keyword)
        if isinstance(choices, list) and choices and all("const" in c for c in choices):
            return [(c["const"], str(c.get("title") or c["const"])) for c in choices]
    enum = node.get("enum")
    if isinstance(enum, list):
        return [(value, str(value)) for value in enum]
    return []


def ui_key(path: str) -> str:
    """The key of ``ui`` hints for a field: its path without row numbers (``anak.nama``)."""
    return ".".join(part for part in path.split(".") if not part.isdigit())


def hints_for(ui: UiHints | None, path: str) -> Mapping[str, str]:
    return (ui or {}).get(ui_key(path), _NO_HINTS)


def kind_of(node: Schema, hints: Mapping[str, str], key: str) -> Kind:  # noqa: PLR0911 - one answer per kind
    """What control a property needs; the ui ``widget`` wins, then the schema's shape.

    Properties named ``nik``/``nik_*`` with the 16-digit pattern are NIKs and properties with
    the catalogue's phone pattern are phone numbers even without a widget, so rows of a
    repeated group (which have no ui hints) are checked as strictly as top-level fields.
    """
    json_type = schema_type(node)
    if json_type == "object":
        return "address"
    if json_type == "array":
        return "group"
    if json_type == "boolean":
        return "checkbox"
    widget = hints.get("widget", "")
    has_options = bool(options_of(node))
    if widget in ("radio", "select") and has_options:
        return "radio" if widget == "radio" else "select"
    if has_options:
        return "radio" if len(options_of(node)) <= MAX_RADIO_OPTIONS else "select"
    if json_type in ("integer", "number"):
        return "number"
    if widget in ("textarea", "nik", "phone", "email", "date"):
        return widget  # type: ignore[return-value]  # checked against the Kind names above
    pattern = node.get("pattern")
    if pattern == NIK_PATTERN and (key == "nik" or key.startswith("nik_")):
        return "nik"
    if pattern == PHONE_PATTERN:
        return "phone"
    if node.get("format") == "date":
        return "date"
    if node.get("format") == "email":
        return "email"
    return "text"


def personal_kind_of(node: Schema, hints: Mapping[str, str], key: str) -> PersonalKind | None:
    """The kind of personal data a property holds: its ``x-simpul-personal`` mark, or "nik"
    for a text field the engine treats as a NIK even unmarked (a NIK is always personal)."""
    mark = node.get(MARK)
    if isinstance(mark, str) and mark in KINDS:
        return PersonalKind(mark)
    if schema_type(node) == "string" and kind_of(node, hints, key) == "nik":
        return PersonalKind.NIK
    return None


def label_of(node: Schema, key: str) -> str:
    """The label people read: the schema's ``title`` (Indonesian), else the property name."""
    title = node.get("title")
    return str(title) if title else key.replace("_", " ").capitalize()


def hint_of(node: Schema, hints: Mapping[str, str]) -> str:
    return hints.get("help") or str(node.get("description") or "")


def value_text(value: Any) -> str:
    """A value as it goes into a form control (``""`` for nothing, ``"ya"`` for true)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "ya"
    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)
        if "e" in text:
            text = f"{value:.15f}".rstrip("0")
        return text.removesuffix(".0").rstrip(".")
    return str(value)


def clean_text(kind: Kind, raw: str) -> str:
    """Tidy what was typed: trim, and drop the separators people type inside a NIK/phone."""
    text = raw.replace("\r\n", "\n").strip()
    if kind == "nik":
        return normalise_nik(text)
    if kind == "phone":
        return re.sub(r"[\s.\-()]", "", text)
    return text


def walk_scalars(node: Schema, data: Any, path: str = "") -> Iterator[tuple[str, str, Schema, Any]]:
    """Every present scalar value of ``data`` with its path, property name and schema."""
    json_type = schema_type(node)
    if json_type == "object" and isinstance(data, Mapping):
        for key, child in properties_of(node).items():
            if key in data:
                child_path = f"{path}.{key}" if path else key
                if schema_type(child) in ("object", "array"):
                    yield from walk_scalars(child, data[key], child_path)
                else:
                    yield child_path, key, child, data[key]
    elif json_type == "array" and isinstance(data, list):
        items = items_of(node)
        key = path.rsplit(".", 1)[-1]
        for index, row in enumerate(data):
            row_path = f"{path}.{index}"
            if schema_type(items) in ("object", "array"):
                yield from walk_scalars(items, row, row_path)
            else:
                yield row_path, key, items, row

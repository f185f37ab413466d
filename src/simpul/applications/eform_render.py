"""The view model of an eForm: what ``applications/_eform.html`` needs to draw each field.

Everything the template decides on (kind, ids, browser-side limits, which fields the browser
may require, row buttons) is worked out here so the macros stay plain HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from simpul.applications import eform_rules
from simpul.applications.eform_schema import (
    Kind,
    Schema,
    UiHints,
    hint_of,
    hints_for,
    items_of,
    kind_of,
    label_of,
    options_of,
    properties_of,
    required_of,
    schema_type,
    value_text,
)
from simpul.core.i18n import _

_DIGITS_ONLY: Final = re.compile(r"\^(\[0-9\]|\\d)(\{\d+(,\d*)?\}|\+)\$")
_INPUT_TYPES: Final[Mapping[str, str]] = {
    "number": "number",
    "date": "date",
    "phone": "tel",
    "email": "email",
    "nik": "text",
    "text": "text",
}


@dataclass(frozen=True)
class Option:
    """One choice of a radio group or select; ``id`` is the radio's element id."""

    value: str
    label: str
    id: str


@dataclass(frozen=True)
class FormRow:
    """One row of a repeated group, with its remove button's action (None: no button)."""

    index: int
    legend: str
    fields: list[FormField]
    remove_action: str | None


@dataclass(frozen=True, kw_only=True)
class FormField:
    """One field as drawn: ``name`` is the form key (``f.anak.0.nama``), ``path`` the data
    path errors use (``anak.0.nama``); ids are ``f-``/``h-``/``e-`` + name."""

    kind: Kind
    name: str
    path: str
    label: str
    hint: str = ""
    placeholder: str = ""
    value: str = ""
    checked: bool = False
    error: str = ""
    required: bool = False
    optional: bool = False
    input_type: str = "text"
    inputmode: str | None = None
    autocomplete: str | None = None
    maxlength: int | None = None
    minlength: int | None = None
    min: str | None = None
    max: str | None = None
    step: str | None = None
    pattern: str | None = None
    options: list[Option] = field(default_factory=list)
    children: list[FormField] = field(default_factory=list)
    rows: list[FormRow] = field(default_factory=list)
    add_action: str | None = None

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"

    @property
    def hint_id(self) -> str:
        return f"h-{self.name}"

    @property
    def error_id(self) -> str:
        return f"e-{self.name}"

    @property
    def describedby(self) -> str:
        """The ids for ``aria-describedby``: the hint, then the error, when shown."""
        ids = [self.hint_id] if self.hint else []
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    def errors(self) -> Iterator[tuple[str, str, str]]:
        """Every error shown in this field and below it: (element id, label, message)."""
        if self.error:
            yield self.input_id, self.label, self.error
        for child in self.children:
            yield from child.errors()
        for row in self.rows:
            for child in row.fields:
                for target, label, message in child.errors():
                    yield (
                        target,
                        _("%(label)s (baris %(n)d)") % {"label": label, "n": row.index + 1},
                        message,
                    )


def build_fields(
    schema: Schema,
    ui: UiHints | None = None,
    data: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    prefix: str = "f",
) -> list[FormField]:
    """The fields of an eForm in ``schema.properties`` order, filled with ``data`` and
    ``errors`` (by path, as ``validate`` returns them), for the ``eform`` macro."""
    builder = _Builder(ui or {}, errors or {})
    return builder.object_fields(schema, data or {}, prefix, "", browser_required=True)


class _Builder:
    def __init__(self, ui: UiHints, errors: Mapping[str, str]) -> None:
        self.ui = ui
        self.errors = errors

    def object_fields(
        self, node: Schema, data: Any, name: str, path: str, *, browser_required: bool
    ) -> list[FormField]:
        values = data if isinstance(data, Mapping) else {}
        required = required_of(node)
        return [
            self.field(
                child,
                values.get(key),
                f"{name}.{key}",
                f"{path}.{key}" if path else key,
                key,
                required=key in required,
                browser_required=browser_required and key in required,
            )
            for key, child in properties_of(node).items()
        ]

    def field(
        self,
        node: Schema,
        value: Any,
        name: str,
        path: str,
        key: str,
        *,
        required: bool,
        browser_required: bool,
    ) -> FormField:
        """One field; ``browser_required`` is whether the browser may insist on it (not in
        an optional address or in a row beyond ``minItems``, which may stay blank)."""
        hints = hints_for(self.ui, path)
        kind = kind_of(node, hints, key)
        common: dict[str, Any] = {
            "kind": kind,
            "name": name,
            "path": path,
            "label": label_of(node, key),
            "hint": hint_of(node, hints),
            "error": self.errors.get(path, ""),
        }
        if kind == "address":
            children = self.object_fields(
                node, value, name, path, browser_required=browser_required
            )
            return FormField(**common, required=required, optional=not required, children=children)
        if kind == "group":
            return self.group(node, value, name, path, common, required=required)
        if kind == "checkbox":
            must_check = node.get("const") is True
            return FormField(**common, checked=value is True, required=must_check)
        text = value_text(value)
        options = [
            Option(value=value_text(v), label=label, id=f"f-{name}" + (f"-{i}" if i else ""))
            for i, (v, label) in enumerate(options_of(node))
        ]
        limits = _constraints(node, kind)
        if kind == "date" and eform_rules.not_future(node):
            limits["max"] = eform_rules.latest_today().isoformat()
        rule_hints = [common["hint"]] if common["hint"] else []
        if (words := eform_rules.min_words(node)) is not None:
            rule_hints.append(eform_rules.min_words_hint(words))
        if (wanted := eform_rules.must_be(node)) is not None:
            rule_hints.append(eform_rules.must_be_hint(wanted[1]))
        common["hint"] = " ".join(rule_hints)
        return FormField(
            **common,
            value=text,
            placeholder=hints.get("placeholder", ""),
            required=browser_required,
            optional=not required,
            options=options,
            **limits,
        )

    def group(
        self,
        node: Schema,
        value: Any,
        name: str,
        path: str,
        common: dict[str, Any],
        *,
        required: bool,
    ) -> FormField:
        """A repeated group: ``max(minItems, rows, 1)`` rows and its add/remove buttons."""
        items = items_of(node)
        rows_data = value if isinstance(value, list) else []
        least = int(node.get("minItems", 0))
        most = node.get("maxItems")
        shown = max(least, len(rows_data), 1)
        rows = []
        for index in range(shown):
            row_value = rows_data[index] if index < len(rows_data) else None
            row_name, row_path = f"{name}.{index}", f"{path}.{index}"
            if schema_type(items) == "object":
                fields = self.object_fields(
                    items, row_value, row_name, row_path, browser_required=index < least
                )
            else:
                fields = [
                    self.field(
                        items,
                        row_value,
                        row_name,
                        row_path,
                        path.rsplit(".", 1)[-1],
                        required=True,
                        browser_required=index < least,
                    )
                ]
            removable = shown > max(least, 1)
            rows.append(
                FormRow(
                    index=index,
                    legend=_("Baris %(n)d") % {"n": index + 1},
                    fields=fields,
                    remove_action=f"remove:{row_path}" if removable else None,
                )
            )
        can_add = most is None or shown < int(most)
        return FormField(
            **common,
            required=required,
            rows=rows,
            add_action=f"add:{path}" if can_add else None,
        )


def _constraints(node: Schema, kind: Kind) -> dict[str, Any]:
    """What the browser can check cheaply: type, length, range, anchored pattern."""
    limits: dict[str, Any] = {
        "input_type": _INPUT_TYPES.get(kind, "text"),
        "maxlength": node.get("maxLength"),
        "minlength": node.get("minLength"),
    }
    pattern = node.get("pattern")
    # HTML anchors its pattern while JSON Schema searches; only anchored ones mean the same.
    if isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$"):
        limits["pattern"] = pattern
        if _DIGITS_ONLY.fullmatch(pattern):
            limits["inputmode"] = "numeric"
    if kind == "number":
        integer = schema_type(node) == "integer"
        limits["min"] = _limit(node.get("minimum"))
        limits["max"] = _limit(node.get("maximum"))
        limits["step"] = None if integer else "any"
    elif kind == "nik":
        limits["inputmode"] = "numeric"
        limits["autocomplete"] = "off"
        # Room for the separators people paste ("3273 0112 3456 0001"); the server takes them
        # out, so the browser must not refuse or cut them (no pattern, no maxlength of 16).
        limits["maxlength"] = NIK_INPUT_LENGTH
        limits["pattern"] = None
    elif kind == "phone":
        limits["inputmode"] = "tel"
    elif kind == "email":
        limits["inputmode"] = "email"
    return limits


#: A NIK as pasted: 16 digits and up to a separator between each.
NIK_INPUT_LENGTH: Final = "32"


def _limit(value: Any) -> str | None:
    return None if value is None else value_text(value)

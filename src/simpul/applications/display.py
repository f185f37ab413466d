"""Application data as people read it: each answer under its question, choices by their label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simpul.core.i18n import _


@dataclass(frozen=True)
class Answer:
    label: str
    value: str
    #: Nesting level: 0 for a question, 1 for a part of an address or of a repeated row.
    depth: int = 0
    #: Where the answer is in the data, as the eForm names errors (``alamat.kota``,
    #: ``anak.0.nama``): officers' checks point at answers by it (decision 0043).
    path: str = ""


def _choice_label(node: Mapping[str, Any], value: Any) -> str | None:
    for option in node.get("oneOf", []):
        if isinstance(option, Mapping) and option.get("const") == value:
            return str(option.get("title", value))
    return None


def _text(node: Mapping[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    label = _choice_label(node, value)
    return label if label is not None else str(value)


def describe(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[Answer]:
    """The answers in the order of the form, with the form's own labels."""
    answers: list[Answer] = []
    for key, node in schema.get("properties", {}).items():
        if key not in data:
            continue
        label = str(node.get("title", key))
        value = data[key]
        if node.get("type") == "object" and isinstance(value, Mapping):
            answers.append(Answer(label, "", 0, key))
            answers.extend(
                Answer(str(child.get("title", k)), _text(child, value[k]), 1, f"{key}.{k}")
                for k, child in node.get("properties", {}).items()
                if k in value
            )
        elif node.get("type") == "array" and isinstance(value, list):
            item = node.get("items", {})
            for number, row in enumerate(value, start=1):
                row_path = f"{key}.{number - 1}"
                answers.append(Answer(f"{label} {number}", "", 0, row_path))
                if isinstance(row, Mapping):
                    answers.extend(
                        Answer(
                            str(child.get("title", k)), _text(child, row[k]), 1, f"{row_path}.{k}"
                        )
                        for k, child in item.get("properties", {}).items()
                        if k in row
                    )
                else:
                    answers.append(Answer(label, _text(item, row), 1, row_path))
        else:
            answers.append(Answer(label, _text(node, value), 0, key))
    return answers

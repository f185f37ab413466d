"""Open311 answers as XML, built with ElementTree (escaping is its job, never ours)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any, Final

#: The element each item of a list field is written as.
_ITEM_TAGS: Final = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        child = ET.SubElement(element, name)
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list):
            tag = _ITEM_TAGS.get(name, "item")
            for item in value:
                grandchild = ET.SubElement(child, tag)
                if isinstance(item, Mapping):
                    _fill(grandchild, item)
                else:
                    grandchild.text = _text(item)
        else:
            child.text = _text(value)


def document(root: str, item: str | None, content: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """``<root>`` holding one ``<item>`` per element of a list, or ``content``'s fields."""
    element = ET.Element(root)
    if isinstance(content, Mapping):
        _fill(element, content)
    else:
        for entry in content:
            _fill(ET.SubElement(element, item or "item"), entry)
    written: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return written


def errors(code: int, descriptions: Sequence[str]) -> bytes:
    """The specification's ``<errors><error><code/><description/></error></errors>``."""
    return document(
        "errors", "error", [{"code": code, "description": text} for text in descriptions]
    )

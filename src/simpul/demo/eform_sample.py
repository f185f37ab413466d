"""The demo's answers: fixed, readable, valid data for a demo eForm (every property filled).

Text fields take the value for their kind (NIK, phone, date, e-mail), else the schema's JSON
Schema ``examples``, else a plain phrase. Tests and the benchmark draw their data from the
schema with hypothesis-jsonschema instead (``tests/support/eform_data.py``)."""

from __future__ import annotations

import math
import re
from typing import Any, Final

from jsonschema import Draft202012Validator

from simpul.applications.eform_schema import (
    Schema,
    items_of,
    kind_of,
    options_of,
    properties_of,
    schema_type,
)

#: A NIK registered in Kota Bandung (32.73.01), born 25 May 1995, sequence 0003.
SAMPLE_NIK: Final = "3273012505950003"
SAMPLE_PHONE: Final = "081234567890"
SAMPLE_DATE: Final = "2024-01-15"
SAMPLE_EMAIL: Final = "warga@contoh.id"
SAMPLE_TEXT: Final = "Contoh isian"
_FORMATS = Draft202012Validator.FORMAT_CHECKER
_BY_KIND: Final[dict[str, tuple[str, ...]]] = {
    "nik": (SAMPLE_NIK,),
    "phone": (SAMPLE_PHONE,),
    "date": (SAMPLE_DATE,),
    "email": (SAMPLE_EMAIL,),
}


def sample_data(schema: Schema) -> dict[str, Any]:
    """Data that fills every property of ``schema`` validly (every row group with
    ``max(minItems, 1)`` rows); raises ``ValueError`` for a property it cannot satisfy."""
    value = _sample(schema, "")
    return value if isinstance(value, dict) else {}


def _sample(node: Schema, key: str) -> Any:  # noqa: PLR0911 - one answer per JSON type
    if "const" in node:
        return node["const"]
    options = options_of(node)
    if options:
        return options[0][0]
    json_type = schema_type(node)
    if json_type == "object":
        return {k: _sample(child, k) for k, child in properties_of(node).items()}
    if json_type == "array":
        count = max(int(node.get("minItems", 0)), 1)
        if node.get("maxItems") is not None:
            count = min(count, int(node["maxItems"]))
        return [_sample(items_of(node), key) for _ in range(count)]
    if json_type == "boolean":
        return True
    if json_type in ("integer", "number"):
        return _sample_number(node, integer=json_type == "integer")
    return _sample_string(node, key)


def _sample_number(node: Schema, *, integer: bool) -> int | float:
    low, high = node.get("minimum"), node.get("maximum")
    above, below = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    candidates = [low, 1, high]
    if above is not None:
        candidates.append(math.floor(above) + 1 if integer else above + 0.5)
    for candidate in candidates:
        if candidate is None:
            continue
        value = math.ceil(candidate) if integer else candidate
        if (
            (low is None or value >= low)
            and (high is None or value <= high)
            and (above is None or value > above)
            and (below is None or value < below)
        ):
            return value
    raise ValueError(f"no number fits {dict(node)}")


def _sample_string(node: Schema, key: str) -> str:
    """The value for the field's kind, else the schema's own ``examples``, else plain text;
    the first that fits (a patterned field without a kind needs ``examples`` in its schema)."""
    kind = kind_of(node, {}, key)
    candidates = [*_BY_KIND.get(kind, ())]
    examples = node.get("examples")
    if isinstance(examples, list):
        candidates += [example for example in examples if isinstance(example, str)]
    least, most = int(node.get("minLength", 0)), node.get("maxLength")
    text = (SAMPLE_TEXT + "x" * max(0, least - len(SAMPLE_TEXT)))[: most or None].strip()
    candidates.append(text)
    for candidate in candidates:
        if _fits(node, candidate):
            return candidate
    raise ValueError(f"no text fits {dict(node)}")


def _fits(node: Schema, text: str) -> bool:
    most = node.get("maxLength")
    pattern = node.get("pattern")
    fmt = node.get("format")
    return (
        len(text) >= int(node.get("minLength", 0))
        and (most is None or len(text) <= int(most))
        and (not isinstance(pattern, str) or re.search(pattern, text) is not None)
        and (not isinstance(fmt, str) or _FORMATS.conforms(text, fmt))
    )

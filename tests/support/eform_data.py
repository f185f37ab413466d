"""Valid eForm data for tests and benchmarks, drawn from the schema with hypothesis-jsonschema.

``from_schema`` knows JSON Schema; Simpul's validator checks more than the schema says, so
each scalar property is rewritten for drawing (``_scalar``):

- NIK fields (``kind_of`` says "nik") draw valid NIKs (registered region, real birth date,
  sequence not 0000) through a custom format;
- plain text draws letters, digits, punctuation and inner spaces: no NUL or bidirectional
  controls (refused by ``validate``), nothing a form would trim, at least one character;
- dates are ISO dates between 1940 and 2030; numbers are whole (the form shows them back
  exactly); patterned fields (phone, RT, NIB ...) draw from their pattern.

``complete=True`` (the default) also makes every property required and every repeated group
at least one row, like a person who fills the whole form.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any, Final

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from simpul.applications.eform_rules import MIN_WORDS, MUST_BE, NOT_FUTURE
from simpul.applications.eform_schema import (
    Schema,
    UiHints,
    hints_for,
    items_of,
    kind_of,
    options_of,
    properties_of,
    required_of,
    schema_type,
)

#: First four NIK digits (province and regency) that ``parse_nik`` knows: Kota Bandung,
#: Kabupaten Bandung, Jakarta Selatan, Kota Surabaya.
NIK_REGIONS: Final = ("3273", "3204", "3174", "3578")
_NIK_FORMAT: Final = "x-simpul-nik"
_DATE_FORMAT: Final = "x-simpul-date"
_PAST_DATE_FORMAT: Final = "x-simpul-past-date"
_TEXT_CHARACTERS: Final = st.characters(codec="utf-8", categories=["L", "N", "P"])


def nik_strategy() -> st.SearchStrategy[str]:
    """Valid NIKs: a known region with a non-zero district, birth date DDMMYY (day + 40 for
    women), a sequence from 0001."""
    return st.builds(
        lambda region, district, born, female, number: (
            f"{region}{district:02d}{born.day + 40 * female:02d}{born:%m%y}{number:04d}"
        ),
        st.sampled_from(NIK_REGIONS),
        # Kecamatan codes that exist in all four (parse_nik checks them against Kemendagri).
        st.sampled_from((5, 6, 7, 8, 9, 10)),
        st.dates(dt.date(1940, 1, 1), dt.date(2010, 12, 31)),
        st.booleans(),
        st.integers(1, 9999),
    )


def _text(least: int, most: int | None) -> st.SearchStrategy[str]:
    least = max(least, 1)
    most = max(most if most is not None else 40, least)
    return st.text(
        st.one_of(_TEXT_CHARACTERS, st.just(" ")), min_size=least, max_size=min(most, least + 40)
    ).filter(lambda text: text == text.strip() and "  " not in text)


def _words(least: int, most: int | None) -> st.SearchStrategy[str]:
    """Text of at least ``least`` words (``x-simpul-min-words``), within ``most`` characters."""
    word = st.text(_TEXT_CHARACTERS, min_size=1, max_size=8)
    return (
        st.lists(word, min_size=least, max_size=least + 2)
        .map(" ".join)
        .filter(lambda text: most is None or len(text) <= most)
    )


#: Custom formats for ``from_schema``; text formats (one per length range) are added as met.
_FORMATS: Final[dict[str, st.SearchStrategy[str]]] = {
    _NIK_FORMAT: nik_strategy(),
    _DATE_FORMAT: st.dates(dt.date(1940, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat),
    # Not in the future (``x-simpul-not-future``): up to the day these tests were written.
    _PAST_DATE_FORMAT: st.dates(dt.date(1940, 1, 1), dt.date(2026, 12, 1)).map(dt.date.isoformat),
}


def eform_data(
    schema: Schema, ui: UiHints | None = None, *, complete: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of data that ``validate(schema, data, ui=ui)`` accepts."""
    return _strategy(schema, ui, "", "", complete=complete)


def _strategy(
    node: Schema, ui: UiHints | None, path: str, key: str, *, complete: bool
) -> st.SearchStrategy[Any]:
    """Objects and rows are built here (``from_schema``'s object strategy relies on Hypothesis
    internals that newer Hypothesis no longer has); every value in them is ``from_schema``."""
    json_type = schema_type(node)
    if json_type == "object" and not options_of(node):
        props = properties_of(node)
        children = {
            k: _strategy(child, ui, f"{path}.{k}" if path else k, k, complete=complete)
            for k, child in props.items()
        }
        needed = set(props) if complete else required_of(node)
        return st.fixed_dictionaries(
            {k: s for k, s in children.items() if k in needed},
            optional={k: s for k, s in children.items() if k not in needed},
        )
    if json_type == "array" and not options_of(node):
        least = int(node.get("minItems", 0))
        most = node.get("maxItems")
        return st.lists(
            _strategy(items_of(node), ui, path, key, complete=complete),
            min_size=max(least, 1) if complete else least,
            max_size=int(most) if most is not None else max(least, 1) + 2,
        )
    return from_schema(_scalar(node, ui, path, key), custom_formats=_FORMATS, allow_x00=False)


def _scalar(node: Schema, ui: UiHints | None, path: str, key: str) -> dict[str, Any]:
    """A scalar property rewritten for ``from_schema`` (see the module docstring)."""
    out = dict(node)
    json_type = schema_type(node)
    # The eForm's own rules (``eform_rules``), which JSON Schema does not know.
    if MUST_BE in node:
        return {"const": node[MUST_BE]}
    if "const" in node or options_of(node) or json_type != "string":
        if json_type == "number" and not options_of(node):
            out["type"] = "integer"
        return out
    kind = kind_of(node, hints_for(ui, path), key)
    if kind == "nik":
        out.pop("pattern", None)
        out["format"] = _NIK_FORMAT
    elif node.get("format") == "date":
        out["format"] = _PAST_DATE_FORMAT if node.get(NOT_FUTURE) is True else _DATE_FORMAT
    elif MIN_WORDS in node and "pattern" not in node and "format" not in node:
        words, most = int(node[MIN_WORDS]), node.get("maxLength")
        name = f"x-simpul-words-{words}-{most}"
        _FORMATS.setdefault(name, _words(words, most))
        out["format"] = name
    elif "pattern" not in node and "format" not in node:
        least, most = int(node.get("minLength", 0)), node.get("maxLength")
        name = f"x-simpul-text-{least}-{most}"
        _FORMATS.setdefault(name, _text(least, most))
        out["format"] = name
    return out


def valid_data(
    schema: Schema, ui: UiHints | None = None, *, seed: int = 0, complete: bool = True
) -> dict[str, Any]:
    """One deterministic example of ``eform_data`` (the same for the same schema and seed),
    for tests and benchmarks that need data rather than a property."""
    counter = itertools.count()
    return find(
        eform_data(schema, ui, complete=complete),
        lambda _data: next(counter) >= seed,
        settings=settings(
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            max_examples=seed + 100,
            suppress_health_check=list(HealthCheck),
        ),
    )


def valid_data_for(eform: Mapping[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """``valid_data`` of a stored eForm (``{"schema": ..., "ui": ...}``)."""
    return valid_data(eform["schema"], eform.get("ui"), seed=seed)

"""Reading the uploaded bytes: size, encoding, JSON or YAML, into JSON-compatible data.

Problems name the line and column of the file where there is one; YAML aliases, duplicate keys
and values JSON cannot store are refused.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Final

import yaml

from simpul.core.i18n import _
from simpul.gateway.registry.openapi_docs.problems import (
    MAX_DEPTH,
    Problem,
    Refused,
    location,
    root,
)

MAX_DOCUMENT_BYTES: Final = 2 * 1024 * 1024


def load_document(content: str | bytes) -> Any:
    """The document's data (JSON or YAML, told by the first character); ``Refused`` if not."""
    size = len(content.encode() if isinstance(content, str) else content)
    if size > MAX_DOCUMENT_BYTES:
        raise Refused(
            Problem(
                _("ukuran berkas"),
                _("%(size)s melebihi batas 2 MB.") % {"size": _megabytes(size)},
            )
        )
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Refused(
                Problem(
                    _("bita ke-%(n)d") % {"n": exc.start + 1},
                    _("berkas bukan teks UTF-8."),
                )
            ) from None
    else:
        text = content.removeprefix("\ufeff")
    if not text.strip():
        raise Refused(Problem(root(), _("berkas kosong.")))
    try:
        if text.lstrip().startswith("{"):
            return _normalise(_load_json(text), [])
        return _normalise(_load_yaml(text), [])
    except RecursionError:
        raise Refused(Problem(root(), _("struktur dokumen terlalu dalam bersarang."))) from None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _at_line(line: int, column: int) -> str:
    return _("baris %(line)d, kolom %(column)d") % {"line": line, "column": column}


def _load_json(text: str) -> Any:
    def refuse_constant(name: str) -> Any:
        raise ValueError(name)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise Refused(Problem(root(), _("kunci '%(key)s' muncul dua kali.") % {"key": key}))
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise Refused(
            Problem(
                _at_line(exc.lineno, exc.colno),
                _("JSON tidak sah: %(problem)s.") % {"problem": exc.msg},
            )
        ) from None
    except ValueError as exc:
        raise Refused(
            Problem(root(), _("nilai %(value)s tidak didukung JSON.") % {"value": exc})
        ) from None


class _SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases and duplicate keys and keeps dates as text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise Refused(
                Problem(
                    _at_line(event.start_mark.line + 1, event.start_mark.column + 1),
                    _("alias YAML (*nama) tidak didukung; tulis isinya langsung."),
                )
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, list | dict):
                    continue  # PyYAML refuses these itself, with the line
                if key in seen:
                    mark = key_node.start_mark
                    raise Refused(
                        Problem(
                            _at_line(mark.line + 1, mark.column + 1),
                            _("kunci '%(key)s' muncul dua kali.") % {"key": key},
                        )
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay text: ``version: 2024-01-01`` is a version string, not a date, in an API document.
_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - _SafeLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _at_line(mark.line + 1, mark.column + 1) if mark else root()
        problem = exc.problem or exc.context or str(exc)
        raise Refused(
            Problem(where, _("YAML tidak sah: %(problem)s.") % {"problem": problem})
        ) from None
    except yaml.YAMLError as exc:
        raise Refused(
            Problem(root(), _("YAML tidak sah: %(problem)s.") % {"problem": exc})
        ) from None


def _normalise(value: Any, path: list[str | int]) -> Any:
    """JSON-compatible data: keys as text (YAML ``200:`` is an integer), no NaN, no sets."""
    if len(path) > MAX_DEPTH:
        raise Refused(Problem(root(), _("struktur dokumen terlalu dalam bersarang.")))
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            text = _key_text(key, path)
            if text in result:
                raise Refused(
                    Problem(
                        location(path) or root(),
                        _("kunci '%(key)s' muncul dua kali.") % {"key": text},
                    )
                )
            result[text] = _normalise(item, [*path, text])
        return result
    if isinstance(value, list):
        return [_normalise(item, [*path, index]) for index, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise Refused(
            Problem(location(path) or root(), _("NaN dan tak hingga tidak didukung JSON."))
        )
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dt.date):  # an explicit !!timestamp
        return value.isoformat()
    raise Refused(
        Problem(
            location(path) or root(),
            _("nilai bertipe %(type)s tidak didukung JSON.") % {"type": type(value).__name__},
        )
    )


def _key_text(key: Any, path: list[str | int]) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int | float):
        return str(key)
    raise Refused(
        Problem(
            location(path) or root(),
            _("kunci bertipe %(type)s tidak didukung JSON.") % {"type": type(key).__name__},
        )
    )


def require_mapping(data: Any) -> dict[str, Any]:
    """``data`` if it is an object (a document is never a list or a scalar)."""
    if not isinstance(data, dict):
        raise Refused(
            Problem(root(), _("dokumen harus berupa objek JSON/YAML (pasangan kunci: nilai)."))
        )
    return data

"""Our own checks: local references only, path parameters, and the operations as endpoints."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

from simpul.core.i18n import _
from simpul.gateway.registry.openapi_docs.problems import (
    MAX_PROBLEMS,
    Problem,
    Refused,
    location,
    short,
)

#: The operations a service may offer through the gateway (TRACE is refused: it only echoes).
HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch")
MAX_PATH_LENGTH: Final = 500
MAX_OPERATION_ID_LENGTH: Final = 200
MAX_SUMMARY_LENGTH: Final = 300
_TEMPLATE_PARAM: Final = re.compile(r"\{([^{}/]+)\}")
#: The extension that marks a parameter as personal data (``true`` or a kind, e.g. ``nik``):
#: the gateway's message log keeps a keyed hash of its value, never the value.
PERSONAL_EXTENSION: Final = "x-simpul-personal"
_PERSONAL_KIND: Final = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class EndpointSpec:
    """One operation of the document."""

    method: str  # upper case
    path: str  # the path template, e.g. /penduduk/{nik}
    operation_id: str
    summary: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


_NOT_FOUND: Final = object()
_FREE_FORM: Final = frozenset({"example", "default", "enum", "const", "value"})


def _walk_references(value: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield [*path, "$ref"], ref
        for key, item in value.items():
            if key in _FREE_FORM or key.startswith("x-"):
                continue  # example data and extensions may hold any keys, "$ref" too
            yield from _walk_references(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_references(item, [*path, index])


def resolve_pointer(document: Any, ref: str) -> Any:
    """The node a local ``$ref`` (``#/components/schemas/Penduduk``) points at, or ``None``."""
    node = _resolve(document, ref)
    return None if node is _NOT_FOUND else node


def _resolve(document: Any, ref: str) -> Any:
    fragment = ref[1:] if ref.startswith("#") else None
    if fragment is None:
        return _NOT_FOUND
    node = document
    if not fragment:
        return node
    for raw in fragment.lstrip("/").split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _NOT_FOUND
    return node


def check_references(document: dict[str, Any]) -> None:
    """Every ``$ref`` points inside the document, at something that is there."""
    problems: list[Problem] = []
    for path, ref in _walk_references(document, []):
        where = location(path)
        if not ref.startswith("#"):
            problems.append(
                Problem(
                    where,
                    _(
                        "rujukan '%(ref)s' menunjuk ke luar dokumen; gabungkan semua bagian "
                        "ke satu berkas (rujukan harus diawali #/)."
                    )
                    % {"ref": short(ref, 80)},
                )
            )
        elif (ref == "#" or ref.startswith("#/")) and _resolve(document, ref) is _NOT_FOUND:
            problems.append(
                Problem(
                    where,
                    _("rujukan '%(ref)s' tidak ditemukan di dokumen.") % {"ref": short(ref, 80)},
                )
            )
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise Refused(*problems)


def _follow(document: Any, node: Any) -> Any:
    """A node with its local ``$ref`` chain followed (at most a few hops)."""
    for _hop in range(10):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        target = _resolve(document, node["$ref"])
        if target is _NOT_FOUND:
            return node
        node = target
    return node


def _path_parameter_names(document: Any, parameters: Any) -> set[str]:
    names: set[str] = set()
    for parameter in parameters if isinstance(parameters, list) else []:
        resolved = _follow(document, parameter)
        if isinstance(resolved, dict) and resolved.get("in") == "path":
            names.add(str(resolved.get("name", "")))
    return names


def _parameters(document: Any, item: Any, operation: Any) -> dict[tuple[str, str], Any]:
    """The operation's parameters by (name, in), its own overriding the path item's."""
    found: dict[tuple[str, str], Any] = {}
    for source in (item.get("parameters"), operation.get("parameters")):
        for parameter in source if isinstance(source, list) else []:
            resolved = _follow(document, parameter)
            if isinstance(resolved, dict):
                found[str(resolved.get("name", "")), str(resolved.get("in", ""))] = resolved
    return found


def _is_personal(parameter: dict[str, Any]) -> bool:
    marked = parameter.get(PERSONAL_EXTENSION, False)
    return marked is True or (isinstance(marked, str) and marked != "")


def personal_parameters(
    document: Any, path: str, method: str
) -> tuple[frozenset[str], frozenset[str]]:
    """Names of the path and of the query parameters of one operation marked personal."""
    paths = document.get("paths") if isinstance(document, dict) else None
    item = _follow(document, paths.get(path)) if isinstance(paths, dict) else None
    operation = item.get(method.lower()) if isinstance(item, dict) else None
    if not isinstance(item, dict) or not isinstance(operation, dict):
        return frozenset(), frozenset()
    marked = [key for key, p in _parameters(document, item, operation).items() if _is_personal(p)]
    return (
        frozenset(name for name, where in marked if where == "path"),
        frozenset(name for name, where in marked if where == "query"),
    )


def _personal_problems(where: str, parameters: dict[tuple[str, str], Any]) -> list[Problem]:
    problems = []
    for (name, _where), parameter in parameters.items():
        marked = parameter.get(PERSONAL_EXTENSION)
        if marked is None or isinstance(marked, bool):
            continue
        if not isinstance(marked, str) or not _PERSONAL_KIND.fullmatch(marked):
            problems.append(
                Problem(
                    f"{where}.parameters.{name}.{PERSONAL_EXTENSION}",
                    _(
                        "isi dengan true, false, atau jenis datanya dalam huruf kecil "
                        "(misalnya nik), maksimal 40 karakter."
                    ),
                )
            )
    return problems


def _normalised_template(path: str) -> str:
    return _TEMPLATE_PARAM.sub("{}", path.rstrip("/") or "/")


def extract_endpoints(document: dict[str, Any]) -> tuple[EndpointSpec, ...]:  # noqa: PLR0912 - one check per rule, each with its own message
    """Every operation, checked for what the gateway relies on, in document order."""
    paths = document.get("paths") or {}
    problems: list[Problem] = []
    endpoints: list[EndpointSpec] = []
    operation_ids: dict[str, str] = {}
    templates: dict[tuple[str, str], str] = {}
    for path, raw_item in paths.items():
        if path.startswith("x-"):
            continue
        item_where = location(["paths", path])
        item = _follow(document, raw_item)
        if not isinstance(item, dict):
            continue
        if len(path) > MAX_PATH_LENGTH:
            problems.append(
                Problem(item_where, _("jalur maksimal %(n)d karakter.") % {"n": MAX_PATH_LENGTH})
            )
            continue
        if "trace" in item:
            problems.append(
                Problem(
                    location(["paths", path, "trace"]),
                    _("operasi TRACE tidak dilayani gateway; hapus dari dokumen."),
                )
            )
        in_template = set(_TEMPLATE_PARAM.findall(path))
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            where = location(["paths", path, method])
            declared = _path_parameter_names(
                document, item.get("parameters")
            ) | _path_parameter_names(document, operation.get("parameters"))
            problems.extend(_personal_problems(where, _parameters(document, item, operation)))
            problems.extend(
                Problem(
                    f"{where}.parameters",
                    _(
                        "parameter jalur '{%(name)s}' belum didefinisikan "
                        "(tambahkan parameter dengan name: %(name)s, in: path)."
                    )
                    % {"name": name},
                )
                for name in sorted(in_template - declared)
            )
            problems.extend(
                Problem(
                    f"{where}.parameters",
                    _("parameter '%(name)s' memakai in: path tetapi tidak ada di jalur %(path)s.")
                    % {"name": name, "path": path},
                )
                for name in sorted(declared - in_template)
            )
            operation_id = str(operation.get("operationId", "") or "")
            if len(operation_id) > MAX_OPERATION_ID_LENGTH:
                problems.append(
                    Problem(
                        f"{where}.operationId",
                        _("maksimal %(n)d karakter.") % {"n": MAX_OPERATION_ID_LENGTH},
                    )
                )
            elif operation_id and operation_id in operation_ids:
                problems.append(
                    Problem(
                        f"{where}.operationId",
                        _("operationId '%(id)s' sudah dipakai di %(other)s.")
                        % {"id": operation_id, "other": operation_ids[operation_id]},
                    )
                )
            elif operation_id:
                operation_ids[operation_id] = where
            key = (method, _normalised_template(path))
            if key in templates:
                problems.append(
                    Problem(
                        where,
                        _("jalur ini sama dengan %(other)s (hanya nama parameternya berbeda).")
                        % {"other": templates[key]},
                    )
                )
            templates[key] = where
            summary = " ".join(str(operation.get("summary", "") or "").split())
            endpoints.append(
                EndpointSpec(
                    method=method.upper(),
                    path=path,
                    operation_id=operation_id,
                    summary=short(summary, MAX_SUMMARY_LENGTH),
                )
            )
    if not endpoints and not problems:
        problems.append(
            Problem(
                "paths",
                _("dokumen tidak memuat satu pun operasi; gateway memerlukan minimal satu."),
            )
        )
    if problems:
        raise Refused(*problems[:MAX_PROBLEMS])
    return tuple(endpoints)

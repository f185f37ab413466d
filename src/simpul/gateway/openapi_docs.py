"""Reading the OpenAPI 3 document a provider registers a service with.

``parse_openapi`` takes the uploaded bytes (JSON or YAML), validates them with
``openapi-spec-validator`` (OpenAPI 3.0 and 3.1) and returns the document with its endpoints.
Every refusal is an ``InvalidOpenApiDocument`` whose details name WHERE the problem is, as a
path into the document (``paths./penduduk/{nik}.get.responses``) or a line of the file, and say
what is wrong in words a provider can act on.

The document is untrusted input, so besides the specification's own rules it is held to a few
of ours: at most 2 MB, no YAML aliases (an alias "bomb" expands a small file into gigabytes),
no ``$ref`` outside the document (the server must never fetch URLs or read files for it), only
values JSON can store.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

import yaml
from jsonschema.exceptions import ValidationError
from jsonschema_path import SchemaPath
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.validation import keywords
from openapi_spec_validator.validation.validators import SpecValidator

from simpul.core.errors import InvalidInput
from simpul.core.i18n import _, lazy

MAX_DOCUMENT_BYTES: Final = 2 * 1024 * 1024
#: The operations a service may offer through the gateway (TRACE is refused: it only echoes).
HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch")
MAX_PATH_LENGTH: Final = 500
MAX_OPERATION_ID_LENGTH: Final = 200
MAX_SUMMARY_LENGTH: Final = 300
MAX_VERSION_LENGTH: Final = 40
#: How many problems one refusal lists (the first ones found).
MAX_PROBLEMS: Final = 20
_MAX_DEPTH: Final = 200
_VERSION: Final = re.compile(r"^3\.(0|1)\.\d+(-[0-9A-Za-z.-]+)?$")
_TEMPLATE_PARAM: Final = re.compile(r"\{([^{}/]+)\}")


class InvalidOpenApiDocument(InvalidInput):
    """The document was refused. ``details``: ``{"field": <where>, "message": <what>}``."""


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


@dataclass(frozen=True)
class OpenApiDocument:
    """A valid document, as JSON-compatible data, and what the gateway needs from it."""

    document: dict[str, Any]
    openapi_version: str  # e.g. 3.0.3
    title: str  # info.title
    version: str  # info.version
    description: str  # info.description
    endpoints: tuple[EndpointSpec, ...]


@dataclass(frozen=True)
class _Problem:
    where: str
    message: str


class _Refused(Exception):
    """Internal: the problems found; ``parse_openapi`` turns them into the public error."""

    def __init__(self, *problems: _Problem) -> None:
        super().__init__(problems[0].message if problems else "")
        self.problems = problems


def parse_openapi(content: str | bytes) -> OpenApiDocument:
    """Parse and validate an OpenAPI 3.0 or 3.1 document (JSON or YAML).

    Raises ``InvalidOpenApiDocument`` (an ``InvalidInput``) naming where each problem is.
    """
    try:
        data = _load(content)
        document = _require_mapping(data)
        validator_class = _validator_class(document)
        _check_structure(validator_class, document)
        _check_references(document)
        endpoints = _extract_endpoints(document)
        _check_semantics(validator_class, document)
        return _described(document, endpoints)
    except _Refused as refused:
        raise _refusal(refused.problems) from None


def _described(document: dict[str, Any], endpoints: tuple[EndpointSpec, ...]) -> OpenApiDocument:
    info = document["info"]
    version = str(info.get("version", ""))
    if len(version) > MAX_VERSION_LENGTH:
        raise _Refused(
            _Problem("info.version", _("maksimal %(n)d karakter.") % {"n": MAX_VERSION_LENGTH})
        )
    return OpenApiDocument(
        document=document,
        openapi_version=str(document["openapi"]),
        title=" ".join(str(info.get("title", "")).split()),
        version=version,
        description=str(info.get("description", "") or "").strip(),
        endpoints=endpoints,
    )


def _refusal(problems: Sequence[_Problem]) -> InvalidOpenApiDocument:
    first = problems[0]
    message = _("Dokumen OpenAPI ditolak: %(where)s: %(problem)s") % {
        "where": first.where,
        "problem": first.message,
    }
    if len(problems) > 1:
        message += " " + _("(dan %(n)d masalah lain)") % {"n": len(problems) - 1}
    return InvalidOpenApiDocument(
        message, details=[{"field": p.where, "message": p.message} for p in problems]
    )


def _root() -> str:
    return _("akar dokumen")


# -- reading the bytes ------------------------------------------------------------------------


def _load(content: str | bytes) -> Any:
    size = len(content.encode() if isinstance(content, str) else content)
    if size > MAX_DOCUMENT_BYTES:
        raise _Refused(
            _Problem(
                _("ukuran berkas"),
                _("%(size)s melebihi batas 2 MB.") % {"size": _megabytes(size)},
            )
        )
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Refused(
                _Problem(
                    _("bita ke-%(n)d") % {"n": exc.start + 1},
                    _("berkas bukan teks UTF-8."),
                )
            ) from None
    else:
        text = content.removeprefix("\ufeff")
    if not text.strip():
        raise _Refused(_Problem(_root(), _("berkas kosong.")))
    try:
        if text.lstrip().startswith("{"):
            return _normalise(_load_json(text), [])
        return _normalise(_load_yaml(text), [])
    except RecursionError:
        raise _Refused(_Problem(_root(), _("struktur dokumen terlalu dalam bersarang."))) from None


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
                raise _Refused(
                    _Problem(_root(), _("kunci '%(key)s' muncul dua kali.") % {"key": key})
                )
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise _Refused(
            _Problem(
                _at_line(exc.lineno, exc.colno),
                _("JSON tidak sah: %(problem)s.") % {"problem": exc.msg},
            )
        ) from None
    except ValueError as exc:
        raise _Refused(
            _Problem(_root(), _("nilai %(value)s tidak didukung JSON.") % {"value": exc})
        ) from None


class _SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases and duplicate keys and keeps dates as text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Refused(
                _Problem(
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
                    raise _Refused(
                        _Problem(
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
        where = _at_line(mark.line + 1, mark.column + 1) if mark else _root()
        problem = exc.problem or exc.context or str(exc)
        raise _Refused(
            _Problem(where, _("YAML tidak sah: %(problem)s.") % {"problem": problem})
        ) from None
    except yaml.YAMLError as exc:
        raise _Refused(
            _Problem(_root(), _("YAML tidak sah: %(problem)s.") % {"problem": exc})
        ) from None


def _normalise(value: Any, path: list[str | int]) -> Any:
    """JSON-compatible data: keys as text (YAML ``200:`` is an integer), no NaN, no sets."""
    if len(path) > _MAX_DEPTH:
        raise _Refused(_Problem(_root(), _("struktur dokumen terlalu dalam bersarang.")))
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            text = _key_text(key, path)
            if text in result:
                raise _Refused(
                    _Problem(
                        location(path) or _root(),
                        _("kunci '%(key)s' muncul dua kali.") % {"key": text},
                    )
                )
            result[text] = _normalise(item, [*path, text])
        return result
    if isinstance(value, list):
        return [_normalise(item, [*path, index]) for index, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused(
            _Problem(location(path) or _root(), _("NaN dan tak hingga tidak didukung JSON."))
        )
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dt.date):  # an explicit !!timestamp
        return value.isoformat()
    raise _Refused(
        _Problem(
            location(path) or _root(),
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
    raise _Refused(
        _Problem(
            location(path) or _root(),
            _("kunci bertipe %(type)s tidak didukung JSON.") % {"type": type(key).__name__},
        )
    )


def _require_mapping(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _Refused(
            _Problem(_root(), _("dokumen harus berupa objek JSON/YAML (pasangan kunci: nilai)."))
        )
    return data


# -- validation -------------------------------------------------------------------------------


def location(path: Sequence[str | int]) -> str:
    """Where a node is: ``paths./pets/{id}.get.parameters[0]`` for that list of keys."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _validator_class(document: Mapping[str, Any]) -> type[SpecValidator]:
    if "swagger" in document:
        raise _Refused(
            _Problem(
                "swagger",
                _(
                    "Swagger 2.0 tidak didukung; ubah dokumen ke OpenAPI 3 "
                    "(misalnya dengan swagger2openapi atau editor.swagger.io) lalu unggah lagi."
                ),
            )
        )
    version = document.get("openapi")
    if version is None:
        raise _Refused(
            _Problem(
                "openapi",
                _('wajib ada; tulis versi OpenAPI dokumen, misalnya openapi: "3.0.3".'),
            )
        )
    if not isinstance(version, str):
        raise _Refused(
            _Problem(
                "openapi",
                _('versi harus ditulis sebagai teks dalam tanda kutip, misalnya "3.0.3".'),
            )
        )
    if not _VERSION.match(version):
        raise _Refused(
            _Problem(
                "openapi",
                _("versi '%(version)s' tidak didukung; gunakan OpenAPI 3.0.x atau 3.1.x.")
                % {"version": version},
            )
        )
    return _OpenApi31Validator if version.startswith("3.1") else _OpenApi30Validator


# Where the library's own checks (schemas, defaults, parameters) found a problem: it says what,
# not where, so these subclasses tag each error with the path item, operation or component
# schema it came from: the keys from the root, each outer validator prepending its own.
_WHERE: Final = "_simpul_where"


def _tagged(errors: Iterator[ValidationError], *parts: str) -> Iterator[ValidationError]:
    for error in errors:
        setattr(error, _WHERE, [*parts, *getattr(error, _WHERE, [])])
        yield error


class _PathValidator(keywords.PathValidator):
    def __call__(self, url: str, path_item: SchemaPath) -> Iterator[ValidationError]:
        yield from _tagged(super().__call__(url, path_item), "paths", url)


class _OperationValidator(keywords.OperationValidator):
    def __call__(
        self, url: str, name: str, operation: SchemaPath, path_parameters: SchemaPath | None
    ) -> Iterator[ValidationError]:
        yield from _tagged(super().__call__(url, name, operation, path_parameters), name)


class _SchemasValidator(keywords.SchemasValidator):
    def __call__(self, schemas: SchemaPath) -> Iterator[ValidationError]:
        for name, schema in schemas.items():
            yield from _tagged(self.schema_validator(schema), "components", "schemas", str(name))


_LOCATED: Final = {
    "path": _PathValidator,
    "operation": _OperationValidator,
    "schemas": _SchemasValidator,
}


# The validators are used through ``schema_validator`` and ``root_validator``, never through
# the library's ``iter_errors``: that one is an ``lru_cache`` on a method, which would keep
# every uploaded document in memory for the life of the process.
class _OpenApi30Validator(OpenAPIV30SpecValidator):
    # No handlers: a ``$ref`` to a URL or a file is never fetched (``_check_references``
    # refuses them first; this is the second lock).
    resolver_handlers = {}  # noqa: RUF012 - the library reads this class attribute
    keyword_validators = {**OpenAPIV30SpecValidator.keyword_validators, **_LOCATED}  # noqa: RUF012


class _OpenApi31Validator(OpenAPIV31SpecValidator):
    resolver_handlers = {}  # noqa: RUF012 - the library reads this class attribute
    keyword_validators = {**OpenAPIV31SpecValidator.keyword_validators, **_LOCATED}  # noqa: RUF012


def _check_structure(validator_class: type[SpecValidator], document: dict[str, Any]) -> None:
    """The document against the JSON Schema of its OpenAPI version."""
    problems: list[_Problem] = []
    for error in validator_class(document).schema_validator.iter_errors(document):
        problems.append(_describe(error))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise _Refused(*problems)


def _check_semantics(validator_class: type[SpecValidator], document: dict[str, Any]) -> None:
    """The rules a JSON Schema cannot say (schemas, defaults), checked by the library."""
    validator = validator_class(document)
    problems: list[_Problem] = []
    try:
        for error in validator.root_validator(validator.schema_path):
            problems.append(
                _Problem(
                    location(getattr(error, _WHERE, [])) or _root(),
                    _("aturan OpenAPI dilanggar: %(detail)s") % {"detail": _short(error.message)},
                )
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    except RecursionError:
        problems.append(_Problem(_root(), _("skema terlalu dalam bersarang atau berulang.")))
    except Exception as exc:  # noqa: BLE001 - the library fails in many ways on broken input
        problems.append(
            _Problem(
                _root(),
                _("dokumen tidak dapat diperiksa: %(detail)s") % {"detail": _short(str(exc))},
            )
        )
    if problems:
        raise _Refused(*problems)


_TYPE_NAMES: Final = {
    "object": lazy("objek"),
    "array": lazy("daftar"),
    "string": lazy("teks"),
    "integer": lazy("bilangan bulat"),
    "number": lazy("angka"),
    "boolean": lazy("boolean (true/false)"),
    "null": "null",
}


_PYTHON_TYPES: Final = (
    (bool, "boolean"),  # before int: a bool is an int in Python
    (dict, "object"),
    (list, "array"),
    (str, "string"),
    (int, "integer"),
    (float, "number"),
)


def _type_name(value: Any) -> str:
    for python_type, name in _PYTHON_TYPES:
        if isinstance(value, python_type):
            return _(_TYPE_NAMES[name])
    return "null"


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(error: ValidationError) -> _Problem:  # noqa: PLR0911 - one answer per kind
    """Where the error is and what is wrong, in Indonesian, for the errors people make."""
    error = _most_relevant(error)
    path = list(error.absolute_path)
    where = location(path) or _root()
    kind = error.validator
    value: Any = error.validator_value
    instance = error.instance
    if kind == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance] or list(value)
        return _Problem(
            where,
            _("properti wajib '%(name)s' tidak ada.") % {"name": "', '".join(missing)},
        )
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        unexpected = _unexpected_properties(error)
        if path == ["paths"] and unexpected:
            return _Problem(
                f"paths.{unexpected[0]}",
                _("jalur harus diawali '/', misalnya /%(path)s.") % {"path": unexpected[0]},
            )
        if unexpected:
            return _Problem(
                where,
                _("properti '%(name)s' tidak dikenal di sini (hanya ekstensi x-... yang bebas).")
                % {"name": "', '".join(unexpected)},
            )
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return _Problem(
            where,
            _("harus bertipe %(wanted)s, bukan %(actual)s.")
            % {
                "wanted": " / ".join(_(_TYPE_NAMES.get(str(t), str(t))) for t in wanted),
                "actual": _type_name(instance),
            },
        )
    if kind in ("enum", "const"):
        options = value if isinstance(value, list) else [value]
        return _Problem(where, _enum_message(instance, options))
    if kind == "uniqueItems":
        return _Problem(where, _("berisi butir yang sama lebih dari sekali."))
    if kind in ("minProperties", "minItems") and value == 1:
        return _Problem(where, _("tidak boleh kosong."))
    if kind == "pattern":
        return _Problem(
            where,
            _("nilai '%(value)s' tidak sesuai pola %(pattern)s.")
            % {"value": _short(str(instance), 60), "pattern": value},
        )
    if kind in ("oneOf", "anyOf"):
        return _Problem(where, _("isinya tidak cocok dengan satu pun bentuk yang diizinkan."))
    return _Problem(
        where,
        _("tidak sesuai spesifikasi OpenAPI: %(detail)s") % {"detail": _short(error.message)},
    )


def _enum_message(instance: Any, options: Sequence[Any]) -> str:
    return _("nilai '%(value)s' tidak diizinkan; pilih salah satu: %(options)s.") % {
        "value": _short(str(instance), 60),
        "options": ", ".join(str(o) for o in options),
    }


def _unexpected_properties(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [
        key
        for key in instance
        if key not in known
        and not key.startswith("x-")
        and not any(p.search(key) for p in patterns)
    ]


def _most_relevant(error: ValidationError) -> ValidationError:
    """Descend into a ``oneOf``/``anyOf`` to the branch the author meant.

    OpenAPI's schema says "a Response or a Reference" everywhere; an object without ``$ref``
    was not meant as a Reference, so that branch's complaint is noise.
    """
    seen = 0
    while error.validator in ("oneOf", "anyOf") and error.context and seen < _MAX_DEPTH:
        seen += 1
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        meant = [
            errors
            for errors in branches.values()
            if not any(e.validator == "required" and "$ref" in _listed(e) for e in errors)
        ]
        if len(meant) == 1:
            error = max(meant[0], key=lambda e: len(e.absolute_path))
            continue
        merged = _merge_enums([e for errors in meant for e in errors])
        return merged or error
    return error


def _listed(error: ValidationError) -> list[Any]:
    value: Any = error.validator_value
    return list(value) if isinstance(value, list | tuple) else []


def _merge_enums(errors: Sequence[ValidationError]) -> ValidationError | None:
    """``in: body`` fails four branches (path, query, header, cookie): say it once."""
    if not errors or any(e.validator != "enum" for e in errors):
        return None
    if len({tuple(e.absolute_path) for e in errors}) != 1:
        return None
    options: list[Any] = []
    for e in errors:
        options.extend(o for o in _listed(e) if o not in options)
    first = errors[0]
    return ValidationError(
        first.message,
        validator="enum",
        validator_value=options,
        instance=first.instance,
        path=first.absolute_path,
    )


# -- our own checks: references, path parameters, operations ------------------------------------

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


def _check_references(document: dict[str, Any]) -> None:
    problems: list[_Problem] = []
    for path, ref in _walk_references(document, []):
        where = location(path)
        if not ref.startswith("#"):
            problems.append(
                _Problem(
                    where,
                    _(
                        "rujukan '%(ref)s' menunjuk ke luar dokumen; gabungkan semua bagian "
                        "ke satu berkas (rujukan harus diawali #/)."
                    )
                    % {"ref": _short(ref, 80)},
                )
            )
        elif (ref == "#" or ref.startswith("#/")) and _resolve(document, ref) is _NOT_FOUND:
            problems.append(
                _Problem(
                    where,
                    _("rujukan '%(ref)s' tidak ditemukan di dokumen.") % {"ref": _short(ref, 80)},
                )
            )
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise _Refused(*problems)


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


def _normalised_template(path: str) -> str:
    return _TEMPLATE_PARAM.sub("{}", path.rstrip("/") or "/")


def _extract_endpoints(document: dict[str, Any]) -> tuple[EndpointSpec, ...]:  # noqa: PLR0912 - one check per rule, each with its own message
    """Every operation, checked for what the gateway relies on, in document order."""
    paths = document.get("paths") or {}
    problems: list[_Problem] = []
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
                _Problem(item_where, _("jalur maksimal %(n)d karakter.") % {"n": MAX_PATH_LENGTH})
            )
            continue
        if "trace" in item:
            problems.append(
                _Problem(
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
            problems.extend(
                _Problem(
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
                _Problem(
                    f"{where}.parameters",
                    _("parameter '%(name)s' memakai in: path tetapi tidak ada di jalur %(path)s.")
                    % {"name": name, "path": path},
                )
                for name in sorted(declared - in_template)
            )
            operation_id = str(operation.get("operationId", "") or "")
            if len(operation_id) > MAX_OPERATION_ID_LENGTH:
                problems.append(
                    _Problem(
                        f"{where}.operationId",
                        _("maksimal %(n)d karakter.") % {"n": MAX_OPERATION_ID_LENGTH},
                    )
                )
            elif operation_id and operation_id in operation_ids:
                problems.append(
                    _Problem(
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
                    _Problem(
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
                    summary=_short(summary, MAX_SUMMARY_LENGTH),
                )
            )
    if not endpoints and not problems:
        problems.append(
            _Problem(
                "paths",
                _("dokumen tidak memuat satu pun operasi; gateway memerlukan minimal satu."),
            )
        )
    if problems:
        raise _Refused(*problems[:MAX_PROBLEMS])
    return tuple(endpoints)

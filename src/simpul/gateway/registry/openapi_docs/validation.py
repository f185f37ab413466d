"""Validating against the OpenAPI 3.0/3.1 specification, and saying in Indonesian where and what.

``openapi-spec-validator`` finds the problems; this module tags them with where in the document
they are and translates the errors people make into messages a provider can act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any, Final

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for as jsonschema_validator_for
from jsonschema_path import SchemaPath
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.schemas import schema_v30, schema_v31
from openapi_spec_validator.validation import keywords
from openapi_spec_validator.validation.validators import SpecValidator

from simpul.core.i18n import _, lazy
from simpul.gateway.registry.openapi_docs.problems import (
    MAX_DEPTH,
    MAX_PROBLEMS,
    Problem,
    Refused,
    location,
    root,
    short,
)

_VERSION: Final = re.compile(r"^3\.(0|1)\.\d+(-[0-9A-Za-z.-]+)?$")


def validator_for(document: Mapping[str, Any]) -> type[SpecValidator]:
    """The validator of the document's ``openapi`` version (3.0.x or 3.1.x); ``Refused`` if not."""
    if "swagger" in document:
        raise Refused(
            Problem(
                "swagger",
                _(
                    "Swagger 2.0 tidak didukung; ubah dokumen ke OpenAPI 3 "
                    "(misalnya dengan swagger2openapi atau editor.swagger.io) lalu unggah lagi."
                ),
            )
        )
    version = document.get("openapi")
    if version is None:
        raise Refused(
            Problem(
                "openapi",
                _('wajib ada; tulis versi OpenAPI dokumen, misalnya openapi: "3.0.3".'),
            )
        )
    if not isinstance(version, str):
        raise Refused(
            Problem(
                "openapi",
                _('versi harus ditulis sebagai teks dalam tanda kutip, misalnya "3.0.3".'),
            )
        )
    if not _VERSION.match(version):
        raise Refused(
            Problem(
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


@cache
def _structure_validator(version: str) -> Validator:
    """jsonschema's validator of the OpenAPI ``version``'s own JSON Schema.

    openapi-spec-validator picks jsonschema-rs when it is installed (schemathesis brings it
    into the dev environment), whose errors keep neither ``validator`` nor ``context``: the
    messages below read those, so production and tests use the same, pure-Python backend."""
    schema: dict[str, Any] = dict(schema_v31 if version == "3.1" else schema_v30)
    validator: Validator = jsonschema_validator_for(schema)(schema)
    return validator


# The validators are used through ``schema_validator`` and ``root_validator``, never through
# the library's ``iter_errors``: that one is an ``lru_cache`` on a method, which would keep
# every uploaded document in memory for the life of the process.
class _OpenApi30Validator(OpenAPIV30SpecValidator):
    # No handlers: a ``$ref`` to a URL or a file is never fetched (``endpoints.check_references``
    # refuses them first; this is the second lock).
    resolver_handlers = {}  # noqa: RUF012 - the library reads this class attribute
    keyword_validators = {**OpenAPIV30SpecValidator.keyword_validators, **_LOCATED}  # noqa: RUF012

    @property
    def schema_validator(self) -> Validator:  # type: ignore[override]
        return _structure_validator("3.0")


class _OpenApi31Validator(OpenAPIV31SpecValidator):
    resolver_handlers = {}  # noqa: RUF012 - the library reads this class attribute
    keyword_validators = {**OpenAPIV31SpecValidator.keyword_validators, **_LOCATED}  # noqa: RUF012

    @property
    def schema_validator(self) -> Validator:  # type: ignore[override]
        return _structure_validator("3.1")


def check_structure(validator_class: type[SpecValidator], document: dict[str, Any]) -> None:
    """The document against the JSON Schema of its OpenAPI version."""
    problems: list[Problem] = []
    for error in validator_class(document).schema_validator.iter_errors(document):
        problems.append(_describe(error))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise Refused(*problems)


def check_semantics(validator_class: type[SpecValidator], document: dict[str, Any]) -> None:
    """The rules a JSON Schema cannot say (schemas, defaults), checked by the library."""
    validator = validator_class(document)
    problems: list[Problem] = []
    try:
        for error in validator.root_validator(validator.schema_path):
            problems.append(
                Problem(
                    location(getattr(error, _WHERE, [])) or root(),
                    _("aturan OpenAPI dilanggar: %(detail)s") % {"detail": short(error.message)},
                )
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    except RecursionError:
        problems.append(Problem(root(), _("skema terlalu dalam bersarang atau berulang.")))
    except Exception as exc:  # noqa: BLE001 - the library fails in many ways on broken input
        problems.append(
            Problem(
                root(),
                _("dokumen tidak dapat diperiksa: %(detail)s") % {"detail": short(str(exc))},
            )
        )
    if problems:
        raise Refused(*problems)


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


def _describe(error: ValidationError) -> Problem:  # noqa: PLR0911 - one answer per kind
    """Where the error is and what is wrong, in Indonesian, for the errors people make."""
    error = _most_relevant(error)
    path = list(error.absolute_path)
    where = location(path) or root()
    kind = error.validator
    value: Any = error.validator_value
    instance = error.instance
    if kind == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance] or list(value)
        return Problem(
            where,
            _("properti wajib '%(name)s' tidak ada.") % {"name": "', '".join(missing)},
        )
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        unexpected = _unexpected_properties(error)
        if path == ["paths"] and unexpected:
            return Problem(
                f"paths.{unexpected[0]}",
                _("jalur harus diawali '/', misalnya /%(path)s.") % {"path": unexpected[0]},
            )
        if unexpected:
            return Problem(
                where,
                _("properti '%(name)s' tidak dikenal di sini (hanya ekstensi x-... yang bebas).")
                % {"name": "', '".join(unexpected)},
            )
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return Problem(
            where,
            _("harus bertipe %(wanted)s, bukan %(actual)s.")
            % {
                "wanted": " / ".join(_(_TYPE_NAMES.get(str(t), str(t))) for t in wanted),
                "actual": _type_name(instance),
            },
        )
    if kind in ("enum", "const"):
        options = value if isinstance(value, list) else [value]
        return Problem(where, _enum_message(instance, options))
    if kind == "uniqueItems":
        return Problem(where, _("berisi butir yang sama lebih dari sekali."))
    if kind in ("minProperties", "minItems") and value == 1:
        return Problem(where, _("tidak boleh kosong."))
    if kind == "pattern":
        return Problem(
            where,
            _("nilai '%(value)s' tidak sesuai pola %(pattern)s.")
            % {"value": short(str(instance), 60), "pattern": value},
        )
    if kind in ("oneOf", "anyOf"):
        return Problem(where, _("isinya tidak cocok dengan satu pun bentuk yang diizinkan."))
    return Problem(
        where,
        _("tidak sesuai spesifikasi OpenAPI: %(detail)s") % {"detail": short(error.message)},
    )


def _enum_message(instance: Any, options: Sequence[Any]) -> str:
    return _("nilai '%(value)s' tidak diizinkan; pilih salah satu: %(options)s.") % {
        "value": short(str(instance), 60),
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
    while error.validator in ("oneOf", "anyOf") and error.context and seen < MAX_DEPTH:
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

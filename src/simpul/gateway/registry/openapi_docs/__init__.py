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

Import from here; the modules split the work: ``loading`` (bytes to data, with line numbers),
``validation`` (the specification's rules, errors translated into where and what),
``endpoints`` (local references, path parameters, the operations); ``problems`` holds what
they share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.gateway.registry.openapi_docs.endpoints import (
    HTTP_METHODS,
    MAX_OPERATION_ID_LENGTH,
    MAX_PATH_LENGTH,
    MAX_SUMMARY_LENGTH,
    PERSONAL_EXTENSION,
    EndpointSpec,
    check_references,
    extract_endpoints,
    personal_parameters,
    resolve_pointer,
)
from simpul.gateway.registry.openapi_docs.loading import (
    MAX_DOCUMENT_BYTES,
    load_document,
    require_mapping,
)
from simpul.gateway.registry.openapi_docs.problems import MAX_PROBLEMS, Problem, Refused, location
from simpul.gateway.registry.openapi_docs.validation import (
    check_semantics,
    check_structure,
    validator_for,
)

__all__ = [
    "HTTP_METHODS",
    "MAX_DOCUMENT_BYTES",
    "MAX_OPERATION_ID_LENGTH",
    "MAX_PATH_LENGTH",
    "MAX_PROBLEMS",
    "MAX_SUMMARY_LENGTH",
    "MAX_VERSION_LENGTH",
    "PERSONAL_EXTENSION",
    "EndpointSpec",
    "InvalidOpenApiDocument",
    "OpenApiDocument",
    "location",
    "parse_openapi",
    "personal_parameters",
    "resolve_pointer",
]

MAX_VERSION_LENGTH: Final = 40


class InvalidOpenApiDocument(InvalidInput):
    """The document was refused. ``details``: ``{"field": <where>, "message": <what>}``."""


@dataclass(frozen=True)
class OpenApiDocument:
    """A valid document, as JSON-compatible data, and what the gateway needs from it."""

    document: dict[str, Any]
    openapi_version: str  # e.g. 3.0.3
    title: str  # info.title
    version: str  # info.version
    description: str  # info.description
    endpoints: tuple[EndpointSpec, ...]


def parse_openapi(content: str | bytes) -> OpenApiDocument:
    """Parse and validate an OpenAPI 3.0 or 3.1 document (JSON or YAML).

    Raises ``InvalidOpenApiDocument`` (an ``InvalidInput``) naming where each problem is.
    """
    try:
        data = load_document(content)
        document = require_mapping(data)
        validator_class = validator_for(document)
        check_structure(validator_class, document)
        check_references(document)
        endpoints = extract_endpoints(document)
        check_semantics(validator_class, document)
        return _described(document, endpoints)
    except Refused as refused:
        raise _refusal(refused.problems) from None


def _described(document: dict[str, Any], endpoints: tuple[EndpointSpec, ...]) -> OpenApiDocument:
    info = document["info"]
    version = str(info.get("version", ""))
    if len(version) > MAX_VERSION_LENGTH:
        raise Refused(
            Problem("info.version", _("maksimal %(n)d karakter.") % {"n": MAX_VERSION_LENGTH})
        )
    return OpenApiDocument(
        document=document,
        openapi_version=str(document["openapi"]),
        title=" ".join(str(info.get("title", "")).split()),
        version=version,
        description=str(info.get("description", "") or "").strip(),
        endpoints=endpoints,
    )


def _refusal(problems: Sequence[Problem]) -> InvalidOpenApiDocument:
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

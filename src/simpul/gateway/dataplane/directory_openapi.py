"""The OpenAPI document of the gateway's own endpoints: the GovStack IM directory.

``simpul gateway`` serves it at ``/openapi.json`` so integrators (and tools such as
schemathesis, which ``tests/security/test_api_fuzzing.py`` runs over it) can read what the
directory answers: ``listClients``, and per provider application ``listMethods``,
``allowedMethods`` and ``getOpenAPI``. It is written here from what ``directory`` and
``dataplane`` do, not copied from the GovStack specification; the shapes are the ones the spec
names (``restClientDetailsListType``, ``restServiceDetailsListType``), and the operationIds,
paths and parameter names are the spec's, ``X-GovStack-Client`` (``clientId``) required where
the spec requires it. Calls to the providers' services themselves are described by each
service's own document (``getOpenAPI``).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Final

_TEXT: Final = {"type": "string", "minLength": 1}
_ERROR_REF: Final = {"$ref": "#/components/schemas/Error"}
#: As the spec declares them on each provider path item: the caller, then the provider.
_PROVIDER_PARAMETERS: Final = [
    {"$ref": f"#/components/parameters/{name}"}
    for name in ("clientId", "instanceId", "memberClass", "memberCode", "applicationCode")
]
#: The key is optional: without it the caller is who X-GovStack-Client names (directory
#: answers are not secret); with it, the key must be that caller's.
_OPTIONAL_KEY: Final[list[dict[str, list[str]]]] = [{}, {"ApiKey": []}]


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "A malformed parameter or header.",
        401: "An API key that is unknown, revoked, or not the named caller's.",
        404: "No such provider application or service at this gateway.",
        405: "The directory answers GET only.",
    }
    return {
        str(status): _json_response(descriptions[status], _ERROR_REF)
        for status in (*statuses, 401, 405)
    }


def _operation(
    operation_id: str,
    summary: str,
    parameters: list[dict[str, Any]],
    answer: dict[str, Any],
    *errors: int,
    shared: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A path item with one GET; ``shared`` are its path-item parameters (as the spec has)."""
    item: dict[str, Any] = {} if shared is None else {"parameters": shared}
    item["get"] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["directory"],
        "security": _OPTIONAL_KEY,
        "parameters": parameters,
        "responses": {"200": answer, **_errors(*errors)},
    }
    return item


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _TEXT,
    }


def _client_header(*, required: bool, description: str) -> dict[str, Any]:
    """``X-GovStack-Client``: the spec's ``clientId``, required on the provider operations."""
    return {
        "name": "X-GovStack-Client",
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


def _service_id_parameter(name: str, *, required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": (
            "A service code, or the full INSTANCE/CLASS/MEMBER/APPLICATION/SERVICE id of a "
            "service of the provider at this address."
        ),
        "schema": _TEXT,
    }


def _schemas() -> dict[str, Any]:
    strings = dict.fromkeys(("instanceId", "memberClass", "memberCode", "applicationCode"), _TEXT)
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "array"},
                    },
                },
                "request_id": {"type": "string", "format": "uuid"},
            },
        },
        "ClientList": {
            "description": "restClientDetailsListType: each agency (MEMBER), then its apps.",
            "type": "object",
            "required": ["member"],
            "properties": {
                "member": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "id"],
                        "properties": {
                            "name": {"type": "string"},
                            "id": {
                                "type": "object",
                                "required": [
                                    "objectType",
                                    "instanceId",
                                    "memberClass",
                                    "memberCode",
                                ],
                                "properties": {
                                    "objectType": {"enum": ["MEMBER", "APPLICATION"]},
                                    **strings,
                                },
                            },
                        },
                    },
                }
            },
        },
        "ServiceList": {
            "description": "restServiceDetailsListType: services with their endpoints.",
            "type": "object",
            "required": ["member"],
            "properties": {
                "member": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "objectType",
                            "serviceType",
                            *strings,
                            "serviceCode",
                            "serviceVersion",
                            "endpointList",
                        ],
                        "properties": {
                            "objectType": {"const": "SERVICE"},
                            "serviceType": {"const": "REST"},
                            **strings,
                            "serviceCode": _TEXT,
                            "serviceVersion": {"type": "string"},
                            "endpointList": {
                                "type": "object",
                                "required": ["member"],
                                "properties": {
                                    "member": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["method", "path"],
                                            "properties": {
                                                "method": {"type": "string"},
                                                "path": {"type": "string"},
                                            },
                                        },
                                    }
                                },
                            },
                        },
                    },
                }
            },
        },
    }


def directory_openapi() -> dict[str, Any]:
    """The document (OpenAPI 3.1); the paths are relative to the gateway's address."""
    provider = "/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}"
    services = _json_response(
        "The services, each with its endpoints.", {"$ref": "#/components/schemas/ServiceList"}
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Simpul gateway: GovStack Information Mediator directory",
            "version": "1.0.0",
            "description": (
                "Who is reachable through this gateway and what they offer. Name yourself in "
                "X-GovStack-Client (or Information-Mediator-Client) as INSTANCE/CLASS/MEMBER/"
                "APPLICATION: listMethods, allowedMethods and getOpenAPI require it, as the "
                "GovStack IM Directory Services spec declares; a key sent in X-API-Key must be "
                "yours. Errors have the shape "
                '`{"error": {"code", "message", "details"}, "request_id"}`.'
            ),
        },
        "paths": {
            "/listClients": _operation(
                "listClients",
                "Agencies (members) and their applications known to the gateway",
                [
                    {
                        "name": "instanceId",
                        "in": "query",
                        "required": False,
                        "description": "Only this instance (a region); default: the caller's.",
                        "schema": _TEXT,
                    },
                    {"$ref": "#/components/parameters/optionalClientId"},
                ],
                _json_response(
                    "Members and applications.", {"$ref": "#/components/schemas/ClientList"}
                ),
            ),
            f"{provider}/listMethods": _operation(
                "listMethods",
                "The enabled services of a provider application, with their endpoints",
                [_service_id_parameter("serviceId", required=False)],
                services,
                400,
                404,
                shared=_PROVIDER_PARAMETERS,
            ),
            f"{provider}/allowedMethods": _operation(
                "allowedMethods",
                "What the caller (X-GovStack-Client) may call at a provider application",
                [_service_id_parameter("serviceId", required=False)],
                services,
                400,
                404,
                shared=_PROVIDER_PARAMETERS,
            ),
            f"{provider}/getOpenAPI": _operation(
                "getOpenAPI",
                "The OpenAPI document of a service, its server set to this gateway",
                [_service_id_parameter("serviceCode", required=True)],
                _json_response("The service's OpenAPI document.", {"type": "object"}),
                400,
                404,
                shared=_PROVIDER_PARAMETERS,
            ),
        },
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "parameters": {
                "instanceId": _path_parameter("instanceId", "The provider's instance (region)."),
                "memberClass": _path_parameter("memberClass", "The provider's member class."),
                "memberCode": _path_parameter("memberCode", "The provider's agency."),
                "applicationCode": _path_parameter("applicationCode", "The provider application."),
                "clientId": _client_header(
                    required=True,
                    description=(
                        "The caller: INSTANCE/CLASS/MEMBER/APPLICATION (Information-Mediator-"
                        "Client is taken as the same header). Missing or malformed: 400. "
                        "allowedMethods also needs it to name a registered client."
                    ),
                ),
                "optionalClientId": _client_header(
                    required=False,
                    description=(
                        "The caller: INSTANCE/CLASS/MEMBER/APPLICATION; when instanceId is not "
                        "given, its instance is listed."
                    ),
                ),
            },
            "schemas": _schemas(),
        },
    }


@functools.cache
def directory_openapi_bytes() -> bytes:
    """The document as the gateway sends it (built once per process)."""
    return json.dumps(directory_openapi(), ensure_ascii=False).encode()

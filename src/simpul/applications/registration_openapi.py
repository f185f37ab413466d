"""The Registration API's own OpenAPI document, as the GovStack specification lays it out.

``GET /api/{region}/registration/openapi.json`` answers the part of Simpul's document
(``/api/openapi.json``) under the Registration API, with the specification's paths
(``/services``, ``/applications/{fileId}``, ...) below a ``servers`` entry for the region and
only the schemas those paths use. A client generated from it, or from the specification,
calls the same operations with the same parameter names (``tests/contracts``).
"""

from __future__ import annotations

import copy
from typing import Any, Final

TITLE: Final = "Simpul: GovStack Registration Building Block API"
SPEC_VERSIONS: Final = "Registration BB API 0.1.1 and its statistics API 1.0.0"


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _used_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The schemas ``paths`` refer to, directly or through other schemas."""
    wanted: set[str] = set()
    _refs(paths, wanted)
    done: set[str] = set()
    while wanted - done:
        name = (wanted - done).pop()
        done.add(name)
        _refs(schemas.get(name, {}), wanted)
    return {name: schemas[name] for name in sorted(done) if name in schemas}


def registration_document(full: dict[str, Any], prefix: str, region_slug: str) -> dict[str, Any]:
    """The Registration API's operations of ``full`` (the app's document), rebased on
    ``prefix`` (``/api/{region}/registration``) for the region ``region_slug``."""
    paths: dict[str, Any] = {}
    for path, operations in full.get("paths", {}).items():
        if not path.startswith(prefix + "/"):
            continue
        rebased = copy.deepcopy(operations)
        for operation in rebased.values():
            operation["parameters"] = [
                p
                for p in operation.get("parameters", [])
                if not (p.get("in") == "path" and p.get("name") == "region")
            ]
            if not operation["parameters"]:
                del operation["parameters"]
        paths[path.removeprefix(prefix)] = rebased
    components = full.get("components", {})
    document: dict[str, Any] = {
        "openapi": full.get("openapi", "3.1.0"),
        "info": {
            "title": TITLE,
            "version": full.get("info", {}).get("version", "0"),
            "description": (
                f"The {SPEC_VERSIONS} as region `{region_slug}` of this Simpul serves them. "
                "Paths, operation ids and parameter names are the specification's; what "
                "differs from it is listed in docs/govstack.md."
            ),
        },
        "servers": [{"url": prefix.replace("{region}", region_slug)}],
        "paths": paths,
        "components": {"schemas": _used_schemas(paths, components.get("schemas", {}))},
    }
    if "securitySchemes" in components:
        document["components"]["securitySchemes"] = copy.deepcopy(components["securitySchemes"])
    return document

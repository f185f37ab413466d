"""``docs/govstack.md`` is current, places every operation of every GovStack specification,
and what it calls implemented is published with the specification's path, operation id and
parameter names (required where the specification requires them)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator
from sqlalchemy.orm import Session

from simpul.gateway.dataplane.directory_openapi import directory_openapi
from tests.contracts import govstack_report as report
from tests.contracts import specs
from tests.factories import make_region


def test_the_report_in_docs_is_the_one_the_specifications_give() -> None:
    assert report.REPORT.read_text(encoding="utf-8") == report.render(), (
        "docs/govstack.md is stale: run .venv/bin/python -m tests.contracts.govstack_report"
    )


def test_every_operation_of_every_specification_is_placed_and_nothing_else() -> None:
    seen = set()
    for document in specs.DOCUMENTS:
        for operation in specs.operations(document):
            assert report.placement(operation) is not None, operation
            seen.add((document, operation.method, operation.path))
    assert set(report.PLACEMENTS) <= seen, set(report.PLACEMENTS) - seen
    assert sum(1 for _ in specs.operations(specs.IM_PUBSUB)) == 14


def _parameters(
    operation: dict[str, Any], document: dict[str, Any], path_item: dict[str, Any]
) -> dict[tuple[str, str], bool]:
    """``(in, name)`` -> required, the path item's parameters included; header names compared
    case-insensitively."""
    found = {}
    for listed in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = (
            document["components"]["parameters"][listed["$ref"].rsplit("/", 1)[1]]
            if "$ref" in listed
            else listed
        )
        name = parameter["name"].lower() if parameter["in"] == "header" else parameter["name"]
        found[parameter["in"], name] = bool(parameter.get("required"))
    return found


def _same_contract(
    spec_operation: specs.SpecOperation, path_item: dict[str, Any], document: dict[str, Any]
) -> None:
    published = path_item[spec_operation.method]
    wanted_id = (
        spec_operation.operation_id
        or report.OWN_OPERATION_IDS[spec_operation.method, spec_operation.path]
    )
    assert published.get("operationId") == wanted_id, (spec_operation.path, published)
    ours = _parameters(published, document, path_item)
    for parameter in spec_operation.parameters:
        key = (
            parameter["in"],
            parameter["name"].lower() if parameter["in"] == "header" else parameter["name"],
        )
        assert key in ours, (spec_operation.path, key)
        if parameter.get("required"):
            assert ours[key], (spec_operation.path, key, "must be required")


def _implemented(document: str) -> list[specs.SpecOperation]:
    return [
        operation
        for operation in specs.operations(document)
        if report.placement(operation).status is not report.Status.NOT_IMPLEMENTED  # type: ignore[union-attr]
    ]


def test_the_registration_api_keeps_the_specifications_paths_ids_and_parameters(
    client: TestClient, session: Session
) -> None:
    make_region(session, "kota-uji", "Kota Uji")
    session.flush()
    full = client.get("/api/openapi.json").json()
    own = client.get("/api/kota-uji/registration/openapi.json")
    assert own.status_code == 200, own.text
    document = own.json()
    assert document["servers"] == [{"url": "/api/kota-uji/registration"}]
    # A valid OpenAPI 3.1 document, which a client generator accepts as it is.
    assert list(OpenAPIV31SpecValidator(document).iter_errors()) == []
    for name in (specs.REGISTRATION, specs.STATISTICS):
        for operation in _implemented(name):
            # In the app's whole document under the prefix, and in the API's own at the
            # specification's very path.
            _same_contract(operation, full["paths"][report.simpul_path(operation)], full)
            _same_contract(operation, document["paths"][operation.path], document)
    for method, path, _text in report.ADDITIONS:
        if path.endswith("openapi.json"):
            continue
        assert method in full["paths"][path]


def test_the_gateway_directory_keeps_the_specifications_paths_ids_and_parameters() -> None:
    document = directory_openapi()
    for operation in _implemented(specs.IM_DIRECTORY):
        _same_contract(operation, document["paths"][operation.path], document)
    for name in (specs.IM_CONFIGURATION, specs.IM_PUBSUB):
        for operation in specs.operations(name):
            assert operation.path not in document["paths"], operation.path

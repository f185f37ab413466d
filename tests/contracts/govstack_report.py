"""``docs/govstack.md``: every operation of the GovStack specifications Simpul follows, and how
Simpul answers it. ``tests/contracts/test_govstack_report.py`` fails when the file differs
from what this module renders, when a specification has an operation the table below does not
place, or when an operation said to be implemented is missing from Simpul's published
documents (with the specification's path, operation id and parameter names).

Rewrite the file after a change: ``.venv/bin/python -m tests.contracts.govstack_report``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from tests.contracts import specs


class Status(enum.StrEnum):
    AS_SPECIFIED = "implemented as specified"
    DEVIATION = "implemented with a recorded deviation"
    NOT_IMPLEMENTED = "not implemented"


DECISION: Final = "decisions/0027-govstack-conformance.md"

#: The deviations recorded in decision 0027, by anchor.
DEVIATIONS: Final = {
    "d1": "an API token is required (the specification declares no security)",
    "d2": "further error statuses (401, 403, 409, 413, 415, 429) and a `details` list in "
    "`systemError`",
    "d3": "map fields hold any JSON value, not only objects",
    "d4": "an operation id where the specification gives none",
    "d5": "one eForm per service: its id is the service's, its version the last edit's time",
    "d6": "uploads take several files, check their content and ignore `additionalMetadata`",
    "d7": "tasks are flat (`mainTaskId` is the task's own id); a decision is `data.decision`",
    "d8": "public, but the `operator` filter needs a staff token; anonymous calls are rate "
    "limited; `received` is added",
    "d9": "Simpul fields added to answers (`trackingNumber`, `dueDate`, `documentUrls`)",
}


@dataclass(frozen=True)
class Placement:
    status: Status
    #: Deviations (keys of ``DEVIATIONS``) or, when not implemented, why.
    deviations: tuple[str, ...] = ()
    why_not: str = ""


_TOKEN_AND_ERRORS: Final = ("d1", "d2")
_REGISTRATION_PREFIX: Final = "/api/{region}/registration"
_NO_IM_CONFIGURATION: Final = (
    "the gateway is configured by the region's administrators on its pages and with "
    "`simpul gateway service|endpoint|client|key|group|grant`; a configuration API open to "
    "other systems is a surface Simpul does not offer"
)
_NO_PUBSUB: Final = (
    "the gateway carries synchronous calls only; events between apps are not part of Simpul yet"
)

#: Where each operation of each specification stands: (document, method, path) -> placement.
PLACEMENTS: Final[dict[tuple[str, str, str], Placement]] = {
    (specs.REGISTRATION, "get", "/services"): Placement(Status.DEVIATION, _TOKEN_AND_ERRORS),
    (specs.REGISTRATION, "get", "/services/{serviceId}"): Placement(
        Status.DEVIATION, _TOKEN_AND_ERRORS
    ),
    (specs.REGISTRATION, "get", "/services/{serviceId}/eForms"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d5")
    ),
    (specs.REGISTRATION, "get", "/eForms/{eFormId}"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d4", "d5")
    ),
    (specs.REGISTRATION, "post", "/services/{serviceId}/applications"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d3", "d4", "d9")
    ),
    (specs.REGISTRATION, "post", "/documents"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d6", "d9")
    ),
    (specs.REGISTRATION, "get", "/applications"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d3", "d9")
    ),
    (specs.REGISTRATION, "get", "/applications/{fileId}"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d3", "d9")
    ),
    (specs.REGISTRATION, "put", "/applications/{fileId}"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d3", "d9")
    ),
    (specs.REGISTRATION, "get", "/tasks"): Placement(Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d7")),
    (specs.REGISTRATION, "get", "/tasks/{taskId}"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d3", "d7")
    ),
    (specs.REGISTRATION, "post", "/tasks/{taskId}/complete"): Placement(
        Status.DEVIATION, (*_TOKEN_AND_ERRORS, "d3", "d7")
    ),
    (specs.STATISTICS, "get", "/data/statistics"): Placement(Status.DEVIATION, ("d2", "d8")),
    (specs.IM_DIRECTORY, "get", "/listClients"): Placement(Status.AS_SPECIFIED),
    **{
        (
            specs.IM_DIRECTORY,
            "get",
            f"/r1/{{instanceId}}/{{memberClass}}/{{memberCode}}/{{applicationCode}}/{name}",
        ): Placement(Status.AS_SPECIFIED)
        for name in ("listMethods", "allowedMethods", "getOpenAPI")
    },
}
#: Whole documents not implemented (the reason is given once, above their table).
_DEFAULTS: Final = {
    specs.IM_CONFIGURATION: Placement(Status.NOT_IMPLEMENTED, why_not=_NO_IM_CONFIGURATION),
    specs.IM_PUBSUB: Placement(Status.NOT_IMPLEMENTED, why_not=_NO_PUBSUB),
}
_DOCUMENT_WIDE: Final = {document: Placement(Status.NOT_IMPLEMENTED) for document in _DEFAULTS}
#: Operation ids Simpul gives where the specification gives none (deviation d4).
OWN_OPERATION_IDS: Final = {
    ("get", "/eForms/{eFormId}"): "getEFormById",
    ("post", "/services/{serviceId}/applications"): "submitApplicationFile",
}
#: Operations Simpul adds to a specification's API (not in the specification).
ADDITIONS: Final = (
    (
        "get",
        f"{_REGISTRATION_PREFIX}/documents/{{documentId}}",
        "downloadFile: the owner, or an officer responsible for the file, downloads an "
        "uploaded document (officers' downloads are recorded)",
    ),
    (
        "get",
        f"{_REGISTRATION_PREFIX}/openapi.json",
        "this API's OpenAPI document with the specification's paths, for generating clients",
    ),
)
TITLES: Final = {
    specs.REGISTRATION: "Registration Building Block API 0.1.1",
    specs.STATISTICS: "Registration Building Block statistics API 1.0.0",
    specs.IM_DIRECTORY: "Information Mediator: Directory Services API 1.0",
    specs.IM_CONFIGURATION: "Information Mediator: Configuration Management API 1.0.1",
    specs.IM_PUBSUB: "Information Mediator: PubSub API 2.0.0",
}
WHERE: Final = {
    specs.REGISTRATION: f"web app, under `{_REGISTRATION_PREFIX}`",
    specs.STATISTICS: f"web app, under `{_REGISTRATION_PREFIX}`",
    specs.IM_DIRECTORY: "`simpul gateway`, at the gateway's address",
    specs.IM_CONFIGURATION: "",
    specs.IM_PUBSUB: "",
}


def placement(operation: specs.SpecOperation) -> Placement | None:
    key = (operation.document, operation.method, operation.path)
    return PLACEMENTS.get(key) or _DOCUMENT_WIDE.get(operation.document)


def simpul_path(operation: specs.SpecOperation) -> str:
    """Where Simpul serves the operation (the web app's path, or the gateway's)."""
    if operation.document in (specs.REGISTRATION, specs.STATISTICS):
        return _REGISTRATION_PREFIX + operation.path
    return operation.path


def _cell(operation: specs.SpecOperation, place: Placement) -> str:
    if place.status is Status.NOT_IMPLEMENTED:
        return place.status.value + (f": {place.why_not}" if place.why_not else "")
    if not place.deviations:
        return place.status.value
    links = ", ".join(f"[{d.upper()}]({DECISION}#{d})" for d in place.deviations)
    return f"{place.status.value}: {links}"


def render() -> str:
    lines = [
        "# GovStack conformance",
        "",
        "Every operation of the GovStack specifications in `../shared/govstack/` and how Simpul",
        "answers it. Generated by `tests/contracts/govstack_report.py` from the specifications",
        "and checked by `tests/contracts/test_govstack_report.py` against Simpul's published",
        "OpenAPI documents, so it cannot go stale: rewrite it with",
        "`.venv/bin/python -m tests.contracts.govstack_report`.",
        "",
        "Paths, operation ids and parameter names are the specifications' in every implemented",
        "operation. The Registration API's own document, with the specification's paths, is at",
        "`/api/{region}/registration/openapi.json`; its errors are the specification's",
        "`systemError` (`traceId` is the request id of the answer's `X-Request-Id` and of the",
        "server's log lines), and invalid input is 400.",
        "",
        f"The deviations, each with its reason, are in [decision 0027]({DECISION}):",
        "",
    ]
    lines += [f"- [{key.upper()}]({DECISION}#{key}): {text}" for key, text in DEVIATIONS.items()]
    counts: dict[Status, int] = dict.fromkeys(Status, 0)
    for document in specs.DOCUMENTS:
        lines += ["", f"## {TITLES[document]}", ""]
        if WHERE[document]:
            lines += [f"Served by the {WHERE[document]}.", ""]
        if document in _DEFAULTS:
            lines += [f"Not implemented: {_DEFAULTS[document].why_not}.", ""]
        lines += [
            "| Operation | Method and path | Simpul |",
            "|---|---|---|",
        ]
        for operation in specs.operations(document):
            place = placement(operation)
            assert place is not None, (document, operation.method, operation.path)
            counts[place.status] += 1
            name = (
                f"`{operation.operation_id}`"
                if operation.operation_id
                else f"none (Simpul: `{OWN_OPERATION_IDS[operation.method, operation.path]}`)"
            )
            lines.append(
                f"| {name} | `{operation.method.upper()} {operation.path}` | "
                f"{_cell(operation, place)} |"
            )
    lines += ["", "## Operations Simpul adds", ""]
    lines += [f"- `{method.upper()} {path}`: {text}" for method, path, text in ADDITIONS]
    total = sum(counts.values())
    lines += [
        "",
        "## In all",
        "",
        f"{total} operations: "
        + ", ".join(f"{counts[status]} {status.value}" for status in Status)
        + ".",
        "",
    ]
    return "\n".join(lines)


REPORT: Final = specs.ROOT / "docs" / "govstack.md"

if __name__ == "__main__":
    REPORT.write_text(render(), encoding="utf-8")
    print(f"wrote {REPORT}")

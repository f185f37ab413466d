"""The GovStack specifications, read from beside the checkout (``../shared/govstack``, where
CI puts them too) or from ``SIMPUL_GOVSTACK_DIR``. They are not copied into the repository."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

ROOT: Final = Path(__file__).resolve().parents[2]
GOVSTACK_DIR: Final = (
    Path(os.environ["SIMPUL_GOVSTACK_DIR"])
    if os.environ.get("SIMPUL_GOVSTACK_DIR")
    else ROOT.parent / "shared" / "govstack"
)
REGISTRATION: Final = "registration/GovStack_Registration_BB_API.json"
STATISTICS: Final = "registration/GovStack_Registration_BB_API_statistics.json"
IM_DIRECTORY: Final = "information-mediator/GovStack_IM_Directory_Services_API.yaml"
IM_CONFIGURATION: Final = "information-mediator/GovStack_IM_Configuration_Management_API.yaml"
IM_PUBSUB: Final = "information-mediator/GovStack_IM_PubSub_API.yaml"
#: Every document, in the order the report lists them.
DOCUMENTS: Final = (REGISTRATION, STATISTICS, IM_DIRECTORY, IM_CONFIGURATION, IM_PUBSUB)
METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options")


@functools.cache
def load(name: str) -> dict[str, Any]:
    text = (GOVSTACK_DIR / name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    return document


@dataclass(frozen=True)
class SpecOperation:
    document: str
    method: str
    path: str
    operation_id: str | None
    summary: str
    #: The operation's parameters (path-level ones included), ``$ref`` resolved.
    parameters: tuple[dict[str, Any], ...]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target: Any = document
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def operations(name: str) -> Iterator[SpecOperation]:
    """Every operation of the document ``name``, in its order."""
    document = load(name)
    for path, item in document.get("paths", {}).items():
        shared = [_resolve(document, p) for p in item.get("parameters", [])]
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            own = [_resolve(document, p) for p in operation.get("parameters", [])]
            names = {(p["in"], p["name"]) for p in own}
            merged = [p for p in shared if (p["in"], p["name"]) not in names] + own
            yield SpecOperation(
                name,
                method,
                path,
                operation.get("operationId"),
                " ".join(str(operation.get("summary") or "").split()),
                tuple(merged),
            )

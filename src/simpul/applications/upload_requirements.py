"""How many files a requirement of a service takes: one (a new upload replaces it), or
several when the standard asks for several ("satu berkas untuk setiap anak", decision 0048)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

#: A requirement declared ``multiple`` without ``max_files`` takes this many.
DEFAULT_MAX_FILES: Final = 10


def takes_several(requirement: Mapping[str, Any]) -> bool:
    """Whether uploads add files to this requirement instead of replacing its file."""
    return bool(requirement.get("multiple"))


def files_allowed(requirement: Mapping[str, Any]) -> int:
    """The most files the requirement holds at once (1 unless it is ``multiple``)."""
    if not takes_several(requirement):
        return 1
    declared = requirement.get("max_files")
    return declared if isinstance(declared, int) and declared >= 1 else DEFAULT_MAX_FILES


def requirement_named(requirements: list[dict[str, Any]], code: str) -> Mapping[str, Any] | None:
    """The service's requirement with this code, or None."""
    return next((r for r in requirements if r.get("code") == code), None)

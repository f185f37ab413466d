"""Reading an error answer of the JSON API, whichever of its two shapes it has."""

from __future__ import annotations

from typing import Any


def api_error(response: Any) -> dict[str, Any]:
    """``{"code", "message", "details"}`` of an error answer: Simpul's own ``error`` object,
    or the GovStack Registration API's ``systemError`` (``message`` is then its
    ``localizedMessage``, the text for people)."""
    body: dict[str, Any] = response.json()
    if "traceId" in body:
        return {
            "code": body["code"],
            "message": body["localizedMessage"],
            "details": body["details"],
        }
    error: dict[str, Any] = body["error"]
    return error

"""How every error of the JSON API looks, for the answers and the OpenAPI documents.

``web.app`` answers every refusal under ``/api/`` as ``{"error": {"code", "message",
"details"}}``, except under the GovStack Registration API (``/api/{region}/registration/``),
which answers the specification's ``systemError`` (decision 0027). These models say so in the
published document, so a client (and the fuzzing in ``tests/security/test_api_fuzzing.py``)
can hold the answers to it.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str
    details: list[dict[str, Any]] = Field(
        description='For invalid input: `{"field", "message"}` per problem.'
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


#: ``responses=`` of Simpul's own API routers: every 4xx answer has the shape above (it also
#: replaces FastAPI's default 422 description, which is not what the API sends).
CLIENT_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    "4XX": {"model": ErrorResponse, "description": "Refused: what was wrong, per field."}
}


class GovStackError(BaseModel):
    """The GovStack Registration API's error body (``#/components/schemas/systemError``)."""

    traceId: str = Field(  # noqa: N815 - the specification's field names
        description="The request id: the `X-Request-Id` of the answer and of the server's "
        "log lines for this call.",
        examples=["0f8c2b7e-3f5a-4c55-9d0e-1b2c3d4e5f60"],
    )
    code: str = Field(examples=["invalid_input"], description="What went wrong, as a code.")
    message: str = Field(description="What the status means, in English (for developers).")
    localizedMessage: str = Field(  # noqa: N815
        description="What went wrong and what to do, in the caller's language "
        "(`Accept-Language`: id or en; Indonesian by default)."
    )
    details: list[dict[str, Any]] = Field(
        description='A Simpul addition: for invalid input, `{"field", "message"}` per problem '
        "(`field` is the parameter or the eForm path, e.g. `alamat.jalan`)."
    )


#: ``/api/{region}/registration`` and everything under it.
_REGISTRATION_PATH: Final = re.compile(r"^/api/[^/]+/registration(?:/|$)")

#: ``message`` of ``systemError``: what the status means, for the caller's developers.
_STATUS_MEANINGS: Final = {
    400: "The request is invalid: see details and localizedMessage.",
    401: "Authentication required: send Authorization: Bearer <personal API token>.",
    403: "The caller may not do this.",
    404: "Not found, or not visible to the caller.",
    405: "Method not allowed for this path.",
    409: "The request conflicts with the current state of the resource.",
    413: "The request or one of its files is too large.",
    415: "The file type is not accepted.",
    429: "Too many requests: retry after the Retry-After header's seconds.",
    500: "Internal error: nothing was changed; retry, or quote traceId to the operator.",
    503: "The service is overloaded: retry after the Retry-After header's seconds.",
}


def speaks_govstack(path: str) -> bool:
    """True where errors take the GovStack Registration API's ``systemError`` shape."""
    return _REGISTRATION_PATH.match(path) is not None


def govstack_status(status: int) -> int:
    """The specification answers invalid input with 400; Simpul elsewhere with 422."""
    return 400 if status == 422 else status


def status_meaning(status: int) -> str:
    """What an HTTP status means for a caller, in English: ``systemError.message``, and the
    description of that answer in the published document."""
    return _STATUS_MEANINGS.get(status) or ("Refused." if status < 500 else "Server error.")


def system_error(
    status: int, code: str, localized: str, trace_id: str, details: list[dict[str, Any]]
) -> dict[str, Any]:
    """The ``systemError`` body for an answer with HTTP ``status`` (already mapped)."""
    meaning = status_meaning(status)
    return {
        "traceId": trace_id,
        "code": code,
        "message": meaning,
        "localizedMessage": localized,
        "details": details,
    }

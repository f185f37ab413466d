"""How every error of the JSON API looks, for the OpenAPI documents.

``web.app`` answers every refusal under ``/api/`` as ``{"error": {"code", "message",
"details"}}``; these models say so in the published document, so a client (and the fuzzing in
``tests/security/test_api_fuzzing.py``) can hold the answers to it.
"""

from __future__ import annotations

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

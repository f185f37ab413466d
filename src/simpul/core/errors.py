"""Domain errors: raised by services, mapped to JSON (API) or a page (web) by one handler."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An error the user can act on. ``message`` is already translated when raised."""

    status_code = 400
    code = "bad_request"
    #: Set by a service that undid its own work (to a savepoint) but must keep the record of
    #: the refused attempt, e.g. an upload counted against its rate limit: the request
    #: boundary then commits instead of rolling back (``web/routing.py``).
    keep_record = False

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers = headers or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidInput(DomainError):
    """Validation failed. ``details`` lists ``{"field": ..., "message": ...}`` per problem."""

    status_code = 422
    code = "invalid_input"

    def field_errors(self) -> dict[str, str]:
        return {str(d["field"]): str(d["message"]) for d in self.details if "field" in d}


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)})
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(DomainError):
    """The server cannot take this request now (overloaded); the client may retry later."""

    status_code = 503
    code = "overloaded"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)})
        self.retry_after_seconds = retry_after_seconds

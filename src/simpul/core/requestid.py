"""One id per HTTP request: in the answer (``X-Request-Id``), in every log line written while
the request runs, and in the GovStack error body (``traceId``), so an integrator who quotes
it leads the operator straight to the log lines of that call.

The id is always made here (a random UUID); an ``X-Request-Id`` sent by the caller is not
taken over, so nobody can make their calls look like someone else's in the logs.
"""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar
from typing import Final

HEADER: Final = "X-Request-Id"
#: Where the id is kept on the ASGI scope's ``state`` (read by the error handlers, which run
#: outside the middleware that sets the context variable).
STATE_KEY: Final = "request_id"

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def new_request_id() -> str:
    return str(uuid.uuid4())


class RequestIdLogFilter(logging.Filter):
    """Gives every log record a ``request_id`` attribute (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def add_request_id_to_logs(handlers: list[logging.Handler]) -> None:
    """Install the filter on ``handlers`` (a filter on a handler sees records of every logger)."""
    for handler in handlers:
        if not any(isinstance(f, RequestIdLogFilter) for f in handler.filters):
            handler.addFilter(RequestIdLogFilter())


LOG_FORMAT: Final = "%(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging() -> None:
    """Simpul's log lines (level, logger, request id, message) on stderr, once per process:
    from the ``simpul`` command, and in each server worker process that imports the app
    (``web.asgi``), where nothing else has configured the root logger."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    add_request_id_to_logs(root.handlers)

"""The ASGI application for uvicorn and other servers: ``simpul.web.asgi:app``."""

from simpul.core.requestid import configure_logging
from simpul.web.app import create_app

configure_logging()  # a server's worker process: log lines carry the request id
app = create_app()

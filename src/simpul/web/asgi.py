"""The ASGI application for uvicorn and other servers: ``simpul.web.asgi:app``."""

from simpul.web.app import create_app

app = create_app()

"""The bare baseline of ``bench/submissions.py``: the least a FastAPI endpoint doing what
``GET /healthz`` does can cost on this machine.

Two routes, no middleware, no session, no settings:

* ``GET /select1``: a plain (sync) FastAPI endpoint that runs ``SELECT 1`` through a SQLAlchemy
  engine (psycopg 3, a connection pool) on FastAPI's thread pool and answers
  ``{"status": "ok"}``;
* ``GET /plain``: an ``async`` endpoint answering the same JSON without touching the database:
  the cost of the stack alone (``/healthz`` pings the database at most once a second, so this is
  what its per-request work compares with). ``bench/submissions.py`` serves it
with uvicorn (httptools, one worker, no access log) and drives it with the same client and
concurrency as ``/healthz``::

    SIMPUL_BENCH_BARE_DATABASE_URL=postgresql+psycopg://... \\
        .venv/bin/python -m uvicorn --factory bench.bare_fastapi:create_app --http httptools
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import create_engine, text

DATABASE_URL_VARIABLE = "SIMPUL_BENCH_BARE_DATABASE_URL"


def create_app() -> FastAPI:
    engine = create_engine(os.environ[DATABASE_URL_VARIABLE], pool_size=20, pool_pre_ping=False)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/select1")
    def select_one() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"status": "ok"}

    return app

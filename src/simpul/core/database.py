"""Engine and sessions. One PostgreSQL everywhere: the configured one or the embedded one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.embedded import (
    ensure_database,
    is_initialised,
    start_embedded_server,
    with_database,
)
from simpul.core.i18n import _
from simpul.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "simpul"

#: The embedded cluster this process created (so its database holds nothing yet), if any.
_created_embedded: set[Path] = set()


def sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver whatever scheme the URL was given with."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    raise ValueError("SIMPUL_DATABASE_URL must be a postgresql:// URL")


def database_url(settings: Settings) -> str:
    """The URL of the database to use, starting the embedded server when none is configured."""
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    pgdata = (settings.data_dir / "pgdata").resolve()
    new_cluster = not is_initialised(pgdata)
    base = start_embedded_server(pgdata)
    if ensure_database(base, EMBEDDED_DATABASE) or new_cluster:
        _created_embedded.add(pgdata)
        log.warning(
            _(
                "SIMPUL_DATABASE_URL tidak diisi dan %(path)s belum ada: PostgreSQL bawaan "
                "yang baru dan kosong dibuat di sana."
            ),
            {"path": pgdata},
        )
    else:
        log.info(_("Memakai PostgreSQL bawaan di %(path)s."), {"path": pgdata})
    return sqlalchemy_url(with_database(base, EMBEDDED_DATABASE))


def created_empty_embedded_database() -> Path | None:
    """The data directory of the embedded database this process has just created, if it
    did: a command that needs existing data refuses to run against it."""
    return next(iter(_created_embedded), None)


def make_engine(url: str, settings: Settings) -> Engine:
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(database_url(settings), settings)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the route class commits it at the boundary (see web.routing)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    request.state.db = session
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_session)]


def schema_is_migrated(session: Session) -> bool:
    """Whether Alembic has run on this database (its version table exists)."""
    return session.execute(text("SELECT to_regclass('alembic_version')")).scalar() is not None


def ping(session: Session) -> None:
    """Raise unless the database answers (for health checks)."""
    session.execute(text("SELECT 1"))

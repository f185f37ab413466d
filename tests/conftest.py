"""Test database: a real PostgreSQL, schema built by the Alembic migrations, each test in a
transaction that is rolled back.

``SIMPUL_TEST_DATABASE_URL`` names the server (CI: the machine's PostgreSQL); without it the
embedded server under ``var/test-pgdata`` is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-not-for-production-0123456789"

# Settings are read once per process: fix them before anything imports them.
os.environ["SIMPUL_SECRET_KEY"] = TEST_SECRET
os.environ["SIMPUL_DEBUG"] = "1"
# The suite's default, like its cheap password hashes (decision 0055): tests log admins and
# officers in with a password only. The second-factor tests turn the requirement on by
# building Settings(mfa_required=True); browser tests' servers inherit this environment.
os.environ["SIMPUL_MFA_REQUIRED"] = "0"
os.environ["SIMPUL_DATA_DIR"] = str(ROOT / "var" / "test")

from simpul.core import security  # noqa: E402
from simpul.core.database import sqlalchemy_url  # noqa: E402
from simpul.core.embedded import ensure_database, start_embedded_server, with_database  # noqa: E402
from simpul.core.migrate import upgrade_to_head  # noqa: E402
from simpul.core.settings import Settings  # noqa: E402
from simpul.wiring import subscribe_all  # noqa: E402

# Accounts are made by the thousand here: hash their passwords with argon2's profile for tests
# (still argon2id, verified the same way). Servers the tests start in other processes, and
# tests/security/test_password_hashing.py, use the real parameters (decision 0055).
security.use_password_parameters(argon2.profiles.CHEAPEST)

# The domains' event handlers, as the web app and the `simpul` command assemble them: tests
# call services directly.
subscribe_all()


def _server_url() -> str:
    url = os.environ.get("SIMPUL_TEST_DATABASE_URL")
    if url:
        return url
    base = start_embedded_server(ROOT / "var" / "test-pgdata")
    ensure_database(base, "simpul_test")
    return with_database(base, "simpul_test")


@pytest.fixture(scope="session")
def database_url() -> str:
    """The test database, emptied and migrated to head once per run."""
    url = _server_url()
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade_to_head(sqlalchemy_url(url))
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(database_url), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions that commit to savepoints inside the test's transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key=TEST_SECRET, debug=True, data_dir=ROOT / "var" / "test")


@pytest.fixture
def client(
    engine: Engine, session_factory: sessionmaker[Session], settings: Settings
) -> Iterator[TestClient]:
    from simpul.web.app import create_app

    app = create_app(settings, engine)
    app.state.session_factory = session_factory
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client

"""A committed database for the upload attacks that involve other processes or real
parallelism: ``simpul worker`` cleaning up after a day, uploads racing each other.

``<test database>_uploads`` is recreated and migrated once per run. Each test makes its own
region with a citizen (and an API token) and serves it with the real app on that database, so
every request commits as it would in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.accounts.service import create_api_token
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.settings import Settings
from tests.conftest import TEST_SECRET, _server_url
from tests.factories import make_region, make_user, service_seed
from tests.support.devserver import recreate_database

DOCUMENTS = [
    {"code": "ktp", "name": "KTP-el pemohon", "description": "", "required": True},
    {"code": "foto", "name": "Foto lokasi", "description": "", "required": False},
]


@pytest.fixture(scope="session", name="uploads_url")
def uploads_url_fixture() -> str:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_uploads"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    return url


@pytest.fixture(scope="session", name="uploads_engine")
def uploads_engine_fixture(uploads_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(uploads_url), pool_size=12, max_overflow=4)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Citizen:
    id: uuid.UUID
    token: str


@dataclass(frozen=True)
class UploadWorld:
    slug: str
    service_id: uuid.UUID
    citizens: tuple[Citizen, ...]

    @property
    def api(self) -> str:
        return f"/api/{self.slug}/registration"


def make_world(engine: Engine, citizens: int = 1) -> UploadWorld:
    """A region of its own with one service asking for documents, and citizens with tokens."""
    slug = f"up-{uuid.uuid4().hex[:10]}"
    with Session(engine, expire_on_commit=False) as session, session.begin():
        region = make_region(
            session,
            slug,
            f"Kota Unggah {slug}",
            [service_seed("izin-uji", "Perizinan Uji", required_documents=DOCUMENTS)],
        )
        people = []
        for n in range(citizens):
            user = make_user(
                session,
                region,
                f"warga{n}@example.org",
                "sandi-warga-1",
                AccountKind.CITIZEN,
                nik=f"327301150590{n + 1:04d}",
            )
            people.append(Citizen(user.id, create_api_token(session, user, "uji")[1]))
        service_id = region_service_id(session, region.id)
    return UploadWorld(slug, service_id, tuple(people))


def region_service_id(session: Session, region_id: uuid.UUID) -> uuid.UUID:
    from sqlalchemy import select

    from simpul.catalogue.models import Service

    return session.scalars(select(Service.id).where(Service.region_id == region_id)).one()


def settings_for(data_dir: Path, **changes: Any) -> Settings:
    return Settings(secret_key=TEST_SECRET, debug=True, data_dir=data_dir, **changes)


def serve(engine: Engine, settings: Settings) -> TestClient:
    """The real app on the committed database: every request commits for real."""
    from simpul.web.app import create_app

    return TestClient(create_app(settings, engine), raise_server_exceptions=False)


def bearer(citizen: Citizen) -> dict[str, str]:
    """The headers of an integrated app calling the Registration API for ``citizen``: the
    token, and the calling system's identity the specification requires on submissions."""
    return {
        "Authorization": f"Bearer {citizen.token}",
        "Information-Mediator-Client": "kota-uji/GOV/diskominfo/portal",
    }


def run_worker(
    database_url: str, data_dir: Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``simpul worker --once`` in its own process, as an operator's cron or service runs it."""
    simpul = Path(sys.executable).parent / "simpul"
    environment = {
        **os.environ,
        **(env or {}),
        "SIMPUL_DATABASE_URL": database_url,
        "SIMPUL_SECRET_KEY": TEST_SECRET,
        "SIMPUL_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [str(simpul), "worker", "--once"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

"""Gateway tests that need committed data: the data plane and the log writer read the
database from their own connections, so a rolled-back test transaction is invisible to them.

``committed_url`` is ``<test database>_gateway`` on the same server, migrated once per run.
Tests never clean it: each makes its own region (``gateway_world``), so their rows, hash
chains and config versions never meet.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from simpul.catalogue.models import Agency
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.models import Region
from simpul.gateway.msglog.models import GatewayRefusal
from simpul.inventory.models import App, AppStatus, AppUsers, DataClassification, Hosting
from tests.conftest import _server_url
from tests.factories import make_region
from tests.support.devserver import recreate_database


@pytest.fixture(scope="session")
def committed_url() -> str:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_gateway"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    return url


@pytest.fixture(scope="session")
def committed_engine(committed_url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(committed_url), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def committed_sessions(committed_engine: Engine) -> sessionmaker[Session]:
    """Sessions whose commits are real (and visible to other processes)."""
    return sessionmaker(bind=committed_engine, expire_on_commit=False)


@dataclass
class GatewayWorld:
    """A committed region of its own with one agency and two inventory apps."""

    region: Region
    agency: Agency
    provider: App
    consumer: App


def add_app(session: Session, region: Region, agency: Agency, code: str, name: str) -> App:
    app = App(
        region_id=region.id,
        agency_id=agency.id,
        code=code,
        name=name,
        purpose=f"Aplikasi uji {name}.",
        users=AppUsers.STAFF,
        hosting=Hosting.REGIONAL_DATA_CENTRE,
        status=AppStatus.OPERATING,
        spbe_area="layanan_publik",
        data_classification=DataClassification.INTERNAL,
    )
    session.add(app)
    session.flush()
    return app


@pytest.fixture
def gateway_world(committed_sessions: sessionmaker[Session]) -> GatewayWorld:
    slug = f"gw-{uuid.uuid4().hex[:10]}"
    with committed_sessions() as session, session.begin():
        region = make_region(session, slug, f"Kota Uji {slug}")
        agency = session.query(Agency).filter_by(region_id=region.id).one()
        provider = add_app(session, region, agency, "sipenduduk", "Sistem Data Penduduk")
        consumer = add_app(session, region, agency, "portal", "Portal Layanan")
    return GatewayWorld(region=region, agency=agency, provider=provider, consumer=consumer)


def refusal_count(sessions: sessionmaker[Session], world: GatewayWorld, reason: str) -> int:
    """Calls refused before their caller was identified, as the per-minute counts add up."""
    with sessions() as session:
        return sum(
            session.scalars(
                select(GatewayRefusal.refusals).where(
                    GatewayRefusal.region_id == world.region.id, GatewayRefusal.reason == reason
                )
            )
        )


def wait_for_refusals(
    sessions: sessionmaker[Session], world: GatewayWorld, expected: Mapping[str, int]
) -> None:
    """Until the counts of ``expected`` reasons are written (the gateway writes them every
    ``SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS``)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if all(refusal_count(sessions, world, r) >= n for r, n in expected.items()):
            return
        time.sleep(0.1)
    counted = {reason: refusal_count(sessions, world, reason) for reason in expected}
    raise AssertionError(f"refusals counted {counted}, expected {dict(expected)}")

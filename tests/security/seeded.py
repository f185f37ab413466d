"""The demo region, seeded once per test module, for tests that throw many requests at it.

Seeding Kota Bandung (its catalogue, accounts and applications) takes seconds; doing it for
every test would dominate the run. A module seeds it once inside a transaction of its own
connection and each test works in a savepoint of that transaction, rolled back after it, so
nothing a test writes is seen by the next one and nothing is ever committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts.models import ApiToken
from simpul.accounts.service import create_api_token
from simpul.applications.models import Application, Document, Task
from simpul.catalogue.models import Service
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from simpul.demo.seed import DEMO_ACCOUNTS, seed_demo

REGION = "kota-bandung"
#: Demo accounts whose API tokens the tests use, by role.
ACCOUNTS = {
    "citizen": "warga@example.org",
    "officer": "petugas.disdukcapil@example.org",
    "admin": "admin@example.org",
}
#: Their passwords, from the demo seed.
PASSWORDS = {account.email: account.password for account in DEMO_ACCOUNTS}


@dataclass(frozen=True)
class SeededDemo:
    connection: Connection
    region: Region
    storage: LocalStorage
    #: Bearer tokens by role (``ACCOUNTS``).
    tokens: dict[str, str]
    #: Ids (and slugs) of the region's rows, by the name of the path parameter that takes them.
    rows: dict[str, list[str]]

    def bearer(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def seeded_demo(engine: Engine, folder: Path) -> Iterator[SeededDemo]:
    """Seed the demo region in a transaction that is rolled back when the module is done."""
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            storage = LocalStorage(folder)
            with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                region = seed_demo(session, storage).region
                tokens = {}
                for who, email in ACCOUNTS.items():
                    user = accounts_repository.get_user_by_email(session, region.id, email)
                    assert user is not None, email
                    tokens[who] = create_api_token(session, user, "uji keamanan")[1]
                session.commit()  # to the savepoint: the outer transaction still holds it all
                rows = _rows(session, region)
            yield SeededDemo(connection, region, storage, tokens, rows)
        finally:
            outer.rollback()


def _rows(session: Session, region: Region) -> dict[str, list[str]]:
    def ids(model: type[Application | Document | Task | ApiToken | Service]) -> list[str]:
        query = select(model.id).where(model.region_id == region.id).order_by(model.id)
        return [str(i) for i in session.scalars(query)]

    services = ids(Service)
    applications = ids(Application)
    slugs = session.scalars(
        select(Service.slug).where(Service.region_id == region.id).order_by(Service.slug)
    )
    return {
        "slug": list(slugs),
        "serviceId": services,
        "eFormId": services,
        "application_id": applications,
        "fileId": applications,
        "taskId": ids(Task),
        "documentId": ids(Document),
        "token_id": ids(ApiToken),
    }


def savepoint(connection: Connection) -> Iterator[Connection]:
    """The module's connection, with what one test writes rolled back after it."""
    nested = connection.begin_nested()
    try:
        yield connection
    finally:
        if nested.is_active:
            nested.rollback()

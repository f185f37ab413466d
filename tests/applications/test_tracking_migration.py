"""The migration that adds the status ``cancelled`` (decision 0051), down and up again.

Run on a database of its own (``<test database>_cancelled``): a downgrade changes the schema,
which the rolled-back test transaction of the other tests cannot hold.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.applications import submission
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import alembic_config, upgrade_to_head
from tests.conftest import _server_url
from tests.factories import make_region, make_user, service_seed
from tests.support.devserver import recreate_database

EFORM = {
    "schema": {"type": "object", "properties": {"catatan": {"type": "string", "title": "Catatan"}}}
}


def test_the_cancelled_status_goes_down_only_without_cancelled_applications() -> None:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_cancelled"
    url = sqlalchemy_url(recreate_database(server_url, name))
    upgrade_to_head(url)
    config = alembic_config(url)
    revision = next(
        r
        for r in ScriptDirectory.from_config(config).walk_revisions()
        if (r.doc or "").startswith("A citizen may cancel")
    )
    assert isinstance(revision.down_revision, str)
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            region = make_region(
                session,
                "kota-batal",
                "Kota Batal",
                [service_seed("izin", "Izin Batal Uji", eform=EFORM)],
            )
            citizen = make_user(session, region, "warga@example.org", "sandi-warga-1")
            draft = submission.start_draft(session, region, citizen, "izin")
            session.commit()
            application_id = draft.id
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE application SET status = 'cancelled' WHERE id = :id"),
                {"id": application_id},
            )
        with pytest.raises(RuntimeError, match="1 cancelled applications"):
            command.downgrade(config, revision.down_revision)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE application SET status = 'submitted' WHERE id = :id"),
                {"id": application_id},
            )
        command.downgrade(config, revision.down_revision)
        command.upgrade(config, "head")
        with engine.begin() as conn:  # the value is there (again): a cancellation can be kept
            conn.execute(
                text("UPDATE application SET status = 'cancelled' WHERE id = :id"),
                {"id": application_id},
            )
    finally:
        engine.dispose()

"""The migration that moves personal answers out of clear text, down and up again.

Run on a database of its own (``<test database>_answers``): a downgrade changes the schema,
which the rolled-back test transaction of the other tests cannot hold.
"""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.applications import answers, submission
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import alembic_config, upgrade_to_head
from simpul.core.regions import get_region_by_slug
from tests.conftest import _server_url
from tests.factories import make_region, make_user, service_seed
from tests.support.devserver import recreate_database

NIK = "3273014507150003"
EFORM = {
    "schema": {
        "type": "object",
        "properties": {
            "nik_anak": {"type": "string", "title": "NIK anak", "x-simpul-personal": "nik"}
        },
    }
}


def test_a_downgrade_refuses_to_drop_encrypted_answers_until_they_are_written_back() -> None:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_answers"
    url = sqlalchemy_url(recreate_database(server_url, name))
    upgrade_to_head(url)
    config = alembic_config(url)
    revision = next(
        r
        for r in ScriptDirectory.from_config(config).walk_revisions()
        if (r.doc or "").startswith("personal answers")
    )
    assert isinstance(revision.down_revision, str)
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            region = make_region(
                session,
                "kota-turun",
                "Kota Turun",
                [service_seed("anak", "Keterangan Anak", eform=EFORM)],
            )
            citizen = make_user(session, region, "warga@example.org", "sandi-warga-1")
            draft = submission.start_draft(session, region, citizen, "anak")
            submission.save_draft(session, region, citizen, draft.id, {"nik_anak": NIK})
            session.commit()
            draft_id = draft.id

        with pytest.raises(RuntimeError, match="protect-personal-data --undo"):
            command.downgrade(config, revision.down_revision)
        with engine.connect() as conn:  # nothing was dropped
            assert "data_encrypted" in {c["name"] for c in inspect(conn).get_columns("application")}

        with Session(engine) as session:
            assert answers.unprotect_batch(session, after=None).changed == 1
            session.commit()
        command.downgrade(config, revision.down_revision)
        with engine.connect() as conn:
            assert "application_identifier" not in inspect(conn).get_table_names()
            data = conn.execute(
                text("SELECT data->>'nik_anak' FROM application WHERE id = :id"), {"id": draft_id}
            ).scalar_one()
            assert data == NIK  # written back whole, as the older release reads it

        command.upgrade(config, "head")
        with Session(engine) as session:  # what `simpul migrate` does after upgrading
            region = get_region_by_slug(session, "kota-turun")
            assert region is not None
            services = answers.services_with_personal_fields(session, region)
            result = answers.protect_batch(session, services, after=None, everything=False)
            session.commit()
            assert result.changed == 1
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT a::text FROM application a WHERE id = :id"), {"id": draft_id}
            ).scalar_one()
            assert NIK not in row
    finally:
        engine.dispose()

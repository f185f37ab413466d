"""Migration 0013 (``gateway_refusal``): a downgrade that would lose counts refuses."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import alembic_config, upgrade_to_head
from tests.conftest import _server_url
from tests.support.devserver import recreate_database


def test_the_downgrade_refuses_while_counts_are_kept_and_works_once_they_are_gone() -> None:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_gwmig"
    url = sqlalchemy_url(recreate_database(server_url, name))
    upgrade_to_head(url)
    config = alembic_config(url)
    revision = ScriptDirectory.from_config(config).get_revision("0013")
    assert revision is not None and isinstance(revision.down_revision, str)
    before = revision.down_revision  # wherever the history puts this migration
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            region = conn.execute(
                text(
                    "INSERT INTO region (id, slug, name, kind, timezone) VALUES "
                    "(:id, 'kota-mig', 'Kota Mig', 'kota', 'Asia/Jakarta') RETURNING id"
                ),
                {"id": uuid.uuid4()},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO gateway_refusal (region_id, minute, reason, refusals) "
                    "VALUES (:region, date_trunc('minute', now()), 'key_invalid', 7)"
                ),
                {"region": region},
            )
        with pytest.raises(RuntimeError, match="gateway_refusal holds counts"):
            command.downgrade(config, before)
        with engine.begin() as conn:  # nothing was dropped
            assert conn.execute(text("SELECT refusals FROM gateway_refusal")).scalar_one() == 7
            conn.execute(text("DELETE FROM gateway_refusal"))
        command.downgrade(config, before)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT to_regclass('gateway_refusal')")).scalar() is None
        upgrade_to_head(url)
    finally:
        engine.dispose()

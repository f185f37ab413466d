from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

import simpul.models  # noqa: F401 - every table on the metadata
from simpul.core.models import Base, include_in_schema_comparison


def test_models_and_migrations_agree(connection: Connection) -> None:
    # The monthly partitions of the log tables are made at run time, not by the models.
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": include_in_schema_comparison},
    )
    assert compare_metadata(context, Base.metadata) == []


def test_audit_trail_refuses_updates_and_deletes(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO audit_event (id, actor_label, action, target_type, details) "
            "VALUES (gen_random_uuid(), 'uji', 'test.event', 'test', '{}')"
        )
    )
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        savepoint = connection.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
        savepoint.rollback()


def test_indonesian_text_search_is_available(connection: Connection) -> None:
    lexemes = connection.execute(
        text("SELECT to_tsvector('indonesian', 'Penerbitan Akta Kelahiran')::text")
    ).scalar_one()
    assert "'lahir'" in lexemes

"""Migration 0029_notify up and down on a database of its own: the ``whatsapp`` channel value
and the provider columns come and go, and going down refuses to drop WhatsApp choices unless
the operator allows the loss."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import DataLossRefused, migrate_to, upgrade_to_head
from simpul.notify import repository
from simpul.notify.models import Channel
from tests.conftest import _server_url
from tests.factories import make_region, make_user
from tests.support.devserver import recreate_database

STATE = """
SELECT (SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum
        JOIN pg_type t ON t.oid = enumtypid WHERE typname = 'notification_channel'),
       (SELECT count(*) FROM information_schema.columns
        WHERE table_name = 'notification_delivery' AND column_name LIKE 'provider_%')
"""
UP = (["email", "webhook", "whatsapp"], 2)


def test_0029_goes_down_and_up_again() -> None:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_notify_migration"
    url = sqlalchemy_url(recreate_database(server_url, name))
    upgrade_to_head(url)
    engine = create_engine(url)

    def state() -> tuple[object, object]:
        with engine.connect() as conn:
            row = conn.execute(text(STATE)).one()
            return row[0], row[1]

    try:
        assert state() == UP
        with Session(engine) as session, session.begin():
            region = make_region(session, "kota-migrasi", "Kota Migrasi")
            user = make_user(session, region, "mig@example.org", "sandi-migrasi-1")
            repository.set_preference(session, region.id, user.id, Channel.WHATSAPP, enabled=True)

        with pytest.raises(DataLossRefused):
            migrate_to(url, "0028")
        assert state() == UP

        migrate_to(url, "0028", allow_data_loss=True)
        assert state() == (["email", "webhook"], 0)
        upgrade_to_head(url)
        assert state() == UP
    finally:
        engine.dispose()

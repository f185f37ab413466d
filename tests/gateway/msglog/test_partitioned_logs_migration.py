"""Migration 0020: the message log and the audit trail become monthly partitions, rows moved,
chain intact; the downgrade puts them back into plain tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import alembic_config, upgrade_to_head
from simpul.gateway.msglog import verify_region
from simpul.gateway.msglog.records import ZERO_HASH, chained_row
from simpul.gateway.msglog.repository import MESSAGE_COLUMNS
from tests.conftest import _server_url
from tests.gateway.msglog.archives import record_at
from tests.support.devserver import recreate_database

MONTHS = (datetime(2025, 11, 20, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))


def test_rows_move_into_monthly_partitions_and_back() -> None:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_logmig"
    url = sqlalchemy_url(recreate_database(server_url, name))
    config = alembic_config(url)
    revision = ScriptDirectory.from_config(config).get_revision("0020")
    assert revision is not None and isinstance(revision.down_revision, str)
    before = revision.down_revision  # wherever the history puts this migration
    command.upgrade(config, before)
    engine = create_engine(url)
    region = uuid.uuid4()
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO region (id, slug, name, kind, timezone) VALUES "
                    "(:id, 'kota-mig', 'Kota Mig', 'kota', 'Asia/Jakarta')"
                ),
                {"id": region},
            )
            prev_hash = ZERO_HASH
            for seq in range(1, 7):
                at = MONTHS[seq % 2]  # out of seq order across months, as clocks allow
                row = chained_row(record_at(region, at, seq), None, seq, prev_hash)
                prev_hash = row[-1]
                conn.execute(
                    text(
                        f"INSERT INTO gateway_message ({', '.join(MESSAGE_COLUMNS)}) "
                        f"VALUES ({', '.join(':' + c for c in MESSAGE_COLUMNS)})"
                    ),
                    dict(zip(MESSAGE_COLUMNS, row, strict=True)),
                )
            for at in MONTHS:
                conn.execute(
                    text(
                        "INSERT INTO audit_event (id, at, actor_label, action, target_type, "
                        "details) VALUES (gen_random_uuid(), :at, 'uji', 'uji.event', 'uji', "
                        "'{}')"
                    ),
                    {"at": at},
                )
        upgrade_to_head(url)
        with engine.begin() as conn:
            counts = dict(
                conn.execute(
                    text(
                        "SELECT tableoid::regclass::text, count(*) FROM gateway_message GROUP BY 1"
                    )
                ).all()
            )
            assert counts == {"gateway_message_y2025m11": 3, "gateway_message_y2026m01": 3}
            audit = conn.execute(
                text("SELECT tableoid::regclass::text FROM audit_event ORDER BY at")
            ).scalars()
            assert list(audit) == ["audit_event_y2025m11", "audit_event_y2026m01"]
        with Session(engine) as session:
            report = verify_region(session, region)
            assert report.ok and report.records_checked == 6
        command.downgrade(config, before)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM gateway_message")).scalar() == 6
            assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 2
            assert (
                conn.execute(
                    text("SELECT relkind FROM pg_class WHERE relname = 'gateway_message'")
                ).scalar()
                == "r"
            )
    finally:
        engine.dispose()

"""logs: the message log and the audit trail partitioned by month; archives and checkpoints

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-07 12:00:00.000000

``gateway_message`` and ``audit_event`` become tables partitioned by range of ``at``, one
partition per calendar month (UTC), named ``<table>_yYYYYmMM``; their rows are moved.
``simpul_log_ensure_partitions(ahead)`` creates the partitions of last month, this month and
the ``ahead`` next ones (with the append-only trigger on each: statement triggers are not inherited);
``simpul_log_drop_partition(name)`` is the only way a message-log partition goes: it refuses
unless every region's records in it are at or below that region's archived boundary
(``gateway_log_archive``). There is no DEFAULT partition (decision 0037).
``region.log_retention_months`` is how many months a region keeps live (12 by default);
``gateway_log_verification`` holds the last verified seal per region (incremental verify).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITION_FUNCTION = """
CREATE FUNCTION simpul_log_partition(parent text, month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    name text := parent || '_y' || to_char(first_day, 'YYYY') || 'm' || to_char(first_day, 'MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- Two processes creating the same month wait for each other instead of failing.
    PERFORM pg_advisory_xact_lock(hashtext('simpul:log-partitions'));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
        name, parent,
        first_day::text || ' 00:00:00+00',
        (first_day + interval '1 month')::date::text || ' 00:00:00+00'
    );
    EXECUTE format(
        'CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON %I '
        'FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()',
        name || '_append_only', name
    );
    RETURN true;
END;
$$
"""

ENSURE_FUNCTION = """
CREATE FUNCTION simpul_log_ensure_partitions(ahead integer DEFAULT 3) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    created integer := 0;
    this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    parent text;
BEGIN
    -- Last month too: a fresh database still takes a record stamped just before the 1st.
    FOR i IN -1..ahead LOOP
        FOREACH parent IN ARRAY ARRAY['gateway_message', 'audit_event'] LOOP
            IF simpul_log_partition(parent, (this_month + make_interval(months => i))::date) THEN
                created := created + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN created;
END;
$$
"""

DROP_FUNCTION = """
CREATE FUNCTION simpul_log_drop_partition(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    r record;
    top bigint;
BEGIN
    SELECT p.relname INTO parent
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE c.relname = name AND c.relnamespace = current_schema()::regnamespace;
    IF parent IS DISTINCT FROM 'gateway_message' THEN
        RAISE EXCEPTION '% is not a partition of the message log', name
            USING ERRCODE = 'check_violation';
    END IF;
    -- Only a month that ended more than a month ago: never one that may still get records.
    IF name !~ '^gateway_message_y[0-9]{4}m[0-9]{2}$'
            OR to_date(right(name, 8), '"y"YYYY"m"MM') + interval '2 months'
                > date_trunc('month', now() AT TIME ZONE 'UTC') THEN
        RAISE EXCEPTION 'partition % is too recent to drop', name
            USING ERRCODE = 'check_violation';
    END IF;
    -- Nobody appends or archives while the partition is checked and dropped.
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', name);
    -- Every row's region is in ``region`` (foreign key): one index probe per region, never a
    -- scan of the month.
    FOR r IN SELECT id FROM region LOOP
        EXECUTE format('SELECT max(seq) FROM %I WHERE region_id = $1', name) INTO top
            USING r.id;
        IF top > coalesce(
                (SELECT max(a.last_seq) FROM gateway_log_archive a WHERE a.region_id = r.id),
                0) THEN
            RAISE EXCEPTION 'partition % holds records of region % not archived (up to seq %)',
                name, r.id, top
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    EXECUTE format('ALTER TABLE gateway_message DETACH PARTITION %I', name);
    EXECUTE format('DROP TABLE %I', name);
END;
$$
"""


EXPECT_TIP_FUNCTION = """
CREATE FUNCTION simpul_log_expect_tip(region uuid, tip bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- The primary key holds ``at`` now, so a reused seq is no longer refused by it: the
    -- writer's one-round-trip path asks this instead, and gets the error it always handled.
    IF EXISTS (SELECT 1 FROM gateway_message WHERE region_id = region AND seq > tip) THEN
        RAISE EXCEPTION 'region % has records after %: another writer appended', region, tip
            USING ERRCODE = 'unique_violation';
    END IF;
END;
$$
"""


def _partitioned_copy(table: str, primary_key: str, columns: str) -> None:
    """Rename ``table`` away, create it partitioned by month with the same columns, create the
    months its rows need and move them."""
    op.execute(f"ALTER TABLE {table} RENAME TO {table}_unpartitioned")
    op.execute(f"ALTER TABLE {table}_unpartitioned RENAME CONSTRAINT pk_{table} TO pk_{table}_old")
    op.execute(
        f"ALTER TABLE {table}_unpartitioned "
        f"RENAME CONSTRAINT fk_{table}_region_id_region TO fk_{table}_old_region"
    )
    op.execute(
        f"CREATE TABLE {table} ({columns}, "
        f"CONSTRAINT pk_{table} PRIMARY KEY ({primary_key}), "
        f"CONSTRAINT fk_{table}_region_id_region FOREIGN KEY (region_id) "
        "REFERENCES region (id) ON DELETE RESTRICT"
        ") PARTITION BY RANGE (at)"
    )
    # The table names are the migration's own literals.
    op.execute(
        f"SELECT simpul_log_partition('{table}', m::date) FROM generate_series("  # noqa: S608
        f"(SELECT date_trunc('month', min(at) AT TIME ZONE 'UTC') FROM {table}_unpartitioned), "
        f"(SELECT date_trunc('month', max(at) AT TIME ZONE 'UTC') FROM {table}_unpartitioned), "
        "interval '1 month') AS m"
    )


MESSAGE_COLUMNS = """
    region_id uuid NOT NULL,
    seq bigint NOT NULL,
    at timestamptz NOT NULL,
    request_id uuid NOT NULL,
    client varchar(300) NOT NULL,
    service varchar(300) NOT NULL,
    endpoint varchar(600) NOT NULL,
    method varchar(10) NOT NULL,
    path text NOT NULL,
    status integer NOT NULL,
    error varchar(40) NOT NULL,
    duration_us bigint NOT NULL,
    request_bytes bigint NOT NULL,
    response_bytes bigint NOT NULL,
    bodies_encrypted bytea,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL
"""

AUDIT_COLUMNS = """
    region_id uuid,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id uuid,
    actor_label varchar(200) NOT NULL,
    action varchar(80) NOT NULL,
    target_type varchar(60) NOT NULL,
    target_id varchar(80),
    details jsonb NOT NULL,
    id uuid NOT NULL
"""


def upgrade() -> None:
    op.add_column(
        "region",
        sa.Column("log_retention_months", sa.Integer(), server_default="12", nullable=False),
    )
    op.create_check_constraint(
        "ck_region_log_retention_months_positive", "region", "log_retention_months >= 1"
    )
    op.execute(PARTITION_FUNCTION)

    _partitioned_copy("gateway_message", "region_id, seq, at", MESSAGE_COLUMNS)
    op.execute(
        "INSERT INTO gateway_message SELECT region_id, seq, at, request_id, client, service, "
        "endpoint, method, path, status, error, duration_us, request_bytes, response_bytes, "
        "bodies_encrypted, prev_hash, hash FROM gateway_message_unpartitioned"
    )
    op.execute("DROP TABLE gateway_message_unpartitioned")
    op.create_index(
        "ix_gateway_message_region_id_at", "gateway_message", ["region_id", "at"], unique=False
    )
    # No index on (region_id, service, at) any more: no query filters the log by service, and
    # it was a fifth of the log's bytes (bench/msglog_disk.py, decision 0037).

    _partitioned_copy("audit_event", "id, at", AUDIT_COLUMNS)
    op.execute(
        "INSERT INTO audit_event SELECT region_id, at, actor_id, actor_label, action, "
        "target_type, target_id, details, id FROM audit_event_unpartitioned"
    )
    op.execute("DROP TABLE audit_event_unpartitioned")
    for column in ("action", "actor_id", "at", "region_id"):
        op.create_index(f"ix_audit_event_{column}", "audit_event", [column], unique=False)

    op.execute(ENSURE_FUNCTION)
    op.execute("SELECT simpul_log_ensure_partitions(3)")
    # TRUNCATE of the parent is refused too (statement triggers on the parents).
    for table in ("gateway_message", "audit_event"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
        )

    op.create_table(
        "gateway_log_archive",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("first_prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("first_seal_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seal_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seal_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "archived_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_log_archive_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("region_id", "month", name=op.f("pk_gateway_log_archive")),
    )
    op.execute(
        "CREATE TRIGGER gateway_log_archive_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON gateway_log_archive FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
    )
    op.create_table(
        "gateway_log_verification",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("seal_seq", sa.BigInteger(), nullable=False),
        sa.Column("seal_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_log_verification_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("region_id", name=op.f("pk_gateway_log_verification")),
    )
    op.execute(DROP_FUNCTION)
    op.execute(EXPECT_TIP_FUNCTION)
    # Archiving looks up the seal that covers a record.
    op.create_index(
        "ix_gateway_log_seal_region_id_last_seq",
        "gateway_log_seal",
        ["region_id", "last_seq"],
        unique=False,
    )


def downgrade() -> None:
    refuse_data_loss("0020", "gateway_log_archive")
    op.drop_index("ix_gateway_log_seal_region_id_last_seq", table_name="gateway_log_seal")
    op.execute("DROP FUNCTION simpul_log_expect_tip(uuid, bigint)")
    op.execute("DROP FUNCTION simpul_log_drop_partition(text)")
    op.drop_table("gateway_log_verification")
    op.drop_table("gateway_log_archive")
    for table, primary_key, columns in (
        ("gateway_message", "region_id, seq", MESSAGE_COLUMNS),
        ("audit_event", "id", AUDIT_COLUMNS),
    ):
        op.execute(f"ALTER TABLE {table} RENAME TO {table}_partitioned")
        op.execute(f"ALTER TABLE {table}_partitioned RENAME CONSTRAINT pk_{table} TO pk_{table}_p")
        op.execute(
            f"ALTER TABLE {table}_partitioned "
            f"RENAME CONSTRAINT fk_{table}_region_id_region TO fk_{table}_p_region"
        )
        for index in _indexes(table):
            if index != _SERVICE_INDEX:  # not there since this migration
                op.execute(f"ALTER INDEX {index} RENAME TO {index}_p")
        op.execute(
            f"CREATE TABLE {table} ({columns}, "
            f"CONSTRAINT pk_{table} PRIMARY KEY ({primary_key}), "
            f"CONSTRAINT fk_{table}_region_id_region FOREIGN KEY (region_id) "
            "REFERENCES region (id) ON DELETE RESTRICT)"
        )
        op.execute(f"INSERT INTO {table} SELECT * FROM {table}_partitioned")  # noqa: S608 - literals
        op.execute(f"DROP TABLE {table}_partitioned CASCADE")
        for index in _indexes(table):
            op.execute(f"CREATE INDEX {index} ON {table} ({_INDEX_COLUMNS[index]})")
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
        )
    op.execute("DROP FUNCTION simpul_log_ensure_partitions(integer)")
    op.execute("DROP FUNCTION simpul_log_partition(text, date)")
    op.drop_constraint("ck_region_log_retention_months_positive", "region", type_="check")
    op.drop_column("region", "log_retention_months")


_SERVICE_INDEX = "ix_gateway_message_region_id_service_at"
#: The indexes the tables had before this migration (the downgrade makes them again).
_INDEX_COLUMNS = {
    "ix_gateway_message_region_id_at": "region_id, at",
    "ix_gateway_message_region_id_service_at": "region_id, service, at",
    "ix_audit_event_action": "action",
    "ix_audit_event_actor_id": "actor_id",
    "ix_audit_event_at": "at",
    "ix_audit_event_region_id": "region_id",
}


def _indexes(table: str) -> list[str]:
    return [name for name in _INDEX_COLUMNS if name.startswith(f"ix_{table}_")]

"""Archives of the audit trail: ``audit_log_archive`` and ``simpul_audit_drop_partition``.

Months of ``audit_event`` older than the retention go to signed archive files (decision 0037);
a month's partition is dropped only through ``simpul_audit_drop_partition(name)``, which
refuses unless each region's rows in it (and the rows without a region) are in an archive
recorded with exactly as many rows.

Revision ID: 0022
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels = None
depends_on = None

DROP_FUNCTION = """
CREATE FUNCTION simpul_audit_drop_partition(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    part_month date;
    r record;
BEGIN
    SELECT p.relname INTO parent
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE c.relname = name AND c.relnamespace = current_schema()::regnamespace;
    IF parent IS DISTINCT FROM 'audit_event' OR name !~ '^audit_event_y[0-9]{4}m[0-9]{2}$' THEN
        RAISE EXCEPTION '% is not a partition of the audit trail', name
            USING ERRCODE = 'check_violation';
    END IF;
    part_month := to_date(right(name, 8), '"y"YYYY"m"MM');
    -- Only a month that ended more than a month ago: never one that may still get rows.
    IF part_month + interval '2 months' > date_trunc('month', now() AT TIME ZONE 'UTC') THEN
        RAISE EXCEPTION 'partition % is too recent to drop', name
            USING ERRCODE = 'check_violation';
    END IF;
    -- Nobody appends while the partition is counted and dropped.
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', name);
    -- Audit rows are not hash-chained: every region's count must match its archive's.
    FOR r IN EXECUTE format('SELECT region_id, count(*) AS n FROM %I GROUP BY region_id', name)
    LOOP
        IF NOT EXISTS (
            SELECT 1 FROM audit_log_archive a
            WHERE a.region_id IS NOT DISTINCT FROM r.region_id
              AND a.month = part_month
              AND a.records = r.n
        ) THEN
            RAISE EXCEPTION 'partition % holds % audit events of region % not archived',
                name, r.n, coalesce(r.region_id::text, '(none)')
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    EXECUTE format('ALTER TABLE audit_event DETACH PARTITION %I', name);
    EXECUTE format('DROP TABLE %I', name);
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_log_archive",
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "archived_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_audit_log_archive_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log_archive")),
    )
    op.create_index(
        "uq_audit_log_archive_region_id_month",
        "audit_log_archive",
        ["region_id", "month"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.execute(
        "CREATE TRIGGER audit_log_archive_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_log_archive FOR EACH STATEMENT EXECUTE FUNCTION simpul_forbid_change()"
    )
    op.execute(DROP_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION simpul_audit_drop_partition(text)")
    op.drop_table("audit_log_archive")

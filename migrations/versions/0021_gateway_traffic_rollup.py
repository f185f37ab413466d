"""gateway: the traffic rollup the monitor reads; an index for the gateway's audit events

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-07 12:00:00.000000

``gateway_traffic`` holds, per region, span (300 s and 3600 s), start, and service (``s``) or
client (``c``), the counts the monitor page shows and a histogram of durations, one column
``d0`` .. ``d121`` per bucket of ``simpul.gateway.monitor.rollup.DURATION_EDGES_US`` (copied
here: a migration does not change with the code). The log writers add to it in the transaction that appends the
records; this migration fills it from the records already logged (one pass over the log).

``ix_audit_event_gateway_region_id_at``: the gateway's audit page asks for
``action LIKE 'gateway.%'``, which the index on ``action`` cannot serve under a non-C
collation; a partial index on exactly that condition can.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_R20 = (100, 112, 125, 140, 160, 180, 200, 224, 250, 280)
_R20_UPPER = (315, 355, 400, 450, 500, 560, 630, 710, 800, 900)
EDGES = (
    *(mantissa * 10**decade for decade in range(6) for mantissa in (*_R20, *_R20_UPPER)),
    100_000_000,
)


def _backfill_sql() -> str:
    edges = ", ".join(str(edge) for edge in EDGES)
    columns = ", ".join(f"d{bucket}" for bucket in range(len(EDGES) + 1))
    histogram = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE bucket = {bucket}), 0)::int"
        for bucket in range(len(EDGES) + 1)
    )
    # Only numbers of this module go into the text.
    return f"""
INSERT INTO gateway_traffic (
    region_id, span, start, kind, name, requests, client_errors, server_errors,
    gateway_errors, request_bytes, response_bytes, {columns}
)
SELECT region_id, span, start, kind, name, sum(n), sum(client_errors), sum(server_errors),
    sum(gateway_errors), sum(request_bytes), sum(response_bytes), {histogram}
FROM (
    SELECT m.region_id, s.span,
        to_timestamp(floor(extract(epoch FROM m.at) / s.span) * s.span) AS start,
        d.kind, d.name,
        width_bucket(m.duration_us, ARRAY[{edges}]::bigint[]) AS bucket,
        count(*) AS n,
        count(*) FILTER (WHERE m.status BETWEEN 400 AND 499) AS client_errors,
        count(*) FILTER (WHERE m.status >= 500) AS server_errors,
        count(*) FILTER (WHERE m.error <> '') AS gateway_errors,
        sum(m.request_bytes) AS request_bytes,
        sum(m.response_bytes) AS response_bytes
    FROM gateway_message m
    CROSS JOIN (VALUES (300), (3600)) AS s(span)
    CROSS JOIN LATERAL (VALUES ('s', m.service), ('c', m.client)) AS d(kind, name)
    GROUP BY 1, 2, 3, 4, 5, 6
) per_bucket
GROUP BY region_id, span, start, kind, name
"""  # noqa: S608


def upgrade() -> None:
    op.create_table(
        "gateway_traffic",
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("span", sa.SmallInteger(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("client_errors", sa.BigInteger(), nullable=False),
        sa.Column("server_errors", sa.BigInteger(), nullable=False),
        sa.Column("gateway_errors", sa.BigInteger(), nullable=False),
        sa.Column("request_bytes", sa.BigInteger(), nullable=False),
        sa.Column("response_bytes", sa.BigInteger(), nullable=False),
        *(
            sa.Column(f"d{bucket}", sa.Integer(), nullable=False)
            for bucket in range(len(EDGES) + 1)
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_gateway_traffic_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "region_id", "span", "start", "kind", "name", name=op.f("pk_gateway_traffic")
        ),
    )
    op.execute(_backfill_sql())
    op.create_index(
        "ix_audit_event_gateway_region_id_at",
        "audit_event",
        ["region_id", "at"],
        unique=False,
        postgresql_where=sa.text("action LIKE 'gateway.%'"),
    )


def downgrade() -> None:
    # The rollup is derived from the log: dropping it loses nothing the log does not hold.
    op.drop_index("ix_audit_event_gateway_region_id_at", table_name="audit_event")
    op.drop_table("gateway_traffic")

"""The traffic rollup of the gateway monitor (see ``monitor.rollup`` and decision 0039)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Uuid,
)

from simpul.core.models import Base
from simpul.gateway.monitor.rollup import DURATION_BUCKETS, duration_column

#: Log records of one region, ``span`` seconds from ``start``, of one service (``kind`` ``s``)
#: or one calling client (``c``): counts, bytes, and requests per duration bucket in columns
#: ``d0`` .. ``d121`` (``rollup.DURATION_EDGES_US``), so that PostgreSQL sums a window's
#: histograms with plain ``sum()``. Added to in the transaction that appends the records, so
#: it always equals a recount of the log. A table, not a mapped class: nothing loads its rows
#: as objects.
gateway_traffic = Table(
    "gateway_traffic",
    Base.metadata,
    Column("region_id", Uuid, ForeignKey("region.id", ondelete="RESTRICT"), nullable=False),
    Column("span", SmallInteger, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("kind", String(1), nullable=False),
    Column("name", String(300), nullable=False),
    Column("requests", BigInteger, nullable=False),
    Column("client_errors", BigInteger, nullable=False),
    Column("server_errors", BigInteger, nullable=False),
    Column("gateway_errors", BigInteger, nullable=False),
    Column("request_bytes", BigInteger, nullable=False),
    Column("response_bytes", BigInteger, nullable=False),
    *(Column(duration_column(b), Integer, nullable=False) for b in range(DURATION_BUCKETS)),
    PrimaryKeyConstraint("region_id", "span", "start", "kind", "name"),
)

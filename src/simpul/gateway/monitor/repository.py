"""Queries of the gateway monitor: a region's traffic over a window, and the rollup it is read from.

The message log may hold hundreds of millions of rows, so the page never reads it: it reads
``gateway_traffic`` (``monitor.rollup``), a row per region, span, start and service or client,
which the log writers add to in the transaction that appends the records. A window reads at
most (hours in it) x (services + clients) rows, whatever the size of the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import psycopg
from sqlalchemy import Integer, cast, extract, func, select
from sqlalchemy.orm import Session

from simpul.gateway.monitor import rollup
from simpul.gateway.monitor.models import gateway_traffic
from simpul.gateway.msglog.models import GatewayRefusal

_COUNT_COLUMNS: Final = (
    "requests",
    "client_errors",
    "server_errors",
    "gateway_errors",
    "request_bytes",
    "response_bytes",
    *(rollup.duration_column(b) for b in range(rollup.DURATION_BUCKETS)),
)
_KEY_COLUMNS: Final = ("region_id", "span", "start", "kind", "name")
#: Adds a rollup row to what is there (psycopg placeholders; ``rollup.rollup_rows`` order).
_ALL_COLUMNS: Final = ", ".join((*_KEY_COLUMNS, *_COUNT_COLUMNS))
_PLACEHOLDERS: Final = ", ".join(["%s"] * (len(_KEY_COLUMNS) + len(_COUNT_COLUMNS)))
_ADDITIONS: Final = ", ".join(f"{c} = t.{c} + excluded.{c}" for c in _COUNT_COLUMNS)
ADD_TRAFFIC_SQL: Final = (  # only the column names above go into the text
    f"INSERT INTO gateway_traffic AS t ({_ALL_COLUMNS}) VALUES ({_PLACEHOLDERS}) "  # noqa: S608
    f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET {_ADDITIONS}"
)


async def add_traffic(
    conn: psycopg.AsyncConnection[Any], messages: Iterable[Sequence[Any]]
) -> None:
    """Add a batch of ``gateway_message`` rows to the rollup, in the connection's transaction.

    Call it inside the writer's pipeline, between the INSERT (or COPY) and the COMMIT.
    """
    rows = rollup.rollup_rows(messages)
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(ADD_TRAFFIC_SQL, rows)


def add_traffic_sync(session: Session, messages: Iterable[Sequence[Any]]) -> None:
    """``add_traffic`` in a SQLAlchemy session's transaction (seeds, tools, tests)."""
    rows = rollup.rollup_rows(messages)
    if rows:
        session.connection().exec_driver_sql(ADD_TRAFFIC_SQL, rows)


def _recount_sql() -> str:
    """The rollup of one region recounted from its log records (``rollup_rows`` in SQL)."""
    edges = ", ".join(str(edge) for edge in rollup.DURATION_EDGES_US)
    histogram = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE bucket = {bucket}), 0)::int"
        for bucket in range(rollup.DURATION_BUCKETS)
    )
    spans = ", ".join(f"({span})" for span in rollup.SPANS)
    return f"""
INSERT INTO gateway_traffic ({_ALL_COLUMNS})
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
    CROSS JOIN (VALUES {spans}) AS s(span)
    CROSS JOIN LATERAL (VALUES ('{rollup.SERVICE}', m.service), ('{rollup.CLIENT}', m.client))
        AS d(kind, name)
    WHERE m.region_id = %(region_id)s
    GROUP BY 1, 2, 3, 4, 5, 6
) per_bucket
GROUP BY region_id, span, start, kind, name
"""  # noqa: S608 - only this module's constants go into the text


_RECOUNT_SQL: Final = _recount_sql()


def recount_traffic(session: Session, region_id: uuid.UUID) -> None:
    """Replace the region's rollup with a recount of its log records, in the session's
    transaction (for data written around the log writers, e.g. generated for a benchmark).

    Hold the region's log lock (``msglog``) if writers may be appending meanwhile.
    """
    t = gateway_traffic
    session.execute(t.delete().where(t.c.region_id == region_id))
    session.connection().exec_driver_sql(_RECOUNT_SQL, {"region_id": region_id})


@dataclass(frozen=True)
class TrafficRow:
    """Requests of one service, one client, or all of them. Latencies in microseconds."""

    name: str
    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    gateway_errors: int = 0
    p50_us: float | None = None
    p95_us: float | None = None
    request_bytes: int = 0
    response_bytes: int = 0

    @property
    def errors(self) -> int:
        """Answers with status 400 or more (the provider's or the gateway's own)."""
        return self.client_errors + self.server_errors

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class TrafficBreakdown:
    """The totals, and the busiest services and clients (``*_count``: how many there are)."""

    total: TrafficRow
    services: list[TrafficRow] = field(default_factory=list)
    clients: list[TrafficRow] = field(default_factory=list)
    service_count: int = 0
    client_count: int = 0


@dataclass(frozen=True)
class TrafficSeries:
    """Requests and errors per time slot, and requests per latency bucket."""

    requests: list[int]
    errors: list[int]
    #: ``len(thresholds) + 1`` counts: below the first threshold, between each, above the last.
    latency: list[int]


def _span_for(since: datetime, until: datetime, slot_seconds: int) -> int:
    """Hour rows when the window and its slots fall on whole hours, else 5-minute rows."""
    hour = 3600
    aligned = all(int(t.timestamp()) % hour == 0 for t in (since, until))
    return hour if aligned and slot_seconds % hour == 0 else rollup.SPANS[0]


@dataclass(frozen=True)
class TrafficWindow:
    """Sums of a window's rollup rows: per service, per client, per slot, and in total."""

    services: dict[str, rollup.Counts]
    clients: dict[str, rollup.Counts]
    total: rollup.Counts
    #: Requests and errors (status 400 or more) per slot of ``slot_seconds`` from ``since``.
    requests: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)


def traffic_window(
    session: Session, region_id: uuid.UUID, since: datetime, until: datetime, *, slot_seconds: int
) -> TrafficWindow:
    """Add up the rollup rows of ``[since, until)`` (bounds on 5-minute boundaries).

    PostgreSQL does the sums (one row per service and per client, one per slot): the window's
    rows never travel to Python.
    """
    t = gateway_traffic.c
    span = _span_for(since, until, slot_seconds)
    in_window = (t.region_id == region_id, t.span == span, t.start >= since, t.start < until)
    sums = [func.sum(t[column]) for column in _COUNT_COLUMNS]
    rows = session.execute(
        select(t.kind, t.name, *sums).where(*in_window).group_by(t.kind, t.name)
    ).all()
    services: dict[str, rollup.Counts] = {}
    clients: dict[str, rollup.Counts] = {}
    total = rollup.Counts()
    for row in rows:
        numbers = [int(value) for value in row[2:]]
        requests_, client_errors, server_errors, gateway_errors, sent, received = numbers[:6]
        counts = rollup.Counts(
            requests_, client_errors, server_errors, gateway_errors, sent, received, numbers[6:]
        )
        if row.kind == rollup.SERVICE:
            services[row.name] = counts
            total.add(counts)  # every record has one service row: their sum is the total
        else:
            clients[row.name] = counts
    slot = cast(func.floor(extract("epoch", t.start - since) / slot_seconds), Integer)
    slots = max(1, -(-int((until - since).total_seconds()) // slot_seconds))
    requests, errors = [0] * slots, [0] * slots
    for slot_index, slot_requests, slot_errors in session.execute(
        select(slot, func.sum(t.requests), func.sum(t.client_errors + t.server_errors))
        .where(*in_window, t.kind == rollup.SERVICE)
        .group_by(slot)
    ):
        index = min(max(int(slot_index), 0), slots - 1)
        requests[index] += int(slot_requests)
        errors[index] += int(slot_errors)
    return TrafficWindow(services, clients, total, requests, errors)


def refusals_by_reason(
    session: Session, region_id: uuid.UUID, since: datetime, until: datetime
) -> list[tuple[str, int]]:
    """Calls refused before their caller was identified, per reason, most first (these are
    counted per minute beside the log, not logged one by one)."""
    r = GatewayRefusal
    total = func.sum(r.refusals)
    rows = session.execute(
        select(r.reason, total.label("refusals"))
        .where(r.region_id == region_id, r.minute >= since, r.minute < until)
        .group_by(r.reason)
        .order_by(total.desc(), r.reason)
    ).all()
    return [(row.reason, int(row.refusals)) for row in rows]

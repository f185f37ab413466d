"""Queries of the gateway monitor: traffic of a region over a window, aggregated in SQL.

The message log may hold millions of rows, so nothing here loads rows into Python: each query
is one pass over the region's rows in the window (an index range on ``(region_id, at)`` or
``(region_id, service, at)``) that returns a few dozen aggregates. (Timed once by hand, not by
a bench/ script: on 1 million rows in one week, about 0.25 s for a day and 3.6 s for the week.)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, cast, extract, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from simpul.gateway.msglog.models import GatewayMessage, GatewayRefusal

#: ``grouping(service, client)``: which grouping set a row of ``traffic_breakdown`` belongs to.
_BY_SERVICE, _BY_CLIENT, _TOTAL = 1, 2, 3


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


def _window(since: datetime, until: datetime) -> tuple[Any, ...]:
    return (GatewayMessage.at >= since, GatewayMessage.at < until)


def traffic_breakdown(
    session: Session, region_id: uuid.UUID, since: datetime, until: datetime, *, limit: int
) -> TrafficBreakdown:
    """Per service, per client and in total: counts, errors, p50/p95 latency, bytes.

    One scan with ``GROUPING SETS``; the ``limit`` busiest services and clients are kept.
    """
    m = GatewayMessage
    kind = func.grouping(m.service, m.client)
    requests = func.count()
    grouped = (
        select(
            kind.label("kind"),
            m.service,
            m.client,
            requests.label("requests"),
            func.count().filter(m.status.between(400, 499)).label("client_errors"),
            func.count().filter(m.status >= 500).label("server_errors"),
            func.count().filter(m.error != "").label("gateway_errors"),
            func.percentile_cont(0.5).within_group(m.duration_us).label("p50_us"),
            func.percentile_cont(0.95).within_group(m.duration_us).label("p95_us"),
            func.coalesce(func.sum(m.request_bytes), 0).label("request_bytes"),
            func.coalesce(func.sum(m.response_bytes), 0).label("response_bytes"),
            func.row_number()
            .over(partition_by=kind, order_by=(requests.desc(), m.service, m.client))
            .label("rank"),
            func.count().over(partition_by=kind).label("groups"),
        )
        .where(m.region_id == region_id, *_window(since, until))
        .group_by(func.grouping_sets(tuple_(m.service), tuple_(m.client), tuple_()))
        .subquery()
    )
    rows = session.execute(select(grouped).where(grouped.c.rank <= limit)).all()
    total = TrafficRow(name="")
    services: list[TrafficRow] = []
    clients: list[TrafficRow] = []
    counts = {_BY_SERVICE: 0, _BY_CLIENT: 0}
    for row in rows:
        name = {_BY_SERVICE: row.service, _BY_CLIENT: row.client}.get(row.kind, "")
        traffic = TrafficRow(
            name=name,
            requests=int(row.requests),
            client_errors=int(row.client_errors),
            server_errors=int(row.server_errors),
            gateway_errors=int(row.gateway_errors),
            p50_us=row.p50_us,
            p95_us=row.p95_us,
            request_bytes=int(row.request_bytes),
            response_bytes=int(row.response_bytes),
        )
        if row.kind == _TOTAL:
            total = traffic
        else:
            counts[row.kind] = int(row.groups)
            (services if row.kind == _BY_SERVICE else clients).append(traffic)
    # Without rows there is no total group either: an empty window is all zeros.
    return TrafficBreakdown(
        total=total,
        services=services,
        clients=clients,
        service_count=counts[_BY_SERVICE],
        client_count=counts[_BY_CLIENT],
    )


@dataclass(frozen=True)
class TrafficSeries:
    """Requests and errors per time slot, and requests per latency bucket."""

    requests: list[int]
    errors: list[int]
    #: ``len(thresholds) + 1`` counts: below the first threshold, between each, above the last.
    latency: list[int]


def traffic_series(
    session: Session,
    region_id: uuid.UUID,
    since: datetime,
    until: datetime,
    *,
    slot_seconds: int,
    latency_thresholds_us: Sequence[int],
) -> TrafficSeries:
    """Requests over time (``slot_seconds`` wide slots from ``since``) and the latency histogram.

    One scan with ``GROUPING SETS`` over the slot and the bucket (``width_bucket``).
    """
    m = GatewayMessage
    slots = max(1, -(-int((until - since).total_seconds()) // slot_seconds))
    rows_of_window = (
        select(
            cast(func.floor(extract("epoch", m.at - since) / slot_seconds), Integer).label("slot"),
            func.width_bucket(
                m.duration_us, cast(array(list(latency_thresholds_us)), ARRAY(BigInteger))
            ).label("bucket"),
            m.status,
        )
        .where(m.region_id == region_id, *_window(since, until))
        .subquery()
    )
    w = rows_of_window.c
    rows = session.execute(
        select(
            func.grouping(w.slot, w.bucket).label("kind"),
            w.slot,
            w.bucket,
            func.count().label("requests"),
            func.count().filter(w.status >= 400).label("errors"),
        ).group_by(func.grouping_sets(tuple_(w.slot), tuple_(w.bucket)))
    ).all()
    requests = [0] * slots
    errors = [0] * slots
    latency = [0] * (len(latency_thresholds_us) + 1)
    for row in rows:
        if row.kind == 1:  # grouped by slot
            index = min(max(int(row.slot), 0), slots - 1)
            requests[index] += int(row.requests)
            errors[index] += int(row.errors)
        else:
            latency[min(int(row.bucket), len(latency) - 1)] += int(row.requests)
    return TrafficSeries(requests=requests, errors=errors, latency=latency)


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

"""The gateway monitor's service: a region's traffic over a window, from the traffic rollup.

Counts are sums of the rollup (exact); p50 and p95 are estimated from its duration histogram
(``rollup.estimate_percentile``), and the page says so. The value types are re-exported for
the page, so that routes never import a repository (decision 0033).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from simpul.core.database import Session
from simpul.gateway.monitor import repository, rollup
from simpul.gateway.monitor.repository import TrafficBreakdown, TrafficRow, TrafficSeries

__all__ = [
    "PERCENTILE_ERROR",
    "GatewayTraffic",
    "TrafficBreakdown",
    "TrafficRow",
    "TrafficSeries",
    "gateway_traffic",
    "recount_traffic",
]

#: How far an estimated percentile may be from the exact one, as a fraction of it.
PERCENTILE_ERROR = rollup.MAX_BUCKET_RATIO - 1


@dataclass(frozen=True)
class GatewayTraffic:
    """Everything the monitor page shows for one window."""

    breakdown: TrafficBreakdown
    refusals: list[tuple[str, int]]
    series: TrafficSeries


def recount_traffic(session: Session, region_id: uuid.UUID) -> None:
    """Rebuild the region's traffic rollup from its log records (see the repository)."""
    repository.recount_traffic(session, region_id)


def _row(name: str, counts: rollup.Counts) -> TrafficRow:
    return TrafficRow(
        name=name,
        requests=counts.requests,
        client_errors=counts.client_errors,
        server_errors=counts.server_errors,
        gateway_errors=counts.gateway_errors,
        p50_us=rollup.estimate_percentile(counts.durations, 0.5),
        p95_us=rollup.estimate_percentile(counts.durations, 0.95),
        request_bytes=counts.request_bytes,
        response_bytes=counts.response_bytes,
    )


def _busiest(named: dict[str, rollup.Counts], top: int) -> list[TrafficRow]:
    ranked = sorted(named.items(), key=lambda item: (-item[1].requests, item[0]))
    return [_row(name, counts) for name, counts in ranked[:top]]


def gateway_traffic(
    session: Session,
    region_id: uuid.UUID,
    since: datetime,
    until: datetime,
    *,
    top: int,
    slot_seconds: int,
    latency_thresholds_us: Sequence[int],
) -> GatewayTraffic:
    """The busiest ``top`` services and clients, refusals per reason, requests over time in
    ``slot_seconds`` slots and the latency histogram, for ``[since, until)``.

    ``latency_thresholds_us`` must be edges of ``rollup.DURATION_EDGES_US`` (exact counts).
    """
    window = repository.traffic_window(session, region_id, since, until, slot_seconds=slot_seconds)
    total = _row("", window.total) if window.total.requests else TrafficRow(name="")
    return GatewayTraffic(
        breakdown=TrafficBreakdown(
            total=total,
            services=_busiest(window.services, top),
            clients=_busiest(window.clients, top),
            service_count=len(window.services),
            client_count=len(window.clients),
        ),
        refusals=repository.refusals_by_reason(session, region_id, since, until),
        series=TrafficSeries(
            requests=window.requests,
            errors=window.errors,
            latency=rollup.bucket_counts(window.total.durations, latency_thresholds_us),
        ),
    )

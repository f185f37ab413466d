"""The gateway monitor's service: a region's traffic over a window, read through the repository.

There is no rule to add to these reads; the page calls them here so that routes never import a
repository (decision 0033). The value types the repository builds are re-exported for the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from simpul.core.database import Session
from simpul.gateway.monitor import repository
from simpul.gateway.monitor.repository import TrafficBreakdown, TrafficRow, TrafficSeries

__all__ = ["GatewayTraffic", "TrafficBreakdown", "TrafficRow", "TrafficSeries", "gateway_traffic"]


@dataclass(frozen=True)
class GatewayTraffic:
    """Everything the monitor page shows for one window."""

    breakdown: TrafficBreakdown
    refusals: list[tuple[str, int]]
    series: TrafficSeries


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
    ``slot_seconds`` slots and the latency histogram, for ``[since, until)``."""
    return GatewayTraffic(
        breakdown=repository.traffic_breakdown(session, region_id, since, until, limit=top),
        refusals=repository.refusals_by_reason(session, region_id, since, until),
        series=repository.traffic_series(
            session,
            region_id,
            since,
            until,
            slot_seconds=slot_seconds,
            latency_thresholds_us=latency_thresholds_us,
        ),
    )

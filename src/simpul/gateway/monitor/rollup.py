"""The traffic rollup the monitor reads instead of the message log (decision 0039).

Every batch of log records adds, in the same transaction, to one row per region, span (5
minutes and 1 hour), start, and service or client: requests, 4xx, 5xx, the gateway's own
refusals, bytes, and a histogram of durations. Counts are exact; p50 and p95 are estimated
from the histogram (its buckets are at most ``MAX_BUCKET_RATIO`` wide, and every threshold of
the page's latency chart is a bucket edge, so that chart stays exact).

This module is pure: it turns log rows into rollup rows and reads histograms. The SQL that
stores and reads them is in ``repository.py``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

#: Widths of the rows: 5 minutes (the shortest slot of the page) and an hour.
SPANS: Final = (300, 3600)
#: ``kind`` of a rollup row: counts of one service, or of one calling client.
SERVICE, CLIENT = "s", "c"

#: The Renard R20 series: 20 steps a decade, each at most 12.5 % above the one before.
_R20: Final = (100, 112, 125, 140, 160, 180, 200, 224, 250, 280)
_R20_UPPER: Final = (315, 355, 400, 450, 500, 560, 630, 710, 800, 900)

#: Lower edges (µs) of the duration buckets, 100 µs to 100 s; bucket 0 is below the first edge,
#: the last one is from the last edge up (``width_bucket`` numbering).
DURATION_EDGES_US: Final = (
    *(mantissa * 10**decade for decade in range(6) for mantissa in (*_R20, *_R20_UPPER)),
    100_000_000,
)
DURATION_BUCKETS: Final = len(DURATION_EDGES_US) + 1
#: The widest closed bucket, as upper edge over lower edge.
MAX_BUCKET_RATIO: Final = max(b / a for a, b in itertools.pairwise(DURATION_EDGES_US))

#: Column indexes of a ``gateway_message`` row in ``msglog.repository.MESSAGE_COLUMNS`` order.
_REGION, _AT, _CLIENT, _SERVICE, _STATUS, _ERROR, _DURATION, _REQ_BYTES, _RESP_BYTES = (
    0,
    2,
    4,
    5,
    9,
    10,
    11,
    12,
    13,
)
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND: Final = dt.timedelta(seconds=1)


def duration_column(bucket: int) -> str:
    """The rollup's column that counts the requests of a duration bucket."""
    return f"d{bucket}"


def duration_bucket(duration_us: int) -> int:
    """The bucket of a duration, numbered as PostgreSQL's ``width_bucket`` numbers them."""
    return bisect.bisect_right(DURATION_EDGES_US, duration_us)


def span_start(at: dt.datetime, span: int) -> dt.datetime:
    """The start of the ``span``-second row ``at`` falls in (UTC, on multiples of ``span``)."""
    seconds = (at - _EPOCH) // _SECOND
    return _EPOCH + dt.timedelta(seconds=seconds - seconds % span)


@dataclass(slots=True)
class Counts:
    """What a rollup row (or a sum of them) holds."""

    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    gateway_errors: int = 0
    request_bytes: int = 0
    response_bytes: int = 0
    durations: list[int] = field(default_factory=lambda: [0] * DURATION_BUCKETS)

    def add(self, other: Counts) -> None:
        self.requests += other.requests
        self.client_errors += other.client_errors
        self.server_errors += other.server_errors
        self.gateway_errors += other.gateway_errors
        self.request_bytes += other.request_bytes
        self.response_bytes += other.response_bytes
        self.durations = list(map(operator.add, self.durations, other.durations))


def rollup_rows(messages: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The rollup rows a batch of ``gateway_message`` rows adds, in key order.

    Each row: ``(region_id, span, start, kind, name, requests, client_errors, server_errors,
    gateway_errors, request_bytes, response_bytes, d0, d1, ...)``. Key order, so two writers
    adding to the same rows never wait for each other in a cycle.
    """
    # First per region, 5 minutes, service and client (a batch has few of these), then
    # spread over the spans and kinds: the per-record work stays one lookup and a few adds.
    pairs: dict[tuple[Any, ...], Counts] = {}
    shortest = SPANS[0]
    for m in messages:
        seconds = (m[_AT] - _EPOCH) // _SECOND
        key = (m[_REGION], seconds - seconds % shortest, m[_SERVICE], m[_CLIENT])
        counts = pairs.get(key)
        if counts is None:
            counts = pairs[key] = Counts()
        counts.requests += 1
        status = m[_STATUS]
        if 400 <= status < 500:
            counts.client_errors += 1
        elif status >= 500:
            counts.server_errors += 1
        if m[_ERROR]:
            counts.gateway_errors += 1
        counts.request_bytes += m[_REQ_BYTES]
        counts.response_bytes += m[_RESP_BYTES]
        counts.durations[duration_bucket(m[_DURATION])] += 1
    sums: dict[tuple[Any, ...], Counts] = {}
    for (region_id, first, service, client), counts in pairs.items():
        for span in SPANS:
            start = _EPOCH + dt.timedelta(seconds=first - first % span)
            for kind, name in ((SERVICE, service), (CLIENT, client)):
                row_key = (region_id, span, start, kind, name)
                row = sums.get(row_key)
                if row is None:
                    sums[row_key] = row = Counts()
                row.add(counts)
    return [
        (
            *key,
            c.requests,
            c.client_errors,
            c.server_errors,
            c.gateway_errors,
            c.request_bytes,
            c.response_bytes,
            *c.durations,
        )
        for key, c in sorted(sums.items(), key=lambda item: (str(item[0][0]), *item[0][1:]))
    ]


def _estimate_at(durations: Sequence[int], index: int) -> float:
    """Where the ``index``-th smallest duration (from 0) lies, spread evenly in its bucket."""
    below = 0
    for bucket, count in enumerate(durations):
        if below + count > index:
            low = 0 if bucket == 0 else DURATION_EDGES_US[bucket - 1]
            if bucket == len(DURATION_EDGES_US):  # open above: the edge is all we know
                return float(low)
            high = DURATION_EDGES_US[bucket]
            return float(low + (high - low) * (index - below + 0.5) / count)
        below += count
    raise ValueError("index beyond the histogram")


def estimate_percentile(durations: Sequence[int], fraction: float) -> float | None:
    """The ``fraction`` percentile (0..1) of a duration histogram, in µs; None when empty.

    Like ``percentile_cont``: between the durations of rank ``floor(r)`` and ``ceil(r)``,
    ``r = fraction * (n - 1)``, each placed inside its bucket. Each is within a bucket's width
    of the true one, so the result is within ``MAX_BUCKET_RATIO - 1`` of the exact percentile
    (within 100 µs below the first edge; at least the last edge above it).
    """
    total = sum(durations)
    if total == 0:
        return None
    rank = fraction * (total - 1)
    lower = int(rank)
    low = _estimate_at(durations, lower)
    if rank == lower:
        return low
    high = _estimate_at(durations, lower + 1)
    return low + (high - low) * (rank - lower)


def bucket_counts(durations: Sequence[int], thresholds_us: Sequence[int]) -> list[int]:
    """The histogram regrouped at ``thresholds_us`` (each must be an edge): exact counts."""
    indexes = [DURATION_EDGES_US.index(t) + 1 for t in thresholds_us]
    bounds = [0, *indexes, len(durations)]
    return [sum(durations[a:b]) for a, b in itertools.pairwise(bounds)]

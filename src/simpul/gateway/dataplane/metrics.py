"""The gateway's Prometheus metrics: requests per service and client, errors, latency, bytes.

Each ``GatewayMetrics`` has its own ``CollectorRegistry`` (several gateways in one test run,
or a gateway beside the web app, never share counters). ``observe`` runs once per request, so
the label children are looked up once and kept in a dict keyed by the label values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from simpul.gateway.dataplane.config import Snapshot

#: 1 ms to 30 s (the longest service timeout most regions set), about 2.5x per step.
DURATION_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
#: Label values past this many distinct (service, client, status, error) series are folded
#: into ``OTHER``, so a caller inventing identities cannot grow the gateway's memory.
MAX_SERIES: Final = 5000
OTHER: Final = "other"


def status_class(status: int) -> str:
    """``2xx`` .. ``5xx``; anything outside 100-599 counts as ``5xx`` (a broken upstream)."""
    group = status // 100
    return f"{group}xx" if 1 <= group <= 5 else "5xx"


@dataclass(frozen=True, slots=True)
class _Children:
    requests: Counter
    duration: Histogram
    request_bytes: Counter
    response_bytes: Counter


class GatewayMetrics:
    """Counters, histograms and gauges of one gateway process, rendered for ``/metrics``.

    Pass ``service`` and ``client`` as the identities the gateway resolved (``INSTANCE/...``
    text, or "" when there was none), never raw header values.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "simpul_gateway_requests",
            "Requests handled by the gateway, by service, client, status class and gateway error.",
            ["service", "client", "status_class", "error"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "simpul_gateway_request_duration_seconds",
            "Time from the request's arrival to the end of the response, per service.",
            ["service"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self._request_bytes = Counter(
            "simpul_gateway_request_bytes",
            "Bytes of request bodies received, per service.",
            ["service"],
            registry=self.registry,
        )
        self._response_bytes = Counter(
            "simpul_gateway_response_bytes",
            "Bytes of response bodies sent, per service.",
            ["service"],
            registry=self.registry,
        )
        self._log_queue = Gauge(
            "simpul_gateway_log_queue_depth",
            "Message log records waiting to be written to the database.",
            registry=self.registry,
        )
        self._config_version = Gauge(
            "simpul_gateway_config_version",
            "Sum of the region config versions of the snapshot in use: equal on every node "
            "once all have reloaded.",
            registry=self.registry,
        )
        self._region_config_version = Gauge(
            "simpul_gateway_region_config_version",
            "Config version of the snapshot in use, per instance (region slug).",
            ["instance"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, str, str], _Children] = {}

    def _children_for(self, key: tuple[str, str, str, str]) -> _Children:
        if len(self._children) >= MAX_SERIES:
            key = (OTHER, OTHER, key[2], key[3])
            found = self._children.get(key)
            if found is not None:
                return found
        service, client, status_group, error = key
        children = _Children(
            requests=self._requests.labels(service, client, status_group, error),
            duration=self._duration.labels(service),
            request_bytes=self._request_bytes.labels(service),
            response_bytes=self._response_bytes.labels(service),
        )
        self._children[key] = children
        return children

    def observe(
        self,
        service: str,
        client: str,
        status: int,
        error: str,
        duration_s: float,
        request_bytes: int,
        response_bytes: int,
    ) -> None:
        """Count one finished request (cheap: one dict lookup once the series exists)."""
        key = (service, client, status_class(status), error)
        children = self._children.get(key) or self._children_for(key)
        children.requests.inc()
        children.duration.observe(duration_s)
        if request_bytes:
            children.request_bytes.inc(request_bytes)
        if response_bytes:
            children.response_bytes.inc(response_bytes)

    def set_log_queue_depth(self, depth: int) -> None:
        self._log_queue.set(depth)

    def watch_log_queue(self, depth: Callable[[], float]) -> None:
        """Read the log writer's queue depth at every scrape instead of setting it."""
        self._log_queue.set_function(depth)

    def set_config_version(self, version: int) -> None:
        """The sum of the region versions of the snapshot now in use."""
        self._config_version.set(version)

    def set_config_versions(self, snapshot: Snapshot) -> None:
        """Both config gauges from the snapshot now in use: the sum and one per instance."""
        self._config_version.set(sum(snapshot.versions.values()))
        for instance, region_id in snapshot.instances.items():
            self._region_config_version.labels(instance).set(snapshot.versions.get(region_id, 0))

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of every metric, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_PLAIN_0_0_4

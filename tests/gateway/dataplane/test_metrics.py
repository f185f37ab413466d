"""The gateway's /metrics: Prometheus text that parses, with counts that add up."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from simpul.gateway.dataplane import metrics as metrics_module
from simpul.gateway.dataplane.config import Snapshot
from simpul.gateway.dataplane.metrics import GatewayMetrics, status_class

PENDUDUK = "kota-a/GOV/disdukcapil/sipenduduk/penduduk"
ARSIP = "kota-a/GOV/disdukcapil/sipenduduk/arsip"
PORTAL = "kota-a/GOV/diskominfo/portal"


def samples(metrics: GatewayMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_status_classes() -> None:
    assert [status_class(s) for s in (200, 204, 301, 404, 429, 502, 599)] == [
        "2xx",
        "2xx",
        "3xx",
        "4xx",
        "4xx",
        "5xx",
        "5xx",
    ]
    assert status_class(0) == "5xx" and status_class(999) == "5xx"


def test_requests_durations_and_bytes_add_up() -> None:
    metrics = GatewayMetrics()
    for _ in range(3):
        metrics.observe(PENDUDUK, PORTAL, 200, "", 0.004, 100, 2000)
    metrics.observe(PENDUDUK, PORTAL, 404, "", 0.02, 0, 50)
    metrics.observe(PENDUDUK, PORTAL, 403, "no_grant", 0.0005, 10, 120)
    metrics.observe(ARSIP, "", 504, "upstream_timeout", 12.0, 0, 90)
    found = samples(metrics)

    def requests(**labels: str) -> float:
        return value(found, "simpul_gateway_requests_total", **labels)

    ok = {"service": PENDUDUK, "client": PORTAL}
    assert requests(**ok, status_class="2xx", error="") == 3
    assert requests(**ok, status_class="4xx", error="") == 1
    assert requests(**ok, status_class="4xx", error="no_grant") == 1
    assert requests(service=ARSIP, client="", status_class="5xx", error="upstream_timeout") == 1
    total = sum(v for (name, _), v in found.items() if name == "simpul_gateway_requests_total")
    assert total == 6

    duration = "simpul_gateway_request_duration_seconds"
    assert value(found, f"{duration}_count", service=PENDUDUK) == 5
    assert value(found, f"{duration}_bucket", service=PENDUDUK, le="0.001") == 1
    assert value(found, f"{duration}_bucket", service=PENDUDUK, le="0.005") == 4
    assert value(found, f"{duration}_bucket", service=PENDUDUK, le="0.025") == 5
    assert value(found, f"{duration}_bucket", service=ARSIP, le="10.0") == 0
    assert value(found, f"{duration}_bucket", service=ARSIP, le="30.0") == 1
    assert value(found, f"{duration}_sum", service=PENDUDUK) == 3 * 0.004 + 0.02 + 0.0005

    assert value(found, "simpul_gateway_request_bytes_total", service=PENDUDUK) == 310
    assert value(found, "simpul_gateway_response_bytes_total", service=PENDUDUK) == 6170
    assert value(found, "simpul_gateway_response_bytes_total", service=ARSIP) == 90


def test_gauges_for_the_log_queue_and_config_versions() -> None:
    metrics = GatewayMetrics()
    metrics.set_log_queue_depth(17)
    assert value(samples(metrics), "simpul_gateway_log_queue_depth") == 17
    queue: list[int] = [1, 2, 3]
    metrics.watch_log_queue(lambda: len(queue))
    queue.append(4)
    assert value(samples(metrics), "simpul_gateway_log_queue_depth") == 4

    kota, kab = uuid.uuid4(), uuid.uuid4()
    snapshot = Snapshot(
        versions={kota: 12, kab: 5},
        instances={"kota-a": kota, "kab-b": kab},
        services={},
        subsystems={},
        clients={},
        clients_by_id={},
        credentials={},
    )
    metrics.set_config_versions(snapshot)
    found = samples(metrics)
    assert value(found, "simpul_gateway_config_version") == 17
    assert value(found, "simpul_gateway_region_config_version", instance="kota-a") == 12
    assert value(found, "simpul_gateway_region_config_version", instance="kab-b") == 5


def test_registries_are_separate() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.observe(PENDUDUK, PORTAL, 200, "", 0.01, 0, 0)
    found = samples(second)
    assert value(found, "simpul_gateway_requests_total", service=PENDUDUK) == 0
    assert not any(name == "simpul_gateway_requests_total" for name, _ in found)


def test_invented_identities_cannot_grow_the_series_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics_module, "MAX_SERIES", 3)
    metrics = GatewayMetrics()
    for index in range(10):
        metrics.observe(f"svc-{index}", f"client-{index}", 200, "", 0.01, 0, 0)
    found = samples(metrics)
    names = {
        dict(labels)["service"] for name, labels in found if name == "simpul_gateway_requests_total"
    }
    assert names == {"svc-0", "svc-1", "svc-2", "other"}
    assert (
        value(
            found,
            "simpul_gateway_requests_total",
            service="other",
            client="other",
            status_class="2xx",
            error="",
        )
        == 7
    )

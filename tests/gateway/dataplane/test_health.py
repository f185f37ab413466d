"""The gateway's health report: the database decides the status code, upstreams are probed
over real TCP and reported per service."""

from __future__ import annotations

import asyncio
import re
import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from simpul.gateway.dataplane.config import ServiceConf, Snapshot
from simpul.gateway.dataplane.health import UpstreamProber, probe_tcp, upstream_address

REGION = uuid.uuid4()


def service(code: str, upstream_url: str, *, enabled: bool = True) -> ServiceConf:
    return ServiceConf(
        id=uuid.uuid4(),
        region_id=REGION,
        ident=("kota-a", "GOV", "diskominfo", "sipenduduk", code),
        title=code,
        description="",
        version="1",
        upstream_url=upstream_url,
        enabled=enabled,
        log_bodies=False,
        timeout_seconds=30.0,
        max_body_bytes=1024,
        openapi={},
        endpoints=(),
    )


def snapshot_of(*services: ServiceConf) -> Snapshot:
    return Snapshot(
        versions={REGION: 3},
        instances={"kota-a": REGION},
        services={s.ident: s for s in services},
        subsystems={},
        clients={},
        clients_by_id={},
        credentials={},
    )


@pytest.fixture
def listening() -> Iterator[int]:
    """A real listening socket on loopback: an upstream that is up."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_upstream_addresses() -> None:
    assert upstream_address("http://10.0.3.7:8080/api") == ("10.0.3.7", 8080)
    assert upstream_address("https://data.kota-a.go.id/v1") == ("data.kota-a.go.id", 443)
    assert upstream_address("http://data.kota-a.go.id") == ("data.kota-a.go.id", 80)
    assert upstream_address("ftp://x") is None
    assert upstream_address("http://x:99999") is None
    assert upstream_address("not a url") is None


def test_probe_of_a_listening_and_a_closed_port(listening: int, closed_port: int) -> None:
    assert asyncio.run(probe_tcp("127.0.0.1", listening, 2.0)) == ""
    assert asyncio.run(probe_tcp("127.0.0.1", closed_port, 2.0)) == "refused"


def test_report_lists_each_enabled_upstream_and_stays_200_when_one_is_down(
    listening: int, closed_port: int
) -> None:
    snapshot = snapshot_of(
        service("penduduk", f"http://127.0.0.1:{listening}/api"),
        service("arsip", f"http://127.0.0.1:{closed_port}"),
        service("salah", "gopher://127.0.0.1"),
        service("mati", f"http://127.0.0.1:{closed_port}", enabled=False),
    )
    prober = UpstreamProber(timeout=2.0)
    asyncio.run(prober.probe_once(snapshot))
    status, body = prober.report(snapshot, database_ok=True)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["database"] == {"ok": True}
    assert body["config_versions"] == {"kota-a": 3}
    upstreams = body["upstreams"]
    assert set(upstreams) == {
        "kota-a/GOV/diskominfo/sipenduduk/penduduk",
        "kota-a/GOV/diskominfo/sipenduduk/arsip",
        "kota-a/GOV/diskominfo/sipenduduk/salah",
    }
    up = upstreams["kota-a/GOV/diskominfo/sipenduduk/penduduk"]
    assert up["ok"] is True and up["error"] == ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", up["checked_at"])
    down = upstreams["kota-a/GOV/diskominfo/sipenduduk/arsip"]
    assert down["ok"] is False and down["error"] == "refused"
    assert upstreams["kota-a/GOV/diskominfo/sipenduduk/salah"]["error"] == "invalid_url"
    assert "127.0.0.1" not in str(body)  # the health answer never names internal hosts


def test_all_upstreams_up_is_ok_and_the_database_down_is_503(listening: int) -> None:
    snapshot = snapshot_of(service("penduduk", f"http://127.0.0.1:{listening}"))
    prober = UpstreamProber()
    not_yet = prober.report(snapshot, database_ok=True)[1]
    assert not_yet["upstreams"]["kota-a/GOV/diskominfo/sipenduduk/penduduk"]["ok"] is None
    assert not_yet["status"] == "ok"
    asyncio.run(prober.probe_once(snapshot))
    status, body = prober.report(snapshot, database_ok=True)
    assert (status, body["status"]) == (200, "ok")
    status, body = prober.report(snapshot, database_ok=False)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["database"] == {"ok": False}


def test_background_probing_follows_the_current_snapshot(listening: int, closed_port: int) -> None:
    async def scenario() -> tuple[bool, bool]:
        current = [snapshot_of(service("penduduk", f"http://127.0.0.1:{listening}"))]
        prober = UpstreamProber(interval=0.05)
        prober.start(lambda: current[0])
        await asyncio.sleep(0.2)
        first = prober.results["kota-a/GOV/diskominfo/sipenduduk/penduduk"].ok
        current[0] = snapshot_of(service("penduduk", f"http://127.0.0.1:{closed_port}"))
        await asyncio.sleep(0.3)
        second = prober.results["kota-a/GOV/diskominfo/sipenduduk/penduduk"].ok
        await prober.stop()
        return first, second

    assert asyncio.run(scenario()) == (True, False)


def test_a_silent_upstream_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upstream that never answers the handshake (a firewall dropping packets)."""

    async def never(host: str, port: int) -> object:
        await asyncio.sleep(3600)
        raise AssertionError

    monkeypatch.setattr(asyncio, "open_connection", never)
    started = time.monotonic()
    assert asyncio.run(probe_tcp("10.255.255.1", 80, 0.2)) == "timeout"
    assert time.monotonic() - started < 2


def test_an_unknown_host_is_reported_as_dns() -> None:
    assert asyncio.run(probe_tcp("tidak-ada.invalid", 80, 2.0)) == "dns"

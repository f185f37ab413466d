"""Health of a gateway process for load balancers, and a watch on the providers' upstreams.

``UpstreamProber`` opens a TCP connection to every enabled service's upstream in the
background and keeps the latest result per service; ``report`` answers the health endpoint
from those results without waiting on any network.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from simpul.core.models import utcnow
from simpul.gateway.dataplane.config import ServiceConf, Snapshot

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS: Final = 15.0
DEFAULT_TIMEOUT_SECONDS: Final = 2.0
#: Probes in flight at once: a region with hundreds of services must not exhaust descriptors.
MAX_CONCURRENT_PROBES: Final = 32
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    checked_at: datetime
    #: A short reason (``timeout``, ``refused``, ``dns``, ...): never the upstream's address,
    #: which the health endpoint must not reveal.
    error: str

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked_at": self.checked_at.isoformat(), "error": self.error}


def upstream_address(upstream_url: str) -> tuple[str, int] | None:
    """``(host, port)`` of an ``http(s)://`` upstream URL, or None if it names none."""
    try:
        parts = urlsplit(upstream_url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or port is None:
        return None
    return parts.hostname, port


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, OSError):
        return "unreachable"
    return "error"


async def probe_tcp(host: str, port: int, seconds: float) -> str:
    """Connect and close within ``seconds``; "" when the upstream accepted, else the reason."""
    try:
        async with asyncio.timeout(seconds):
            _reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a host IDNA refuses
        return _reason(exc)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ""


class UpstreamProber:
    """Probes the upstreams of every enabled service every ``interval`` seconds.

    Services sharing a host and port are probed once per round. Results of services that
    left the snapshot are forgotten.
    """

    def __init__(
        self,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.interval = interval
        self.timeout = timeout
        self.results: dict[str, ProbeResult] = {}
        self._task: asyncio.Task[None] | None = None

    async def probe_once(self, snapshot: Snapshot) -> None:
        """One round over the snapshot's enabled services (at most ``timeout`` per upstream)."""
        services = [s for s in snapshot.services.values() if s.enabled]
        by_address: dict[tuple[str, int], list[ServiceConf]] = {}
        results: dict[str, ProbeResult] = {}
        for service in services:
            address = upstream_address(service.upstream_url)
            if address is None:
                results[service.text] = ProbeResult(
                    ok=False, checked_at=utcnow(), error="invalid_url"
                )
            else:
                by_address.setdefault(address, []).append(service)
        limit = asyncio.Semaphore(MAX_CONCURRENT_PROBES)

        async def probe(address: tuple[str, int], targets: Iterable[ServiceConf]) -> None:
            async with limit:
                reason = await probe_tcp(*address, self.timeout)
            result = ProbeResult(ok=not reason, checked_at=utcnow(), error=reason)
            for target in targets:
                results[target.text] = result

        await asyncio.gather(*(probe(a, t) for a, t in by_address.items()))
        self.results = results

    async def run(self, snapshot_source: Callable[[], Snapshot]) -> None:
        """Probe now and then every ``interval`` seconds, on the snapshot current each time.

        Runs until cancelled; a round that fails is logged and the next one runs anyway.
        """
        while True:
            try:
                await self.probe_once(snapshot_source())
            except Exception:
                log.exception("upstream probe round failed")
            await asyncio.sleep(self.interval)

    def start(self, snapshot_source: Callable[[], Snapshot]) -> asyncio.Task[None]:
        """``run`` as a background task that ``stop`` ends."""
        self._task = asyncio.create_task(self.run(snapshot_source), name="upstream-prober")
        return self._task

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def report(self, snapshot: Snapshot, database_ok: bool) -> tuple[int, dict[str, Any]]:
        """The health endpoint's status code and JSON body.

        Only the database decides the code: 503 ("unavailable") when it cannot be reached,
        because then this gateway can neither reload its configuration nor write the message
        log, and the load balancer should send traffic to another. A broken upstream only
        makes the status "degraded" with code 200: it concerns one provider, which every
        gateway reaches equally badly, so taking gateways out of the load balancer for it
        would cut off every other service as well. A service not probed yet has ``ok`` null.
        """
        upstreams: dict[str, dict[str, Any]] = {}
        for service in sorted(
            (s for s in snapshot.services.values() if s.enabled), key=lambda s: s.ident
        ):
            result = self.results.get(service.text)
            upstreams[service.text] = (
                result.as_json()
                if result
                else {"ok": None, "checked_at": None, "error": "not_checked"}
            )
        if not database_ok:
            status, code = "unavailable", 503
        elif any(u["ok"] is False for u in upstreams.values()):
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return code, {
            "status": status,
            "database": {"ok": database_ok},
            "config_versions": {
                instance: snapshot.versions.get(region_id, 0)
                for instance, region_id in sorted(snapshot.instances.items())
            },
            "upstreams": upstreams,
        }

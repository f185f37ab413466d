"""What the gateway's attack tests share: a real ``simpul gateway`` process, services wired
through the registry, a raw-socket client for bytes an HTTP library would refuse to send, and
readers for what a recording provider (``tests.gateway.upstream.running_recorder``) received."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import Region
from simpul.gateway.msglog.models import GatewayMessage
from simpul.gateway.registry import repository as registry_repository
from simpul.gateway.registry import service as registry
from tests.conftest import TEST_SECRET
from tests.gateway.conftest import GatewayWorld
from tests.support.devserver import server_process

ADMIN = registry.Actor("admin@uji.example")


@contextmanager
def running_gateway(
    committed_url: str, data_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """A real ``simpul gateway`` on a free loopback port; yields its base URL.

    Unless ``env`` says otherwise, an address may have any number of calls refused: tests poll
    until a new configuration is served, and those 401s must not turn later answers into 429.
    """
    with server_process(
        committed_url,
        secret_key=TEST_SECRET,
        data_dir=data_dir,
        program="gateway",
        env={
            "SIMPUL_GATEWAY_REFRESH_SECONDS": "0.5",
            "SIMPUL_GATEWAY_UNIDENTIFIED_PER_MINUTE": "100000",
            **(env or {}),
        },
    ) as server:
        yield server.base_url


@dataclass
class Wired:
    world: GatewayWorld
    #: The service's address on the gateway, e.g. ``/r1/<region>/GOV/<agency>/<app>/<code>``.
    base: str
    #: ``Information-Mediator-Client`` of the consumer app.
    client_id: str
    key: str
    service_id: uuid.UUID
    client_uuid: uuid.UUID

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Information-Mediator-Client": self.client_id, "X-API-Key": self.key, **extra}


def wire_service(
    sessions: sessionmaker[Session],
    world: GatewayWorld,
    upstream_url: str,
    openapi: dict[str, Any],
    *,
    code: str = "data",
    granted: tuple[str, str] | None = None,
) -> Wired:
    """Register ``openapi`` as a service of the world's provider, a client with a key, and an
    approved grant: for the whole service, or only the endpoint ``granted`` (method, path)."""
    with sessions() as session, session.begin():
        region = session.get_one(Region, world.region.id)
        service = registry.register_service(
            session,
            region,
            app_code=world.provider.code,
            code=code,
            upstream_url=upstream_url,
            openapi_text=json.dumps(openapi),
            actor=ADMIN,
            timeout_seconds=10.0,
        )
        client = registry.register_client(
            session, region, app_code=world.consumer.code, actor=ADMIN, rate_limit_per_minute=6000
        )
        _credential, key = registry.issue_key(session, region, client.id, ADMIN)
        endpoint_id = None
        if granted is not None:
            endpoint_id = next(
                e.id
                for e in registry_repository.list_endpoints(session, region.id, service.id)
                if (e.method, e.path) == granted
            )
        grant = registry.request_grant(
            session,
            region,
            service_id=service.id,
            client_id=client.id,
            endpoint_id=endpoint_id,
            actor=ADMIN,
            reason="uji keamanan",
        )
        registry.approve_grant(session, region, grant.id, ADMIN)
    slug, agency = world.region.slug, world.agency.slug
    return Wired(
        world=world,
        base=f"/r1/{slug}/GOV/{agency}/{world.provider.code}/{code}",
        client_id=f"{slug}/GOV/{agency}/{world.consumer.code}",
        key=key,
        service_id=service.id,
        client_uuid=client.id,
    )


def wait_until_served(gateway: str, wired: Wired, path: str, want: int = 200) -> None:
    """The gateway reloads its configuration on NOTIFY: wait until it serves ``path``."""
    deadline = time.monotonic() + 15
    status = 0
    while time.monotonic() < deadline:
        status = httpx2.get(gateway + wired.base + path, headers=wired.headers()).status_code
        if status == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"the gateway still answers {status} for {path}")


@dataclass
class RawAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


def raw_call(gateway: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> RawAnswer:
    """Send ``GET target`` with exactly these header lines (in this order) on a new connection.

    No HTTP library in between: whatever bytes are given are the bytes sent.
    """
    parts = urlsplit(gateway)
    request = b"GET " + target + b" HTTP/1.1\r\nHost: " + parts.netloc.encode() + b"\r\n"
    request += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    request += b"Connection: close\r\n\r\n"
    return raw_request(gateway, request)


def raw_request(gateway: str, request: bytes) -> RawAnswer:
    """Send the bytes of a whole request (which should ask for ``Connection: close``)."""
    parts = urlsplit(gateway)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
    return RawAnswer(status, headers, body)


def request_line(raw: bytes) -> bytes:
    return raw.split(b"\r\n", 1)[0]


def request_target(raw: bytes) -> bytes:
    return request_line(raw).split(b" ")[1]


def header_lines(raw: bytes) -> list[tuple[bytes, bytes]]:
    """(name as sent, value) of every header line of a recorded request."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    lines = []
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        lines.append((name, value.strip()))
    return lines


def values_of(raw: bytes, name: str) -> list[bytes]:
    """Values of a header in a recorded request, whatever case or ``_``/``-`` spelling it had:
    what a CGI/WSGI provider would merge into one variable."""
    wanted = name.lower().replace("_", "-").encode()
    return [
        value
        for sent, value in header_lines(raw)
        if sent.strip().lower().replace(b"_", b"-") == wanted
    ]


def records(sessions: sessionmaker[Session], world: GatewayWorld) -> list[GatewayMessage]:
    with sessions() as session:
        return list(
            session.scalars(
                select(GatewayMessage)
                .where(GatewayMessage.region_id == world.region.id)
                .order_by(GatewayMessage.seq)
            )
        )

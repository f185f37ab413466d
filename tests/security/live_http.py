"""Helpers for the security tests that attack real servers over raw sockets: a committed
database on the test server, a region in it, raw HTTP/1.1 exchanges with bounded timeouts, and
what PostgreSQL says about the server's connections.

Nothing here is a fixture: each test module makes its own from these, so a hang fails the test
(every read has a deadline) instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.models import Region
from simpul.gateway.registry import service as registry
from simpul.inventory.models import App, AppStatus, AppUsers, DataClassification, Hosting
from tests.conftest import TEST_SECRET, _server_url
from tests.factories import make_region
from tests.support.devserver import ServerProcess, libpq_url, recreate_database, server_process


def committed_database(suffix: str) -> str:
    """``<test database>_<suffix>``, recreated and migrated: data committed there is seen by
    the servers the tests start."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_{suffix}"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    return url


def add_region(url: str, slug: str) -> None:
    """A committed region with one agency and one published service."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with Session(engine) as session, session.begin():
            make_region(session, slug, f"Kota Uji {slug}")
    finally:
        engine.dispose()


def database_with_region(suffix: str) -> tuple[str, str]:
    """``committed_database(suffix)`` with a region of a fresh slug in it: (url, slug)."""
    url = committed_database(suffix)
    slug = f"kota-{uuid.uuid4().hex[:8]}"
    add_region(url, slug)
    return url, slug


def is_gateway(server: ServerProcess) -> bool:
    """Whether ``server`` is a ``simpul gateway`` (else ``simpul serve``)."""
    return "gateway" in server.process.args


#: A provider's API with one operation that takes a body.
SUBMIT_OPENAPI = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Kiriman uji", "version": "1"},
        "paths": {"/kiriman": {"post": {"responses": {"200": {"description": "Diterima"}}}}},
    }
)


def add_app(session: Session, region: Region, agency: Agency, code: str, name: str) -> None:
    session.add(
        App(
            region_id=region.id,
            agency_id=agency.id,
            code=code,
            name=name,
            purpose=f"Aplikasi uji {name}.",
            users=AppUsers.STAFF,
            hosting=Hosting.REGIONAL_DATA_CENTRE,
            status=AppStatus.OPERATING,
            spbe_area="layanan_publik",
            data_classification=DataClassification.INTERNAL,
        )
    )
    session.flush()


@dataclass(frozen=True)
class GatewayCall:
    """A granted gateway call in the region: its path and the caller's headers."""

    path: str
    headers: str  # header lines, each ending in CRLF


def add_gateway_call(url: str, slug: str) -> GatewayCall:
    """In region ``slug`` (from ``add_region``): a provider app with a service taking POST
    ``/kiriman`` (its upstream is never reached), and a client app with a key and an approved
    grant, committed."""
    actor = registry.Actor("admin@uji.example")
    engine = create_engine(sqlalchemy_url(url))
    try:
        with Session(engine) as session, session.begin():
            region = session.scalars(select(Region).where(Region.slug == slug)).one()
            agency = session.scalars(select(Agency).where(Agency.region_id == region.id)).one()
            add_app(session, region, agency, "sipenerima", "Sistem Penerima")
            add_app(session, region, agency, "pengirim", "Aplikasi Pengirim")
            service = registry.register_service(
                session,
                region,
                app_code="sipenerima",
                code="kiriman",
                upstream_url="http://127.0.0.1:9",
                openapi_text=SUBMIT_OPENAPI,
                actor=actor,
            )
            client = registry.register_client(
                session, region, app_code="pengirim", actor=actor, rate_limit_per_minute=6000
            )
            _credential, key = registry.issue_key(session, region, client.id, actor)
            grant = registry.request_grant(
                session,
                region,
                service_id=service.id,
                client_id=client.id,
                actor=actor,
                reason="uji",
            )
            registry.approve_grant(session, region, grant.id, actor)
            member = f"{slug}/GOV/{agency.slug}"
    finally:
        engine.dispose()
    return GatewayCall(
        path=f"/r1/{member}/sipenerima/kiriman/kiriman",
        headers=f"Information-Mediator-Client: {member}/pengirim\r\nX-API-Key: {key}\r\n",
    )


@contextmanager
def live_server(
    url: str, data_dir: Path, env: dict[str, str], program: str = "serve"
) -> Iterator[ServerProcess]:
    """``simpul serve`` (or ``simpul gateway``) on a free loopback port with ``env`` added."""
    assert program in ("serve", "gateway")
    with server_process(
        url,
        secret_key=TEST_SECRET,
        data_dir=data_dir,
        timeout=60.0,
        program="serve" if program == "serve" else "gateway",
        env=env,
    ) as server:
        yield server


def address(server: ServerProcess) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


@dataclass
class RawResponse:
    """What came back on a raw connection: the parsed head (if any), the body bytes read, and
    whether the server closed the connection; ``seconds`` until the head (or the close)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False
    seconds: float = 0.0


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers


def read_response(sock: socket.socket, timeout: float) -> RawResponse:
    """Read one response (head and a Content-Length body) within ``timeout`` seconds.

    A server that says nothing and keeps the connection open gives ``status=None`` and
    ``closed=False``; one that closes without answering gives ``closed=True``.
    """
    started = time.monotonic()
    deadline = started + timeout
    data = b""
    while b"\r\n\r\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return RawResponse(None, seconds=time.monotonic() - started)
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return RawResponse(None, seconds=time.monotonic() - started)
        except ConnectionResetError:
            return RawResponse(None, closed=True, seconds=time.monotonic() - started)
        if not chunk:
            return RawResponse(None, closed=True, seconds=time.monotonic() - started)
        data += chunk
    seconds = time.monotonic() - started
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers = _parse_head(head)
    length = int(headers.get("content-length", "0"))
    closed = False
    while len(body) < length and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            closed = True
            break
        body += chunk
    return RawResponse(status, headers, body, closed, seconds)


def closed_within(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes the connection (EOF or reset) within ``timeout`` seconds,
    whatever it sends before."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def send_all(sock: socket.socket, data: bytes) -> bool:
    """Send ``data``; False when the server has already closed or reset the connection."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def exchange(server: ServerProcess, request: bytes, timeout: float = 10.0) -> RawResponse:
    """Send ``request`` whole on a new connection and read one response."""
    with socket.create_connection(address(server), timeout=timeout) as sock:
        if not send_all(sock, request):
            return read_response(sock, timeout)
        return read_response(sock, timeout)


async def async_get(
    host: str, port: int, target: str, patience: float, headers: str = ""
) -> int | None:
    """One GET on a new connection; the status, or None when no answer came within
    ``patience`` seconds (the client gives up and hangs up, as people do)."""
    writer = None
    try:
        async with asyncio.timeout(patience):
            reader, writer = await asyncio.open_connection(host, port)
            request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            line = await reader.readline()
            return int(line.split(b" ", 2)[1]) if line.startswith(b"HTTP/1.1 ") else None
    except (TimeoutError, OSError):
        return None
    finally:
        if writer is not None:
            writer.close()
            with suppress(OSError):
                await writer.wait_closed()


def connections_by_state(url: str) -> dict[str, int]:
    """The server's connections to ``url``'s database, counted by state (pg_stat_activity),
    this query's own connection left out."""
    database = make_url(sqlalchemy_url(url)).database
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1",
            (database,),
        ).fetchall()
    return {str(state): int(count) for state, count in rows}

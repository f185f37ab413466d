"""A real ``simpul serve`` on committed data, and plain HTTP clients that talk to it over real
connections from chosen loopback addresses.

The account attacks need what the rolled-back test transaction cannot give: requests that run
in parallel in the server (each in its own database transaction) and requests from several
source addresses. The database ``<test database>_accounts`` is recreated and migrated once
per run; every test makes its own region, so login throttling of one test never meets another.
"""

from __future__ import annotations

import http.client
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import AccountKind
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.models import Region
from tests.conftest import TEST_SECRET, _server_url
from tests.factories import make_region, make_user
from tests.support.devserver import recreate_database, server_process

OWNER_EMAIL = "pemilik@example.org"
OWNER_PASSWORD = "sandi-pemilik-yang-benar"


@cache
def accounts_database() -> str:
    """``<test database>_accounts``, recreated and migrated once per test run."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_accounts"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    return url


@dataclass
class LiveSite:
    """A running server and committed sessions on the database it serves."""

    base_url: str
    engine: Engine
    log: Path

    def sessions(self) -> sessionmaker[Session]:
        return sessionmaker(bind=self.engine, expire_on_commit=False)

    def new_region(self) -> Region:
        """A committed region of its own with one citizen, the owner of ``OWNER_EMAIL``."""
        slug = f"ak-{uuid.uuid4().hex[:10]}"
        with self.sessions()() as session, session.begin():
            region = make_region(session, slug, f"Kota Akun {slug}")
            make_user(session, region, OWNER_EMAIL, OWNER_PASSWORD, AccountKind.CITIZEN)
        return region


@contextmanager
def live_site(data_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveSite]:
    """``simpul serve`` (one process, as deployed) on the accounts database until the block ends."""
    url = accounts_database()
    engine = create_engine(sqlalchemy_url(url), pool_size=2)
    try:
        with server_process(url, secret_key=TEST_SECRET, data_dir=data_dir, env=env) as server:
            yield LiveSite(server.base_url, engine, server.log)
    finally:
        engine.dispose()


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    text: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@dataclass
class WebClient:
    """One visitor: their cookies, sent over new connections from ``source`` (a loopback
    address; Linux answers on all of 127.0.0.0/8)."""

    base_url: str
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def connection(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.base_url)
        assert parts.hostname and parts.port
        conn = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=60, source_address=(self.source, 0)
        )
        conn.connect()
        return conn

    def send(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request on ``conn`` (already connected); cookies are sent and kept."""
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = urlencode(body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        reply = Reply(response.status, response.getheaders(), text)
        for name, value in reply.headers:
            if name.lower() == "set-cookie":
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for morsel in jar.values():
                    if morsel["max-age"] == "0" or not morsel.value.strip('"'):
                        self.cookies.pop(morsel.key, None)
                    else:
                        self.cookies[morsel.key] = morsel.value
        return reply

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        conn = self.connection()
        try:
            return self.send(conn, method, path, body, headers)
        finally:
            conn.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_form(
        self,
        path: str,
        data: Mapping[str, str],
        *,
        page: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Submit a form as a browser does: fetch its page for the CSRF token first."""
        token = csrf_in(self.get(page or path, headers=headers).text)
        return self.request("POST", path, {**data, "csrf_token": token}, headers=headers)


def log_in(
    client: WebClient,
    region: Region,
    password: str,
    email: str = OWNER_EMAIL,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    return client.post_form(
        f"/{region.slug}/masuk", {"email": email, "password": password}, headers=headers
    )

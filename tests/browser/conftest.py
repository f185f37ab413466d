"""Browser tests: a real ``simpul serve`` on its own database, driven by Debian's Chromium.

The database ``<test database>_browser`` lives on the same PostgreSQL server as the other
tests (``SIMPUL_TEST_DATABASE_URL`` or the embedded one); it is recreated, migrated and
seeded with the demo region once per run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import with_database
from simpul.core.migrate import upgrade_to_head
from tests.conftest import ROOT, TEST_SECRET, _server_url

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
SERVER_START_TIMEOUT = 30.0


def _libpq_url(url: str) -> str:
    """The URL as libpq (psycopg) reads it, whatever SQLAlchemy driver it names."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _recreate_database(server_url: str, name: str) -> str:
    """Drop and create database ``name`` next to the one at ``server_url``; return its URL."""
    with psycopg.connect(_libpq_url(server_url), autocommit=True) as conn:
        database = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
    return with_database(server_url, name)


def _seed(url: str) -> None:
    """Migrate to head and seed the demo region Kota Bandung, committed."""
    from simpul.demo.seed import seed_demo

    upgrade_to_head(sqlalchemy_url(url))
    engine = create_engine(sqlalchemy_url(url))
    try:
        with Session(engine) as session, session.begin():
            seed_demo(session)
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``/healthz`` until it answers 200; fail with the server's output otherwise."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"simpul serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            error.close()  # up but not healthy yet (e.g. the database still starting)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        time.sleep(0.2)  # a process starting up: nothing to auto-wait on
    pytest.fail(
        f"simpul serve was not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="session")
def browser_database_url() -> str:
    """A fresh, migrated database with the demo region, for the browser tests only."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_browser"
    url = _recreate_database(server_url, name)
    _seed(url)
    return url


@pytest.fixture(scope="session")
def live_server(
    browser_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``simpul serve`` in a subprocess on a free port; yields its base URL."""
    data_dir = tmp_path_factory.mktemp("simpul-data")
    log = data_dir / "server.log"
    port = _free_port()
    env = {
        **os.environ,
        "SIMPUL_DATABASE_URL": browser_database_url,
        "SIMPUL_DEBUG": "1",
        "SIMPUL_SECRET_KEY": TEST_SECRET,  # the seed encrypted the demo NIK with this key
        "SIMPUL_DATA_DIR": str(data_dir),
    }
    simpul = Path(sys.executable).parent / "simpul"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(simpul), "serve", "--port", str(port)],
            cwd=ROOT,  # static files: node_modules/ is looked up from the working directory
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, server, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium; a missing browser fails the run (CI must have it), never skips."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make browser)")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh context (own cookies) sized like a phone, on the live server."""
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

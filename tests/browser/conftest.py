"""Browser tests: a real ``simpul serve`` on its own database, driven by Debian's Chromium.

The database ``<test database>_browser`` lives on the same PostgreSQL server as the other
tests (``SIMPUL_TEST_DATABASE_URL`` or the embedded one); it is recreated, migrated and
seeded with the demo region once per run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy.engine import make_url

from simpul.core.database import sqlalchemy_url
from tests.conftest import ROOT, TEST_SECRET, _server_url
from tests.notify.conftest import running_mail_server
from tests.support.devserver import migrate_and_seed_demo, recreate_database, server_process
from tests.support.tiles import running_tile_server

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
# `simpul serve` starts in a few seconds on a quiet machine, but several times slower on a
# machine shared with other test runs; SIMPUL_TEST_SERVER_START_TIMEOUT (seconds) changes the wait.
SERVER_START_TIMEOUT = float(os.environ.get("SIMPUL_TEST_SERVER_START_TIMEOUT", "120"))


@pytest.fixture(scope="session")
def browser_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's data directory: its uploads and the demo region's PKI."""
    return tmp_path_factory.mktemp("simpul-data")


@pytest.fixture(scope="session")
def browser_database_url(browser_data_dir: Path) -> str:
    """A fresh, migrated database with the demo region (whose officers sign documents), for
    the browser tests only."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_browser"
    url = recreate_database(server_url, name)
    migrate_and_seed_demo(url, browser_data_dir)
    return url


@pytest.fixture(scope="session")
def tile_server() -> Iterator[str]:
    """A real tile server on loopback (``tests.support.tiles``); yields its URL template."""
    with running_tile_server() as url:
        yield url


@pytest.fixture(scope="session")
def live_server(
    browser_database_url: str, browser_data_dir: Path, tile_server: str
) -> Iterator[str]:
    """``simpul serve`` in a subprocess on a free port, with a map tile server; yields its
    base URL."""
    data_dir = browser_data_dir
    try:
        # The seed encrypted the demo NIK with the test key: the server needs the same one.
        with server_process(
            browser_database_url,
            secret_key=TEST_SECRET,
            data_dir=data_dir,
            timeout=SERVER_START_TIMEOUT,
            env={"SIMPUL_MAP_TILE_URL": tile_server},
        ) as server:
            yield server.base_url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Per module: Playwright's sync API keeps an event loop running in this thread while it
    is open, and tests after the browser ones call ``asyncio.run``."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
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


@pytest.fixture
def second_phone(browser: Browser, live_server: str) -> Iterator[Page]:
    """Another phone with its own context (own cookies), e.g. an officer beside ``phone``."""
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


class Mailbox:
    """The citizens' mailboxes: ``simpul worker --once`` delivers what is queued to a real
    SMTP server on loopback, and a test reads the link out of the e-mail sent to an address."""

    def __init__(self, database_url: str, data_dir: Path, public_url: str) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.public_url = public_url

    def activation_link(self, email: str) -> str:
        """The account activation link sent to ``email``."""
        return self.link(email, "/daftar/aktifkan/")

    def link(self, email: str, path: str) -> str:
        """The link to ``path`` (an address part, e.g. ``/petugas/undangan/``) in the latest
        e-mail sent to ``email``, after delivering what is queued."""
        with running_mail_server() as server:
            environment = {
                **os.environ,
                "SIMPUL_DATABASE_URL": self.database_url,
                "SIMPUL_SECRET_KEY": TEST_SECRET,
                "SIMPUL_DATA_DIR": str(self.data_dir),
                "SIMPUL_SMTP_PORT": str(server.port),
                "SIMPUL_PUBLIC_URL": self.public_url,
            }
            done = subprocess.run(
                [str(Path(sys.executable).parent / "simpul"), "worker", "--once"],
                env=environment,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            mails = [m for m in server.messages if m["To"] == email]
        assert mails, f"no e-mail to {email}: {done.stderr}"
        body = mails[-1].get_body(preferencelist=("plain",))
        assert body is not None
        link = re.search(rf"https?://\S+{re.escape(path)}\S+", str(body.get_content()))
        assert link, body.get_content()
        return link.group(0)


@pytest.fixture
def mailbox(browser_database_url: str, browser_data_dir: Path, live_server: str) -> Mailbox:
    return Mailbox(browser_database_url, browser_data_dir, live_server)

"""The region admin's integration gateway pages on a phone, beside a real ``simpul gateway``.

Satu Data Bandung calls the demo catalogue service through the gateway (and a few times with a
wrong key); Gampil, whose access request waits, is refused. The admin sees the request on the
overview, looks at the service's endpoints, issues Gampil a key, approves its request (the
gateway then lets it through) and finds every call on the monitoring page: those of known
callers in the traffic tables, those refused before the caller was known (a wrong key) counted
per reason beside them. Screenshots go to
docs/screenshots (15-18); axe-core checks the overview, service and monitoring pages.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.demo.gateway import DEMO_GATEWAY_KEY, point_demo_gateway_at
from tests.browser.test_accessibility import AXE, serious_violations
from tests.conftest import TEST_SECRET
from tests.support.devserver import server_process

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
AREA = f"{REGION}/admin/integrasi"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "admin-demo"
SERVICE_TITLE = "Katalog layanan publik"
SERVICE = "GOV/diskominfo/simpul/katalog"
ADDRESS = f"kota-bandung/{SERVICE}"
SEARCH = f"/r1/{ADDRESS}/services?q=akta"
DEMO_CLIENT = "kota-bandung/GOV/diskominfo/satu-data-bandung"
OK_CALLS = 20
WRONG_KEY_CALLS = 3
REFUSED_CALLS = 3
#: The gateway reloads its configuration on NOTIFY (polling every 5 s as a fallback).
RELOAD_TIMEOUT = 10.0
GATEWAY_START_TIMEOUT = 30.0


class Calls:
    """Calls the demo service through the gateway and counts every status per client."""

    def __init__(self, gateway_url: str) -> None:
        self.http = httpx2.Client(base_url=gateway_url, timeout=10.0)
        self.statuses: Counter[tuple[str, int]] = Counter()

    def search(self, client: str, key: str) -> httpx2.Response:
        response = self.http.get(
            SEARCH, headers={"Information-Mediator-Client": client, "X-API-Key": key}
        )
        self.statuses[(client, response.status_code)] += 1
        return response

    def until(self, client: str, key: str, wanted: int) -> httpx2.Response:
        """Call until the gateway (reloading its configuration) answers ``wanted``."""
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while True:
            response = self.search(client, key)
            if response.status_code == wanted or time.monotonic() > deadline:
                return response
            time.sleep(0.2)

    def of(self, client: str) -> int:
        """Logged calls of ``client``."""
        return sum(
            n for (who, status), n in self.statuses.items() if who == client and status != 401
        )

    def errors(self) -> int:
        """Errors of identified callers (the message log's records)."""
        return sum(
            n for (_who, status), n in self.statuses.items() if status >= 400 and status != 401
        )

    def total(self) -> int:
        """Calls of identified callers: each is a record of the message log."""
        return self.statuses.total() - self.unidentified()

    def unidentified(self) -> int:
        """Calls refused before the caller was known (401 here): counted, not logged."""
        return sum(n for (_who, status), n in self.statuses.items() if status == 401)


@pytest.fixture(scope="module")
def gateway(
    browser_database_url: str, live_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``simpul gateway`` for the browser database, the demo service forwarding to the portal."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine) as session, session.begin():
            point_demo_gateway_at(session, live_server)
    finally:
        engine.dispose()
    data_dir = tmp_path_factory.mktemp("gateway-data")
    try:
        with server_process(
            browser_database_url,
            secret_key=TEST_SECRET,
            data_dir=data_dir,
            program="gateway",
            timeout=GATEWAY_START_TIMEOUT,
            env={"SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS": "0.2"},
        ) as server:
            yield server.base_url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def calls(gateway: str) -> Iterator[Calls]:
    """Satu Data Bandung's traffic: searches that succeed, and some with a wrong key."""
    caller = Calls(gateway)
    with caller.http:
        for _ in range(OK_CALLS):
            response = caller.search(DEMO_CLIENT, DEMO_GATEWAY_KEY)
            assert response.status_code == 200, response.text
            assert any("akta" in s["name"].lower() for s in response.json()), response.text
            assert response.headers["X-Request-Id"]
        for _ in range(WRONG_KEY_CALLS):
            response = caller.search(DEMO_CLIENT, DEMO_GATEWAY_KEY[:-4] + "0000")
            assert response.status_code == 401, response.text
        yield caller


def _log_in_as_admin(page: Page) -> None:
    page.goto(f"{REGION}/masuk?next={AREA}")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Kata sandi").fill(ADMIN_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{AREA}$"))


def _heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def _fact(page: Page, term: str) -> Locator:
    return page.locator(f"dl.facts dt:text-is('{term}') + dd")


def _number(text: str) -> int:
    """A count as the Indonesian page writes it (1.234)."""
    return int(text.strip().replace(".", ""))


def _percent(errors: int, total: int) -> str:
    """An error rate as the Indonesian page writes it (12,5%)."""
    return f"{errors / total * 100:.1f}".replace(".", ",") + "%"


def test_gateway_admin_pages_pass_axe(phone: Page, calls: Calls) -> None:
    """No serious accessibility problem on the overview (Gampil's request still waiting: this
    test runs first), a service and the monitor (with traffic: its charts and tables)."""
    assert AXE.exists(), "run `make install` (npm ci) to install axe-core"
    page = phone
    _log_in_as_admin(page)
    service = page.get_by_role("link", name=SERVICE_TITLE).first.get_attribute("href")
    assert service is not None
    found: dict[str, list[dict[str, Any]]] = {}
    for path in (AREA, service, f"{AREA}/pantau"):
        page.goto(path)
        expect(_heading(page)).not_to_have_text("Masuk")
        for summary in page.locator("details > summary").all():
            summary.click()  # the monitor's charts as tables
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    expect(page.locator("#total-permintaan")).to_be_visible()
    assert not found, found


def test_admin_approves_a_client_and_watches_the_gateway(
    phone: Page, calls: Calls, screenshots: Path
) -> None:
    """Overview with Gampil's request → service endpoints → a key for Gampil (refused: no
    grant) → approve → Gampil's calls pass → the monitor counts every call."""
    page = phone
    _log_in_as_admin(page)

    # 1. The overview: the counts, Gampil's request waiting first, the provider service.
    expect(_heading(page)).to_have_text("Integrasi aplikasi")
    waiting = page.get_by_role("table", name="Permintaan akses yang menunggu persetujuan")
    gampil_request = waiting.locator("tbody tr", has_text="Gampil")
    expect(gampil_request).to_have_count(1)
    expect(gampil_request).to_contain_text("Menunggu persetujuan")
    expect(gampil_request.get_by_role("button", name="Setujui")).to_be_visible()
    # on a phone the rows are cards; the caption above them is a line, not a column of letters
    caption = waiting.locator("caption")
    expect(caption).to_be_visible()
    caption_box, table_box = caption.bounding_box(), waiting.bounding_box()
    assert caption_box and table_box and caption_box["width"] > table_box["width"] * 0.8
    stats = page.get_by_role("list", name="Ringkasan gateway")
    expect(stats).to_contain_text("1 permintaan akses menunggu")
    stats.evaluate("list => list.scrollIntoView()")  # the counts, then the request
    page.screenshot(path=screenshots / "15-integrasi-ringkasan.png")

    # 2. The service: its GovStack address, upstream and endpoints, each with its switch.
    page.get_by_role("link", name=SERVICE_TITLE).first.click()
    expect(_heading(page)).to_have_text(SERVICE_TITLE)
    service_url = page.url
    expect(page.locator("#alamat")).to_have_text(f"/r1/{ADDRESS}/")
    expect(_fact(page, "Diteruskan ke (upstream)")).to_have_text(re.compile(r"/api/kota-bandung$"))
    endpoints = page.locator("table.endpoints tbody tr")
    expect(endpoints.filter(has_text="/services").first).to_be_visible()
    assert endpoints.count() >= 3
    expect(
        endpoints.get_by_role("button", name="Nonaktifkan GET /services", exact=True)
    ).to_be_visible()
    expect(endpoints.locator(".status")).to_have_text(["Aktif"] * endpoints.count())
    page.screenshot(path=screenshots / "16-layanan-gateway.png", full_page=True)

    # 3. Gampil gets a key, shown once; without an approved grant the gateway refuses it.
    page.goto(f"{AREA}/klien")
    page.get_by_role("link", name="Gampil", exact=True).first.click()
    expect(_heading(page)).to_have_text("Gampil")
    client_url = page.url
    gampil = _fact(page, "Identitas di gateway").inner_text().strip()
    assert re.fullmatch(r"kota-bandung/GOV/[a-z0-9-]+/gampil", gampil), gampil
    page.get_by_label("Keterangan kunci (boleh kosong)").fill("Server produksi Gampil")
    page.get_by_role("button", name="Terbitkan kunci").click()
    key_box = page.locator("section.key-box")
    expect(key_box.get_by_role("heading")).to_have_text("Kunci API baru: Server produksi Gampil")
    key = page.locator("#kunci-baru-isi").inner_text().strip()
    assert key.startswith("sgw_"), key
    key_box.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "17-kunci-api-baru.png")
    page.reload()  # the browser sends the form again: no second key, and it says why
    expect(page.get_by_role("alert")).to_contain_text("hanya ditampilkan sekali")
    expect(page.locator("section.key-box")).to_have_count(0)
    page.goto(client_url)  # the key is not shown again, only its hint
    expect(page.locator("section.key-box")).to_have_count(0)
    expect(page.locator("table.keys tbody tr")).to_have_count(1)
    expect(page.locator("table.keys tbody tr")).to_contain_text("Server produksi Gampil")
    expect(page.locator("table.keys")).not_to_contain_text(key)

    refused = calls.until(gampil, key, 403)  # 401 until the gateway has loaded the new key
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "no_grant", refused.text
    for _ in range(REFUSED_CALLS):
        assert calls.search(gampil, key).status_code == 403

    # 4. The admin approves Gampil's request on the overview; then its calls go through.
    page.goto(AREA)
    gampil_request = page.locator("table.grants tbody tr", has_text="Gampil")
    gampil_request.get_by_label("Catatan (wajib bila ditolak)").fill("Untuk tautan izin.")
    gampil_request.get_by_role("button", name="Setujui").click()
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{AREA}\?pesan=disetujui#akses-"))
    expect(page.locator(".notice[role=status]")).to_have_text("Akses disetujui.")
    expect(page.get_by_text("Tidak ada permintaan akses yang menunggu.")).to_be_visible()
    page.goto(f"{AREA}/akses")
    expect(page.locator("table.grants tbody tr", has_text="Gampil")).to_contain_text("Disetujui")

    answered = calls.until(gampil, key, 200)
    assert answered.status_code == 200, answered.text
    assert any("akta" in s["name"].lower() for s in answered.json())

    # 5. The monitor counts every call of this test, per client, with the error rate.
    page.goto(f"{AREA}/pantau")
    expect(_heading(page)).to_have_text("Pantauan gateway integrasi")
    assert _number(page.locator("#total-permintaan").inner_text()) == calls.total()
    expect(page.locator("#total-galat")).to_contain_text(_percent(calls.errors(), calls.total()))
    assert calls.errors() > 0
    per_client = page.locator("#per-klien tbody tr")
    for client in (DEMO_CLIENT, gampil):
        row = per_client.filter(has_text=client.removeprefix("kota-bandung/"))
        expect(row.locator(".requests")).to_have_text(str(calls.of(client)))
    demo_row = per_client.filter(has_text="satu-data-bandung")
    expect(demo_row.locator(".client-errors")).to_have_text("0")
    # The wrong keys (and Gampil's key before the gateway knew it) are counted by reason.
    assert calls.unidentified() >= WRONG_KEY_CALLS
    refused = page.get_by_role("table", name="Penolakan sebelum pemanggil dikenali, menurut alasan")
    expect(refused.locator("#total-ditolak")).to_have_text(str(calls.unidentified()))
    expect(refused.locator("tbody tr")).to_contain_text(["Kunci API tidak dikenal"])
    expect(page.locator("svg rect.bar-error").first).to_be_attached()
    expect(page.locator("#per-layanan tbody tr").filter(has_text=SERVICE)).to_have_count(1)
    page.screenshot(path=screenshots / "18-pantau-gateway.png", full_page=True)

    page.goto(service_url)  # the service page still lists Gampil, now approved
    expect(page.locator("table.grants tbody tr", has_text="Gampil")).to_contain_text("Disetujui")

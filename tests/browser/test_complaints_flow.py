"""A complaint from a phone to its rating (issue 17): the demo citizen files it with a photo
and a point tapped on the map; the complaint desk routes it by accepting the system's
suggestion; the first-answer deadline passes and the escalation job tells the agency's head,
who answers; the citizen rates the answer. The public page shows the photo (its GPS gone), the
point and every public step."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.demo.complaints import seed_demo_complaints
from tests.browser.test_accessibility import serious_violations
from tests.conftest import TEST_SECRET

REGION = "/kota-bandung"


@pytest.fixture(scope="module")
def complaint_history(browser_database_url: str) -> int:
    """The demo's year of complaints (``simpul demo`` seeds it; the browser database is seeded
    without the past): the routing suggestion learns from it."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine) as session:
            region = get_region_by_slug(session, "kota-bandung")
            assert region is not None
            added = seed_demo_complaints(session, region)
            session.commit()
    finally:
        engine.dispose()
    return added


@pytest.fixture
def officer(browser: Browser, live_server: str) -> Iterator[Page]:
    """A third phone: the agency's head."""
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _login(page: Page, email: str, password: str) -> None:
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def _escalate(database_url: str, data_dir: Path) -> str:
    """``simpul complaints escalate``, as cron or the worker runs it."""
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "simpul"),
            "complaints",
            "escalate",
            "--region",
            "kota-bandung",
        ],
        env={
            **os.environ,
            "SIMPUL_DATABASE_URL": database_url,
            "SIMPUL_SECRET_KEY": TEST_SECRET,
            "SIMPUL_DATA_DIR": str(data_dir),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def photo_with_gps(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (90, 90, 90))
    exif = Image.Exif()
    exif[0x010F] = "KameraUji"
    exif[0x8825] = {1: "S", 2: (6.0, 55.0, 3.0), 3: "E", 4: (107.0, 36.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_a_complaint_from_a_phone_to_its_rating(
    phone: Page,
    second_phone: Page,
    officer: Page,
    screenshots: Path,
    tmp_path: Path,
    complaint_history: int,
    browser_database_url: str,
    browser_data_dir: Path,
) -> None:
    assert complaint_history > 300
    page = phone
    _login(page, "warga@example.org", "warga-demo")

    page.goto(f"{REGION}/pengaduan/baru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajukan pengaduan")
    # The map is drawn from the tile server; tapping it places the point.
    expect(page.locator(".peta .leaflet-tile-loaded").first).to_be_visible()
    page.get_by_label("Pengaduan", exact=True).check()
    page.get_by_label("Kategori").select_option("jalan-rusak")
    page.get_by_label("Judul").fill("Lubang di Jalan Dipatiukur")
    page.get_by_label("Isi laporan").fill(
        "Lubang selebar satu meter di depan kampus, sudah seminggu dan membahayakan pemotor."
    )
    page.locator(".peta").tap(position={"x": 180, "y": 120})
    expect(page.locator(".peta .leaflet-marker-icon")).to_have_count(1)
    latitude = page.get_by_label("Lintang").input_value()
    longitude = page.get_by_label("Bujur").input_value()
    assert latitude and longitude
    page.get_by_label("Foto (paling banyak 5").set_input_files(
        str(photo_with_gps(tmp_path / "lubang.jpg"))
    )
    expect(page.locator("#f-foto-count")).to_have_text("1 / 5")
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / "37-pengaduan-formulir.png", full_page=True)
    page.get_by_role("button", name="Kirim laporan").click()

    page.wait_for_url(re.compile(r".*/pengaduan/ADU-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lubang di Jalan Dipatiukur")
    expect(page.locator("#status")).to_have_text("Menunggu verifikasi")
    expect(page.locator("#titik")).to_contain_text(f"{float(latitude):.5f}")
    expect(page.locator(".peta .leaflet-marker-icon")).to_have_count(1)
    photo = page.locator(".photos img").first
    expect(photo).to_be_visible()
    served = page.request.get(photo.get_attribute("src") or "")
    assert served.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(served.body()))
    assert not stored.getexif().get_ifd(0x8825)
    assert b"KameraUji" not in served.body()
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / "38-pengaduan-halaman.png", full_page=True)
    number = page.url.rsplit("/", 1)[1]

    # The complaint desk routes it: the system suggests DSDABM from the text; one tap accepts.
    desk = second_phone
    _login(desk, "pengaduan@example.org", "petugas-demo")
    desk.goto(f"{REGION}/petugas/pengaduan/{number}")
    suggestion = desk.locator("#saran")
    expect(suggestion).to_contain_text("Dinas Sumber Daya Air dan Bina Marga")
    expect(suggestion).to_contain_text("keyakinan")
    assert serious_violations(desk) == []
    desk.screenshot(path=screenshots / "43-pengaduan-saran-disposisi.png", full_page=True)
    desk.get_by_role("button", name="Terima saran").click()
    expect(desk.locator(".status").first).to_have_text("Diteruskan ke instansi")

    # Three working days pass without a first answer (the deadline is moved back to say so),
    # and the escalation job tells the agency's head and the desk.
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE complaint SET first_response_due = current_date - 2 "
                    "WHERE number = :number"
                ),
                {"number": number},
            )
    finally:
        engine.dispose()
    assert "dieskalasi" in _escalate(browser_database_url, browser_data_dir)

    head = officer
    _login(head, "kepala.dsdabm@example.org", "petugas-demo")
    head.goto(f"{REGION}/notifikasi")
    expect(head.get_by_role("main")).to_contain_text(f"Pengaduan {number}")
    expect(head.get_by_role("main")).to_contain_text("melewati batas")
    head.goto(f"{REGION}/petugas/pengaduan?q={number}")
    row = head.locator("tr", has_text=number)
    expect(row).to_contain_text("Terlambat")
    expect(row).to_contain_text("Dieskalasi ke pimpinan")
    head.goto(f"{REGION}/petugas/pengaduan/{number}")
    head.get_by_label("Tanggapan (tampil kepada pelapor dan publik)").fill(
        "Lubang sudah ditambal tim DSDABM pada pagi ini; terima kasih atas laporannya."
    )
    head.get_by_role("button", name="Tanggapan akhir (selesai)").click()
    expect(head.locator(".status").first).to_have_text("Selesai")
    head.screenshot(path=screenshots / "44-pengaduan-petugas.png", full_page=True)

    # The citizen sees the answer and every public step, and rates it.
    page.goto(f"{REGION}/pengaduan/{number}")
    expect(page.locator("#status")).to_have_text("Selesai")
    history = page.get_by_role("main")
    for step in ("Diteruskan ke instansi", "Melewati batas waktu", "Tanggapan akhir"):
        expect(history).to_contain_text(step)
    expect(history).to_contain_text("Lubang sudah ditambal tim DSDABM")
    page.get_by_label("5 bintang").check()
    page.get_by_role("button", name="Kirim nilai").click()
    expect(page.get_by_role("main")).to_contain_text("Pelapor menilai tanggapan")
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / "45-pengaduan-dinilai.png", full_page=True)

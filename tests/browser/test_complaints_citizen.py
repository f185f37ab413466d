"""On a phone, the demo citizen files a complaint with a photo and a point tapped on the map;
the public page shows the photo (its GPS gone) and the point."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.catalogue.service import get_agency
from simpul.complaints import service as complaints
from simpul.complaints.models import DeadlineClass
from simpul.core.database import sqlalchemy_url
from simpul.core.errors import NotFound
from simpul.core.regions import get_region_by_slug
from tests.browser.test_accessibility import serious_violations

REGION = "/kota-bandung"


@pytest.fixture(scope="module")
def pothole_category(browser_database_url: str) -> str:
    """The demo's ``jalan-rusak`` category (made by the demo seed; made here when the seed
    does not have it yet)."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine) as session:
            region = get_region_by_slug(session, "kota-bandung")
            assert region is not None
            try:
                complaints.category_by_code(session, region, "jalan-rusak")
            except NotFound:
                complaints.create_category(
                    session,
                    region,
                    code="jalan-rusak",
                    name="Jalan rusak / berlubang",
                    name_en="Damaged road / pothole",
                    group_name="Infrastruktur",
                    deadline_class=DeadlineClass.FIELD_CHECK,
                    default_agency_id=get_agency(session, region, "dsdabm").id,
                )
                session.commit()
    finally:
        engine.dispose()
    return "jalan-rusak"


def photo_with_gps(path: Path) -> Path:
    image = Image.new("RGB", (640, 480), (90, 90, 90))
    exif = Image.Exif()
    exif[0x010F] = "KameraUji"
    exif[0x8825] = {1: "S", 2: (6.0, 55.0, 3.0), 3: "E", 4: (107.0, 36.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def test_citizen_files_with_photo_and_map_point(
    phone: Page, screenshots: Path, tmp_path: Path, pothole_category: str
) -> None:
    page = phone
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill("warga@example.org")
    page.get_by_label("Kata sandi").fill("warga-demo")
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r".*/permohonan$"))

    page.goto(f"{REGION}/pengaduan/baru")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajukan pengaduan")
    # The map is drawn from the tile server; tapping it places the point.
    expect(page.locator(".peta .leaflet-tile-loaded").first).to_be_visible()
    page.get_by_label("Pengaduan", exact=True).check()
    page.get_by_label("Kategori").select_option(pothole_category)
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

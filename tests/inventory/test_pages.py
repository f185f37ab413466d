"""Inventory pages: staff filter the region's apps, read one, follow the roadmap; only the
region admin sets yearly targets, and no region sees another's apps."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.models import AuditEvent, Region
from simpul.inventory import pages, repository
from simpul.inventory.roadmap import current_year
from simpul.inventory.service import import_apps
from tests.factories import add_agency, make_region, make_user, post_form, service_seed

ROW = {
    "kode": "",
    "nama": "",
    "opd": "dinas-uji",
    "tujuan": "Aplikasi untuk pengujian.",
    "pengguna": "Warga",
    "url": "",
    "hosting": "Pusat data daerah",
    "status": "Beroperasi",
    "area_spbe": "layanan_publik",
    "klasifikasi_data": "Terbuka",
    "status_integrasi": "",
    "tahun_rencana": "",
    "tanggal_integrasi": "",
}


def row(code: str, name: str, **extra: str) -> dict[str, str]:
    return {**ROW, "kode": code, "nama": name, **extra}


@dataclass
class Regions:
    home: Region
    other: Region


@pytest.fixture
def app_client(client: TestClient) -> TestClient:
    """The app with the inventory pages (included here until web/app.py includes them)."""
    paths = {getattr(route, "path", "") for route in client.app.routes}  # type: ignore[attr-defined]
    if "/{region}/aplikasi" not in paths:
        client.app.include_router(pages.router)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def regions(session: Session) -> Regions:
    home = make_region(session, "kota-a", "Kota A")
    add_agency(
        session, home, "dinas-dua", "Dinas Dua", [service_seed("dua-layanan", "Layanan Dua")]
    )
    this_year = current_year(home)
    import_apps(
        session,
        home,
        [
            row(
                "siap-uji",
                "SIAP Uji",
                status_integrasi="Terintegrasi",
                tanggal_integrasi="2023-05-02",
            ),
            row(
                "e-retribusi-pasar",
                "e-Retribusi Pasar",
                status="Dalam pengembangan",
                status_integrasi="Direncanakan",
                tahun_rencana=str(this_year + 1),
            ),
            row(
                "simpeg-lama",
                "SIMPEG Lama",
                status="Tidak beroperasi",
                opd="dinas-dua",
                pengguna="Pegawai",
                area_spbe="kepegawaian",
            ),
            row(
                "lapor-uji",
                "LAPOR! Uji",
                opd="dinas-dua",
                status_integrasi="Terintegrasi",
                tanggal_integrasi=f"{this_year}-02-01",
            ),
        ],
        all_or_nothing=True,
    )
    other = make_region(session, "kab-b", "Kabupaten B")
    import_apps(session, other, [row("rahasia-b", "Aplikasi Kabupaten B")], all_or_nothing=True)
    make_user(session, home, "admin@example.org", "sandi-admin-12", AccountKind.REGION_ADMIN)
    make_user(
        session,
        home,
        "petugas@example.org",
        "sandi-petugas-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    make_user(session, home, "warga@example.org", "sandi-warga-12")
    return Regions(home, other)


def log_in(client: TestClient, email: str, password: str) -> None:
    response = post_form(client, "/kota-a/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def names_listed(html: str) -> set[str]:
    """The apps in the result table (not other links on the page)."""
    return set(
        re.findall(r'<td data-label="Aplikasi"><a href="/kota-a/aplikasi/[^"]+">([^<]+)</a>', html)
    )


def test_inventory_lists_the_regions_apps_with_counts_and_filters(
    app_client: TestClient, regions: Regions
) -> None:
    log_in(app_client, "petugas@example.org", "sandi-petugas-1")
    page = app_client.get("/kota-a/aplikasi")
    assert page.status_code == 200
    assert names_listed(page.text) == {"SIAP Uji", "e-Retribusi Pasar", "SIMPEG Lama", "LAPOR! Uji"}
    assert "Aplikasi Kabupaten B" not in page.text
    assert re.search(r"Dalam pengembangan</span> 1", page.text)
    assert re.search(r"Beroperasi</span> 2", page.text)

    by_status = app_client.get("/kota-a/aplikasi", params={"status": "retired"})
    assert names_listed(by_status.text) == {"SIMPEG Lama"}
    by_owner = app_client.get("/kota-a/aplikasi", params={"opd": "dinas-dua"})
    assert names_listed(by_owner.text) == {"SIMPEG Lama", "LAPOR! Uji"}
    by_text = app_client.get("/kota-a/aplikasi", params={"q": "retribusi"})
    assert names_listed(by_text.text) == {"e-Retribusi Pasar"}
    by_area = app_client.get("/kota-a/aplikasi", params={"area": "kepegawaian", "opd": "dinas-uji"})
    assert names_listed(by_area.text) == set()
    assert "Tidak ada aplikasi yang cocok" in by_area.text


def test_app_page_shows_its_facts_and_other_regions_apps_are_not_found(
    app_client: TestClient, regions: Regions
) -> None:
    log_in(app_client, "petugas@example.org", "sandi-petugas-1")
    page = app_client.get("/kota-a/aplikasi/simpeg-lama")
    assert page.status_code == 200
    assert "SIMPEG Lama" in page.text and "Tidak beroperasi" in page.text
    assert "Kepegawaian" in page.text and "Dinas Dua" in page.text
    assert app_client.get("/kota-a/aplikasi/rahasia-b").status_code == 404


def test_roadmap_shows_planned_and_integrated_per_year_as_table_and_chart(
    app_client: TestClient, regions: Regions
) -> None:
    this_year = current_year(regions.home)
    log_in(app_client, "petugas@example.org", "sandi-petugas-1")
    page = app_client.get("/kota-a/aplikasi/peta-jalan")
    assert page.status_code == 200
    table = {
        int(year): (target, planned, integrated)
        for year, target, planned, integrated in re.findall(
            r'<tr id="tahun-(\d+)">.*?<td>(\d+).*?</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>',
            page.text,
            re.S,
        )
    }
    assert list(table) == list(range(2023, this_year + 4))
    assert table[2023] == ("10", "0", "1")
    assert table[this_year] == ("10", "0", "1")
    assert table[this_year + 1] == ("10", "1", "0")
    assert '<svg viewBox="0 0 ' in page.text and 'role="img"' in page.text
    assert '<title id="grafik-judul">' in page.text
    assert page.text.count('class="bar-integrated"') == 2
    assert page.text.count('class="bar-planned"') == 1
    assert page.text.count('class="target-line"') == len(table)
    assert "Atur target tahunan" not in page.text  # an officer only reads


def test_region_admin_sets_a_target_and_it_is_audited(
    app_client: TestClient, regions: Regions, session: Session
) -> None:
    year = current_year(regions.home) + 1
    log_in(app_client, "admin@example.org", "sandi-admin-12")
    response = post_form(
        app_client,
        "/kota-a/aplikasi/peta-jalan/target",
        {"tahun": str(year), "target": "12"},
        page="/kota-a/aplikasi/peta-jalan",
    )
    assert response.status_code == 303
    page = app_client.get(response.headers["location"])
    assert f"Target tahun {year} disimpan." in page.text
    assert re.search(rf'<tr id="tahun-{year}">.*?<td>12</td>', page.text, re.S)
    target = repository.get_roadmap_target(session, regions.home.id, year)
    assert target is not None and target.target == 12
    assert repository.get_roadmap_target(session, regions.other.id, year) is None
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "roadmap.target_set")
    ).one()
    assert event.region_id == regions.home.id and event.details["to"] == 12


def test_a_target_out_of_range_is_refused_in_indonesian(
    app_client: TestClient, regions: Regions, session: Session
) -> None:
    log_in(app_client, "admin@example.org", "sandi-admin-12")
    year = current_year(regions.home)
    for bad in ("501", "-1", "sepuluh"):
        response = post_form(
            app_client,
            "/kota-a/aplikasi/peta-jalan/target",
            {"tahun": str(year), "target": bad},
            page="/kota-a/aplikasi/peta-jalan",
        )
        assert response.status_code == 422
        assert "Target harus bilangan bulat antara 0 dan 500." in response.text
        assert 'aria-invalid="true"' in response.text
    assert repository.get_roadmap_target(session, regions.home.id, year) is None


def test_an_officer_cannot_set_targets(app_client: TestClient, regions: Regions) -> None:
    log_in(app_client, "petugas@example.org", "sandi-petugas-1")
    response = post_form(
        app_client,
        "/kota-a/aplikasi/peta-jalan/target",
        {"tahun": "2027", "target": "5"},
        page="/kota-a/aplikasi/peta-jalan",
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path", ["/kota-a/aplikasi", "/kota-a/aplikasi/siap-uji", "/kota-a/aplikasi/peta-jalan"]
)
def test_citizens_may_not_see_the_inventory(
    app_client: TestClient, regions: Regions, path: str
) -> None:
    log_in(app_client, "warga@example.org", "sandi-warga-12")
    assert app_client.get(path).status_code == 403


def test_admin_home_links_to_the_inventory(client: TestClient, session: Session) -> None:
    region = make_region(session, "kota-tautan", "Kota Tautan")
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    assert (
        post_form(
            client,
            "/kota-tautan/masuk",
            {"email": "admin@example.org", "password": "sandi-admin-1"},
        ).status_code
        == 303
    )
    home = client.get("/kota-tautan/admin").text
    for link in (
        "/kota-tautan/aplikasi",
        "/kota-tautan/admin/aplikasi/impor",
        "/kota-tautan/aplikasi/peta-jalan",
    ):
        assert f'href="{link}"' in home

"""The app inventory's rules: every bad row named with its line, nothing half-imported."""

from __future__ import annotations

from sqlalchemy.orm import Session

from simpul.inventory import repository
from simpul.inventory.service import import_apps
from tests.factories import make_region

GOOD = {
    "kode": "siap-uji",
    "nama": "SIAP Uji",
    "opd": "dinas-uji",
    "tujuan": "Pelayanan perizinan uji secara daring.",
    "pengguna": "Warga",
    "url": "https://siap.kota-uji.go.id",
    "hosting": "Pusat data daerah",
    "status": "Beroperasi",
    "area_spbe": "layanan_publik",
    "klasifikasi_data": "Memuat data pribadi",
    "status_integrasi": "Direncanakan",
    "tahun_rencana": "2027",
    "tanggal_integrasi": "",
}


def test_rows_are_checked_and_all_or_nothing_writes_nothing(session: Session) -> None:
    region = make_region(session, "kota-uji", "Kota Uji")
    bad = {
        **GOOD,
        "kode": "rusak",
        "opd": "dinas-hilang",
        "status": "entahlah",
        "tahun_rencana": "",
    }
    report = import_apps(session, region, [GOOD, bad], all_or_nothing=True)
    assert report.refused and report.created == 0
    assert {(p.line, p.column) for p in report.problems} == {
        (3, "opd"),
        (3, "status"),
        (3, "tahun_rencana"),
    }
    assert "dinas-hilang" in next(p.message for p in report.problems if p.column == "opd")
    assert repository.list_all_apps(session, region.id) == []


def test_good_rows_kept_when_asked_and_reimport_updates(session: Session) -> None:
    region = make_region(session, "kota-uji", "Kota Uji")
    duplicate = {**GOOD, "nama": "Dobel"}
    report = import_apps(session, region, [GOOD, duplicate], all_or_nothing=False)
    assert report.created == 1 and [p.line for p in report.problems] == [3]
    again = import_apps(
        session,
        region,
        [{**GOOD, "status_integrasi": "terintegrasi", "tanggal_integrasi": "2026-03-01"}],
        all_or_nothing=True,
    )
    assert again.updated == 1 and again.created == 0
    app = repository.get_app_by_code(session, region.id, "siap-uji")
    assert app is not None and app.integration_state.value == "integrated"
    assert app.planned_year is None and str(app.integrated_on) == "2026-03-01"


def test_one_regions_inventory_is_its_own(session: Session) -> None:
    bandung = make_region(session, "kota-a", "Kota A")
    semarang = make_region(session, "kab-b", "Kabupaten B")
    import_apps(session, bandung, [GOOD], all_or_nothing=True)
    refused = import_apps(session, semarang, [GOOD], all_or_nothing=True)
    assert not refused.refused  # kab-b has its own dinas-uji; same code is fine there
    assert len(repository.list_all_apps(session, bandung.id)) == 1
    assert len(repository.list_all_apps(session, semarang.id)) == 1

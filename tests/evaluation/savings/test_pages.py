"""The region admin's savings dashboard, its export and the unit-cost form."""

from __future__ import annotations

import csv
import datetime as dt
import io
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.core.models import AuditEvent
from simpul.evaluation.savings import ledger, repository
from tests.evaluation.savings.conftest import ADMIN, World, add_entry, completed_application
from tests.factories import csrf_from, make_user

DASHBOARD = "/kota-uji/admin/penghematan"
RATES = "/kota-uji/admin/penghematan/tarif"
PERIOD = "dari=2026-01-01&sampai=2026-03-31"
GOOD = {"kertas": "200", "cetak": "1.000", "kurir": "30000", "perjalanan": "150000"}


@pytest.fixture
def web(client: TestClient) -> TestClient:
    return client


@pytest.fixture
def data(session: Session, world: World) -> World:
    add_entry(
        session,
        world.ktp,
        world.citizen,
        datetime(2026, 1, 15, 3, 0, tzinfo=UTC),
        sheets=2,
        printed_copies=1,
        courier_trips=1,
        citizen_trips=2,
        rupiah=(300, 500, 25_000, 250_000),
    )
    add_entry(
        session,
        world.izin,
        world.citizen,
        datetime(2026, 2, 10, 3, 0, tzinfo=UTC),
        sheets=6,
        printed_copies=1,
        courier_trips=1,
        citizen_trips=2,
        rupiah=(900, 500, 25_000, 250_000),
    )
    add_entry(
        session,
        world.foreign,
        world.foreign_citizen,
        datetime(2026, 2, 10, 3, 0, tzinfo=UTC),
        sheets=1234,
        rupiah=(9_000_000, 0, 0, 0),
    )
    session.commit()
    return world


def log_in(client: TestClient, session: Session, world: World, kind: AccountKind) -> None:
    if kind is AccountKind.REGION_ADMIN:
        email, password, _kind = ADMIN
        make_user(session, world.region, *ADMIN)
    else:
        email, password = "warga@example.org", "sandi-rahasia-1"  # the world's citizen
    session.commit()
    token = csrf_from(client.get("/kota-uji/masuk").text)
    response = client.post(
        "/kota-uji/masuk",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_admin_sees_totals_chart_and_tables_of_their_region_only(
    web: TestClient, session: Session, data: World
) -> None:
    log_in(web, session, data, AccountKind.REGION_ADMIN)
    page = web.get(f"{DASHBOARD}?{PERIOD}")
    assert page.status_code == 200, page.text
    summary = page.text.split('id="ringkasan"')[1].split("</ul>")[0]
    assert "Rp552.200" in summary  # 275.800 + 276.400
    assert (
        '<span class="number">8</span> lembar kertas (<span class="num">Rp1.200</span>)' in summary
    )
    rupiah = '(<span class="num">Rp500.000</span>)'
    assert f'<span class="number">4</span> perjalanan warga ke kantor {rupiah}' in summary
    assert "1.234" not in page.text and "9.000.000" not in page.text
    assert page.text.count('class="bar-savings"') == 2  # January and February, not March
    per_agency = page.text.split('id="per-opd"')[1].split("</table>")[0]
    assert "Dinas Perizinan" in per_agency and "Rp276.400" in per_agency
    per_service = page.text.split('id="per-layanan"')[1].split("</table>")[0]
    assert "KTP Uji" in per_service and "Rp275.800" in per_service
    per_month = page.text.split('id="per-bulan"')[1].split("</table>")[0]
    assert per_month.count("<tr>") == 4  # header + Jan, Feb, Mar
    assert "ekspor.xlsx?" + PERIOD.replace("&", "&amp;") in page.text

    bad = web.get(f"{DASHBOARD}?dari=kemarin")
    assert bad.status_code == 422
    assert 'id="e-dari"' in bad.text and "TTTT-BB-HH" in bad.text


def test_admin_downloads_csv_and_xlsx(web: TestClient, session: Session, data: World) -> None:
    log_in(web, session, data, AccountKind.REGION_ADMIN)
    csv_file = web.get(f"{DASHBOARD}/ekspor.csv?{PERIOD}")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-disposition"] == (
        'attachment; filename="penghematan-kota-uji-2026-01-01-2026-03-31.csv"'
    )
    assert csv_file.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    reader = csv.DictReader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";")
    rows = list(reader)
    assert (reader.fieldnames or [])[:3] == ["Bulan", "Perangkat daerah", "Layanan"]
    assert [(r["Bulan"], r["Layanan"], r["Rupiah total"]) for r in rows] == [
        ("2026-01", "KTP Uji", "275800"),
        ("2026-02", "Izin Usaha", "276400"),
    ]
    xlsx_file = web.get(f"{DASHBOARD}/ekspor.xlsx?{PERIOD}")
    assert xlsx_file.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_file.content)).worksheets[0]
    assert sheet.title == "penghematan"
    values = [c.value for c in sheet[3]]
    assert values[1:3] == ["Dinas Perizinan", "Izin Usaha"]
    assert sheet.cell(3, 1).is_date and values[0].date() == dt.date(2026, 2, 1)
    assert values[-1] == 276400 and sheet.cell(3, 13).number_format == '"Rp"#,##0'
    assert sheet.max_row == 3
    assert web.get(f"{DASHBOARD}/ekspor.csv?sampai=x").status_code == 422


def test_admin_sets_rates_and_it_is_audited(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, session, world, AccountKind.REGION_ADMIN)
    form = web.get(RATES)
    assert form.status_code == 200
    assert 'name="kertas"' in form.text and 'value="150"' in form.text  # the default in force
    token = csrf_from(form.text)
    saved = web.post(
        RATES,
        data={**GOOD, "sumber": "Survei ATK 2026", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{RATES}?pesan=disimpan"
    session.expire_all()
    rate = repository.get_rate(session, world.region.id)
    assert rate is not None
    assert (rate.sheet_rupiah, rate.printed_copy_rupiah, rate.courier_trip_rupiah) == (
        200,
        1000,
        30000,
    )
    assert (rate.citizen_trip_rupiah, rate.source) == (150000, "Survei ATK 2026")
    assert repository.get_rate(session, world.other.id) is None
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "savings.rates_set")
    ).one()
    assert event.region_id == world.region.id and event.actor_label == "admin@example.org"
    assert event.details["after"]["sheet_rupiah"] == 200
    again = web.get(f"{RATES}?pesan=disimpan")
    assert "Biaya satuan disimpan." in again.text and 'value="30000"' in again.text


def test_an_invalid_rate_shows_its_field_error_and_saves_nothing(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, session, world, AccountKind.REGION_ADMIN)
    token = csrf_from(web.get(RATES).text)
    refused = web.post(RATES, data={**GOOD, "kurir": "-1", "csrf_token": token})
    assert refused.status_code == 422
    assert 'id="e-kurir"' in refused.text
    assert "Biaya per perjalanan kurir harus bilangan bulat rupiah" in refused.text
    assert 'value="-1"' in refused.text  # what the admin typed stays
    assert 'id="e-kertas"' not in refused.text
    session.expire_all()
    assert repository.get_rate(session, world.region.id) is None


def test_a_post_without_csrf_token_is_refused(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, session, world, AccountKind.REGION_ADMIN)
    assert web.post(RATES, data=GOOD).status_code == 403
    session.expire_all()
    assert repository.get_rate(session, world.region.id) is None


def test_citizens_are_refused_and_visitors_sent_to_log_in(
    web: TestClient, session: Session, data: World
) -> None:
    for path in (DASHBOARD, f"{DASHBOARD}/ekspor.csv", f"{DASHBOARD}/ekspor.xlsx", RATES):
        visitor = web.get(path, follow_redirects=False)
        assert visitor.status_code in (303, 401), (path, visitor.status_code)
        assert "Rp552.200" not in visitor.text
    log_in(web, session, data, AccountKind.CITIZEN)
    for path in (
        DASHBOARD,
        f"{DASHBOARD}/ekspor.csv",
        f"{DASHBOARD}/ekspor.xlsx",
        RATES,
        f"{DASHBOARD}/layanan",
        f"{DASHBOARD}/layanan/ktp-uji",
    ):
        assert web.get(path).status_code == 403, path
    token = csrf_from(web.get("/kota-uji/masuk").text)
    assert web.post(RATES, data={**GOOD, "csrf_token": token}).status_code == 403
    session.expire_all()
    assert repository.get_rate(session, data.region.id) is None


def test_admin_sets_a_service_offline_path_used_by_later_completions(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, session, world, AccountKind.REGION_ADMIN)
    listing = web.get(f"{DASHBOARD}/layanan")
    assert listing.status_code == 200
    izin_row = listing.text.split('id="layanan-izin-usaha"')[1].split("</tr>")[0]
    # Derived: 3 required documents + 3 form pages, 1 copy, 1 courier, 2 trips.
    assert "<td>6</td><td>1</td><td>1</td><td>2</td>" in izin_row and "asumsi bawaan" in izin_row
    path = f"{DASHBOARD}/layanan/izin-usaha"
    token = csrf_from(web.get(path).text)
    values = {"lembar": "10", "salinan": "2", "kurir": "0", "perjalanan": "3"}
    refused = web.post(path, data={**values, "salinan": "dua", "csrf_token": token})
    assert refused.status_code == 422
    assert 'id="e-salinan"' in refused.text and "Jumlah salinan cetak harus bilangan bulat" in (
        refused.text
    )
    session.expire_all()
    assert repository.get_profile(session, world.region.id, world.izin.id) is None

    saved = web.post(
        path,
        data={**values, "catatan": "Survei loket", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    listing = web.get(saved.headers["location"])
    izin_row = listing.text.split('id="layanan-izin-usaha"')[1].split("</tr>")[0]
    assert "<td>10</td><td>2</td><td>0</td><td>3</td>" in izin_row and "diatur wilayah" in izin_row
    session.expire_all()
    application = completed_application(
        session, world.izin, world.citizen, datetime(2026, 3, 1, tzinfo=UTC)
    )
    entry = ledger.record_completion(session, application)
    assert entry is not None
    assert entry.total_rupiah == 10 * 150 + 2 * 500 + 0 + 3 * 125_000
    assert session.scalars(
        select(AuditEvent).where(AuditEvent.action == "savings.profile_set")
    ).one().target_id == str(world.izin.id)


def test_another_regions_service_is_not_found(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, session, world, AccountKind.REGION_ADMIN)
    assert web.get(f"{DASHBOARD}/layanan/kab-lain-layanan").status_code == 404
    assert "kab-lain-layanan" not in web.get(f"{DASHBOARD}/layanan").text

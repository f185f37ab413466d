"""The KPI dashboard and its export: who sees what, bad periods, and the files."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.models import Region
from tests.evaluation.kpis.conftest import ADMIN, PERIOD, World
from tests.factories import csrf_from, make_user

DASHBOARD = "/kota-uji/admin/kinerja"
PASSWORD = "sandi-rahasia-1"


def log_in(client: TestClient, region: Region, email: str) -> None:
    token = csrf_from(client.get(f"/{region.slug}/masuk").text)
    response = client.post(
        f"/{region.slug}/masuk",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def as_admin(client: TestClient, session: Session, region: Region) -> None:
    make_user(session, region, *ADMIN)
    session.commit()
    log_in(client, region, ADMIN[0])


def section(html: str, element_id: str, end: str = "</table>") -> str:
    return html.split(f'id="{element_id}"')[1].split(end, maxsplit=1)[0]


def test_admin_sees_totals_charts_and_tables(
    client: TestClient, session: Session, data: World
) -> None:
    as_admin(client, session, data.region)
    page = client.get(f"{DASHBOARD}?{PERIOD}")
    assert page.status_code == 200, page.text
    summary = section(page.text, "ringkasan", "</ul>")
    assert '<span class="number">8</span> permohonan diterima' in summary
    assert 'selesai (<span class="num">4</span> dikabulkan, <span class="num">1</span>' in summary
    assert '<span class="number">3,0</span> hari kerja (median)' in summary
    assert '<span class="number">5,8</span>' in summary
    assert '<span class="number">60,0%</span> selesai tepat waktu' in summary
    assert '<span class="number">75,0%</span> selesai daring' in summary
    assert 'masih diproses pada akhir periode, <span class="num">1</span> terlambat' in summary
    per_agency = section(page.text, "per-opd")
    assert "Dinas Perizinan" in per_agency and "Dinas Uji Kota Uji" in per_agency
    assert '<td><span class="num">3,7</span></td>' in per_agency  # Dinas Uji's 90th percentile
    per_service = section(page.text, "per-layanan")
    assert "Izin Usaha" in per_service and '<td><span class="num">100,0%</span></td>' in per_service
    assert page.text.count('class="bar-sla"') == 1  # Dinas Perizinan's 0% draws no bar
    assert page.text.count('class="bar-received"') == 1
    assert "Kabupaten Lain" not in page.text
    definitions = section(page.text, "definisi", "</dl>")
    assert "dokumen elektronik bertanda tangan" in definitions
    assert "kinerja.xlsx?" + PERIOD.replace("&", "&amp;") in page.text


def test_another_regions_admin_sees_only_their_own_numbers(
    client: TestClient, session: Session, data: World
) -> None:
    as_admin(client, session, data.other)
    page = client.get(f"/kab-lain/admin/kinerja?{PERIOD}")
    assert page.status_code == 200
    assert '<span class="number">1</span> permohonan diterima' in page.text
    assert "KTP Uji" not in page.text and "Dinas Perizinan" not in page.text
    # Their session is not valid in Kota Uji: they are sent to log in there.
    elsewhere = client.get(f"{DASHBOARD}?{PERIOD}", follow_redirects=False)
    assert elsewhere.status_code == 303
    assert elsewhere.headers["location"].startswith("/kota-uji/masuk")


def test_agency_admin_sees_their_agency_only_and_other_staff_are_refused(
    client: TestClient, session: Session, data: World
) -> None:
    make_user(
        session,
        data.region,
        "opd@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-izin", StaffRoleName.ADMIN_OPD), ("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    make_user(
        session,
        data.region,
        "verif@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    session.commit()
    log_in(client, data.region, "opd@example.org")
    page = client.get(f"{DASHBOARD}?{PERIOD}")
    assert page.status_code == 200
    assert "Dinas Perizinan" in page.text and "KTP Uji" not in page.text
    assert '<span class="number">3</span> permohonan diterima' in page.text
    export = client.get(f"{DASHBOARD}.csv?{PERIOD}").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(export), delimiter=";"))
    assert {r["Perangkat daerah"] for r in rows} == {"", "Dinas Perizinan"}

    client.cookies.clear()
    log_in(client, data.region, "verif@example.org")
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(f"{DASHBOARD}.csv").status_code == 403

    client.cookies.clear()
    log_in(client, data.region, "warga@example.org")
    assert client.get(DASHBOARD).status_code == 403


def test_a_bad_period_is_refused_with_the_field_named(
    client: TestClient, session: Session, data: World
) -> None:
    as_admin(client, session, data.region)
    bad = client.get(f"{DASHBOARD}?dari=kemarin&sampai=2026-02-28")
    assert bad.status_code == 422
    assert 'id="e-dari"' in bad.text and "TTTT-BB-HH" in bad.text
    backwards = client.get(f"{DASHBOARD}?dari=2026-03-01&sampai=2026-02-01")
    assert backwards.status_code == 422 and 'id="e-sampai"' in backwards.text
    export = client.get(f"{DASHBOARD}.csv?sampai=x")
    assert export.status_code == 422
    assert "attachment" not in export.headers.get("content-disposition", "")


def test_admin_downloads_csv_and_xlsx(client: TestClient, session: Session, data: World) -> None:
    as_admin(client, session, data.region)
    csv_file = client.get(f"{DASHBOARD}.csv?{PERIOD}")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-disposition"] == (
        'attachment; filename="kinerja-kota-uji-2026-02-01-2026-02-28.csv"'
    )
    # Indonesian Excel's form by default: semicolons, decimal commas, the page's words.
    reader = csv.DictReader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";")
    rows = list(reader)
    header = ["Tingkat", "Perangkat daerah", "Layanan", "Dari tanggal", "Sampai tanggal"]
    assert (reader.fieldnames or [])[:5] == header
    ktp = next(r for r in rows if r["Layanan"] == "KTP Uji")
    assert ktp["Tingkat"] == "Layanan" and ktp["Dari tanggal"] == "2026-02-01"
    assert (ktp["Diterima"], ktp["Selesai"], ktp["Ditolak"]) == ("5", "4", "1")
    assert (ktp["Median (hari kerja)"], ktp["Persentil ke-90 (hari kerja)"]) == ("3,0", "3,7")
    assert ktp["Persen daring"] == "66,7%"
    # The comma form on request, with decimal points.
    comma = client.get(f"{DASHBOARD}.csv?{PERIOD}&pemisah=koma").content.decode("utf-8-sig")
    ktp = next(r for r in csv.DictReader(io.StringIO(comma)) if r["Layanan"] == "KTP Uji")
    assert ktp["Persen daring"] == "66.7%" and ktp["Median (hari kerja)"] == "3.0"
    assert client.get(f"{DASHBOARD}.csv?{PERIOD}&pemisah=tab").status_code == 422

    xlsx_file = client.get(f"{DASHBOARD}.xlsx?{PERIOD}")
    assert xlsx_file.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_file.content)).worksheets[0]
    assert sheet.title == "kinerja"
    assert [c.value for c in sheet[1]][:3] == ["Tingkat", "Perangkat daerah", "Layanan"]
    assert sheet.max_row == 6  # header, region, two agencies, two services

"""Importing the inventory as the Diskominfo team does: `simpul apps` and the admin's pages."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.models import Region
from simpul.inventory import import_pages as inventory_pages
from simpul.inventory import repository
from simpul.inventory.service import COLUMNS
from simpul.inventory.spreadsheet import read_spreadsheet, write_csv, write_xlsx
from tests.factories import csrf_from, make_region, make_user

GOOD = {
    "kode": "siap-uji",
    "nama": "SIAP Uji",
    "opd": "dinas-uji",
    "tujuan": "Perizinan daring.",
    "pengguna": "citizens",
    "url": "https://siap.kota-uji.go.id",
    "hosting": "regional_data_centre",
    "status": "operating",
    "area_spbe": "layanan_publik",
    "klasifikasi_data": "personal",
    "status_integrasi": "not_planned",
    "tahun_rencana": "",
    "tanggal_integrasi": "",
}
OTHER = {**GOOD, "kode": "simpeg-uji", "nama": "Simpeg Uji", "pengguna": "Pegawai"}
BAD = {**GOOD, "kode": "rusak", "opd": "dinas-hilang"}  # the third line of the file


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    session.commit()
    return region


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]) -> Any:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def codes(session: Session, region: Region) -> list[str]:
    return [app.code for app in repository.list_all_apps(session, region.id)]


def test_cli_all_or_nothing_refuses_a_file_with_a_bad_row(
    run: Any, session: Session, region: Region, tmp_path: Path
) -> None:
    path = tmp_path / "inventaris.csv"
    path.write_bytes(write_csv([GOOD, BAD, OTHER]))
    result = run("apps", "import", str(path), "--region", "kota-uji")
    assert result.exit_code == 1
    assert "Tidak ada yang diimpor" in result.output
    assert "baris 3, kolom opd: OPD 'dinas-hilang' tidak ada di wilayah ini." in result.output
    assert codes(session, region) == []


def test_cli_keep_good_rows_then_reimport_updates_by_code(
    run: Any, session: Session, region: Region, tmp_path: Path
) -> None:
    path = tmp_path / "inventaris.xlsx"
    path.write_bytes(write_xlsx([GOOD, BAD, OTHER]))
    kept = run("apps", "import", str(path), "--region", "kota-uji", "--keep-good-rows")
    assert kept.exit_code == 1  # a bad row is still a failure to report
    assert "2 aplikasi ditambahkan, 0 diperbarui." in kept.output
    assert "baris 3, kolom opd" in kept.output
    assert codes(session, region) == ["siap-uji", "simpeg-uji"]

    path.write_bytes(write_xlsx([{**GOOD, "nama": "SIAP Uji Baru"}, OTHER]))
    again = run("apps", "import", str(path))  # one region only: --region may be left out
    assert again.exit_code == 0, again.output
    assert "0 aplikasi ditambahkan, 2 diperbarui." in again.output
    assert codes(session, region) == ["siap-uji", "simpeg-uji"]
    app = repository.get_app_by_code(session, region.id, "siap-uji")
    assert app is not None
    session.refresh(app)
    assert app.name == "SIAP Uji Baru"


def test_cli_export_and_template(
    run: Any, session: Session, region: Region, tmp_path: Path
) -> None:
    source = tmp_path / "masuk.csv"
    source.write_bytes(write_csv([GOOD]))
    assert run("apps", "import", str(source)).exit_code == 0
    exported = tmp_path / "keluar.xlsx"
    result = run("apps", "export", str(exported), "--region", "kota-uji")
    assert result.exit_code == 0, result.output
    assert read_spreadsheet(exported.read_bytes())[1] == [GOOD]
    template = tmp_path / "templat.csv"
    assert run("apps", "template", str(template)).exit_code == 0
    header, rows = read_spreadsheet(template.read_bytes())
    assert header == list(COLUMNS) and len(rows) == 2
    wrong = run("apps", "export", str(tmp_path / "keluar.ods"))
    assert wrong.exit_code == 1 and ".xlsx" in wrong.output
    unknown = tmp_path / "aneh.csv"
    unknown.write_bytes(b"kode,nama,warna\n")
    refused = run("apps", "import", str(unknown))
    assert refused.exit_code == 1 and "warna" in refused.output


# -- the region admin's pages ---------------------------------------------------------------

IMPORT = "/kota-uji/admin/aplikasi/impor"


@pytest.fixture
def web(client: TestClient) -> TestClient:
    """The client, with the import pages included if web/app.py does not include them yet."""
    app: Any = client.app
    if not any(
        getattr(r, "path", None) == IMPORT.replace("kota-uji", "{region}") for r in app.routes
    ):
        app.include_router(inventory_pages.router)
    return client


def log_in(client: TestClient, session: Session, region: Region, kind: AccountKind) -> None:
    email = f"{kind.value.replace('_', '.')}@example.org"
    roles = [("dinas-uji", StaffRoleName.VERIFIKATOR)] if kind is AccountKind.STAFF else None
    make_user(session, region, email, "sandi-rahasia-1", kind, roles=roles)
    session.commit()
    token = csrf_from(client.get("/kota-uji/masuk").text)
    response = client.post(
        "/kota-uji/masuk",
        data={"email": email, "password": "sandi-rahasia-1", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def upload(client: TestClient, content: bytes, name: str, *, all_or_nothing: bool) -> Any:
    token = csrf_from(client.get(IMPORT).text)
    data = {"csrf_token": token, **({"semua": "ya"} if all_or_nothing else {})}
    return client.post(IMPORT, data=data, files={"file": (name, content, "text/csv")})


def test_admin_upload_shows_bad_rows_and_stores_nothing(
    web: TestClient, session: Session, region: Region
) -> None:
    log_in(web, session, region, AccountKind.REGION_ADMIN)
    form = web.get(IMPORT)
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    assert 'id="f-semua" name="semua" type="checkbox" value="ya"' in form.text
    assert "checked" in form.text.split('id="f-semua"')[1].split(">")[0]
    # The file's name says .xlsx but it is CSV: the content decides.
    refused = upload(web, write_csv([GOOD, BAD]), "inventaris.xlsx", all_or_nothing=True)
    assert refused.status_code == 422
    assert "Tidak ada yang diimpor" in refused.text
    assert "<td>3</td><td>opd</td><td>OPD &#39;dinas-hilang&#39; tidak ada" in refused.text
    assert codes(session, region) == []

    kept = upload(web, write_csv([GOOD, BAD]), "inventaris.csv", all_or_nothing=False)
    assert kept.status_code == 200
    assert "1 aplikasi ditambahkan, 0 diperbarui." in kept.text
    assert codes(session, region) == ["siap-uji"]

    unknown = upload(web, b"kode,nama,warna\n", "x.csv", all_or_nothing=True)
    assert unknown.status_code == 422 and "warna" in unknown.text and 'role="alert"' in unknown.text


def test_admin_downloads_export_and_template(
    web: TestClient, session: Session, region: Region
) -> None:
    log_in(web, session, region, AccountKind.REGION_ADMIN)
    upload(web, write_csv([GOOD]), "inventaris.csv", all_or_nothing=True)
    csv_file = web.get("/kota-uji/admin/aplikasi/ekspor.csv")
    assert csv_file.status_code == 200
    disposition = csv_file.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="aplikasi-kota-uji-')
    assert disposition.endswith('.csv"')
    assert read_spreadsheet(csv_file.content)[1] == [GOOD]
    xlsx_file = web.get("/kota-uji/admin/aplikasi/ekspor.xlsx")
    assert xlsx_file.headers["content-disposition"].endswith('.xlsx"')
    assert load_workbook(io.BytesIO(xlsx_file.content)).worksheets[0]["A2"].value == "siap-uji"
    for suffix in ("csv", "xlsx"):
        template = web.get(f"/kota-uji/admin/aplikasi/templat.{suffix}")
        assert template.status_code == 200
        assert "templat-aplikasi-kota-uji-" in template.headers["content-disposition"]
        assert len(read_spreadsheet(template.content)[1]) == 2


@pytest.mark.parametrize("kind", [AccountKind.CITIZEN, AccountKind.STAFF])
def test_citizens_and_officers_are_refused(
    web: TestClient, session: Session, region: Region, kind: AccountKind
) -> None:
    log_in(web, session, region, kind)
    for path in (
        IMPORT,
        "/kota-uji/admin/aplikasi/ekspor.csv",
        "/kota-uji/admin/aplikasi/ekspor.xlsx",
        "/kota-uji/admin/aplikasi/templat.csv",
    ):
        assert web.get(path).status_code == 403, path
    token = csrf_from(web.get("/kota-uji/masuk").text)
    posted = web.post(
        IMPORT, data={"csrf_token": token}, files={"file": ("x.csv", write_csv([GOOD]), "text/csv")}
    )
    assert posted.status_code == 403
    assert codes(session, region) == []

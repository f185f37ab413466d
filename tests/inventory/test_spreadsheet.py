"""Reading and writing the inventory spreadsheet: what Excel and LibreOffice really save."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from simpul.core.errors import InvalidInput
from simpul.inventory.service import COLUMNS, RowProblem, export_rows, import_apps
from simpul.inventory.spreadsheet import (
    parse_spreadsheet,
    read_csv,
    read_spreadsheet,
    read_xlsx,
    template_rows,
    write_csv,
    write_xlsx,
)
from tests.factories import add_agency, make_region, service_seed

ROW = {
    "kode": "siap-uji",
    "nama": "SIAP Uji; layanan, perizinan",
    "opd": "dinas-uji",
    "tujuan": "Perizinan daring untuk warga Kota Uji.",
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


def csv_text(delimiter: str) -> str:
    def quote(value: str) -> str:
        return f'"{value}"' if delimiter in value or "," in value else value

    header = delimiter.join(COLUMNS)
    row = delimiter.join(quote(ROW[c]) for c in COLUMNS)
    return f"{header}\r\n{row}\r\n"


@pytest.mark.parametrize(
    ("content", "label"),
    [
        (csv_text(",").encode(), "comma"),
        (csv_text(";").encode(), "semicolon (Excel in Indonesian)"),
        (b"\xef\xbb\xbf" + csv_text(";").encode(), "BOM"),
    ],
)
def test_csv_variants_read_the_same(content: bytes, label: str) -> None:
    header, rows = read_csv(content)
    assert header == list(COLUMNS), label
    assert rows == [ROW], label


def test_header_names_are_forgiving_but_checked() -> None:
    header, rows = read_csv(b"Kode;Nama;OPD;Pengguna;Hosting;Status;Area SPBE;Klasifikasi Data\n")
    assert header[6] == "area_spbe" and rows == []
    with pytest.raises(InvalidInput) as unknown:
        read_csv(csv_text(",").replace("tujuan", "keterangan").encode())
    assert "keterangan" in unknown.value.message
    with pytest.raises(InvalidInput) as missing:
        read_csv(b"kode,nama\nsiap,SIAP\n")
    assert "opd" in missing.value.message and "klasifikasi_data" in missing.value.message
    assert "kode," not in missing.value.message  # only what is missing is named
    with pytest.raises(InvalidInput, match="kosong"):
        read_csv(b"\n\n")


def xlsx_with(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_first_sheet_cells_become_text() -> None:
    values: list[Any] = [ROW[c] for c in COLUMNS]
    values[COLUMNS.index("tahun_rencana")] = 2027  # a number cell
    integrated = [*values]
    integrated[0] = "siap-dua"
    integrated[COLUMNS.index("tahun_rencana")] = None
    integrated[COLUMNS.index("tanggal_integrasi")] = dt.datetime(2026, 3, 1)  # noqa: DTZ001
    content = xlsx_with([[], list(COLUMNS), values, [None] * 3, integrated])
    header, rows = read_spreadsheet(content)  # told by content: it is a ZIP
    assert header == list(COLUMNS)
    assert rows[0] == ROW
    assert rows[1]["tahun_rencana"] == "" and rows[1]["tanggal_integrasi"] == "2026-03-01"
    # Problems are told with the sheet's own row numbers (blank rows 1 and 4 included).
    table = parse_spreadsheet(content)
    assert table.lines == [3, 5]
    problem = RowProblem(line=3, column="opd", message="x")  # import_apps' second row
    assert table.renumber([problem]) == [RowProblem(line=5, column="opd", message="x")]
    with pytest.raises(InvalidInput, match="klasifikasi_data"):
        read_xlsx(xlsx_with([["kode", "nama", "opd"]]))
    with pytest.raises(InvalidInput, match="XLSX"):
        read_spreadsheet(b"PK\x03\x04 not really a zip")


def test_written_xlsx_is_readable_and_safe() -> None:
    formula = {**ROW, "nama": '=HYPERLINK("http://evil")'}
    content = write_xlsx([formula])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet["B2"].data_type == "s"  # stored as text, never run as a formula
    assert read_xlsx(content)[1] == [formula]
    # CSV: Excel would run it; written quoted, read back as it was.
    csv_content = write_csv([formula])
    assert b"'=HYPERLINK" in csv_content and csv_content.startswith(b"\xef\xbb\xbf")
    assert read_csv(csv_content)[1] == [formula]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_export_then_import_gives_the_same_rows(session: Session, writer: Any) -> None:
    region = make_region(session, "kota-uji", "Kota Uji")
    planned = {**ROW, "nama": "SIAP Uji"}
    integrated = {
        **ROW,
        "kode": "simpeg-uji",
        "nama": "Simpeg Uji",
        "pengguna": "staff",
        "status_integrasi": "integrated",
        "tahun_rencana": "",
        "tanggal_integrasi": "2025-03-17",
    }
    assert import_apps(session, region, [planned, integrated], all_or_nothing=True).created == 2
    exported = export_rows(session, region)
    header, rows = read_spreadsheet(writer(exported))
    assert header == list(COLUMNS) and rows == exported
    again = import_apps(session, region, rows, all_or_nothing=True)
    assert (again.created, again.updated, again.problems) == (0, 2, [])
    assert export_rows(session, region) == exported


def test_template_imports_cleanly_in_kota_bandung(session: Session) -> None:
    region = make_region(session, "kota-bandung", "Kota Bandung", agency_slug="disdukcapil")
    add_agency(
        session,
        region,
        "bkpsdm",
        "BKPSDM Kota Bandung",
        [service_seed("layanan-asn", "Layanan ASN")],
    )
    header, rows = template_rows()
    assert header == list(COLUMNS) and len(rows) == 2
    for writer in (write_csv, write_xlsx):
        _header, read = read_spreadsheet(writer(rows))
        report = import_apps(session, region, read, all_or_nothing=True)
        assert report.problems == [], report.problems
    assert [r["kode"] for r in export_rows(session, region)] == ["salaman", "simpeg"]

"""Exports people can use: XLSX cells are numbers and dates with formats, the CSV is what
Excel opens on an Indonesian computer (semicolon, decimal comma, BOM) unless the comma form is
asked for, headers are words in the page's language; percentages have one format."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from simpul.core.errors import InvalidInput
from simpul.core.i18n import current_locale
from simpul.core.kit.exports import COMMA, SEMICOLON, parse_separator
from simpul.core.numbers import format_number, format_percent
from simpul.evaluation.kpis.report import EXPORT_COLUMNS as KPI_COLUMNS
from simpul.web.downloads import ExportColumn, Kind, default_separator, write_csv, write_xlsx

COLUMNS = (
    ExportColumn("layanan", "Layanan"),
    ExportColumn("dari", "Dari tanggal", Kind.DATE),
    ExportColumn("bulan", "Bulan", Kind.MONTH),
    ExportColumn("diterima", "Diterima", Kind.INTEGER),
    ExportColumn("median", "Median (hari kerja)", Kind.DECIMAL),
    ExportColumn("persen", "Persen daring", Kind.PERCENT),
    ExportColumn("rupiah", "Rupiah total", Kind.RUPIAH),
)
ROWS = [
    {
        "layanan": "Akta Kelahiran",
        "dari": dt.date(2026, 2, 1),
        "bulan": dt.date(2026, 2, 1),
        "diterima": 1234,
        "median": 3.25,
        "persen": 0.125,
        "rupiah": 1_500_000,
    },
    {"layanan": "Tanpa angka", "median": None, "persen": None},
]


def test_one_percent_format_per_language() -> None:
    assert format_percent(0.125, "id") == "12,5%"
    assert format_percent(0.125, "en") == "12.5%"
    assert format_percent(1, "id") == "100,0%" and format_percent(0, "en") == "0.0%"
    assert format_percent(None) == "—"
    assert format_number(1234567, locale="id") == "1.234.567"
    assert format_number(1234567, locale="en") == "1,234,567"
    assert format_number(5.75, 1, "id") == "5,8" and format_number(5.75, 1, "en") == "5.8"
    token = current_locale.set("en")
    try:
        assert format_percent(0.5) == "50.0%"
    finally:
        current_locale.reset(token)


def test_xlsx_cells_are_numbers_and_dates_with_their_formats() -> None:
    sheet = load_workbook(io.BytesIO(write_xlsx(ROWS, COLUMNS, title="uji"))).worksheets[0]
    assert [c.value for c in sheet[1]] == [c.label for c in COLUMNS]
    name, start, month, received, median, share, rupiah = sheet[2]
    assert name.data_type == "s" and name.value == "Akta Kelahiran"
    assert start.is_date and start.value.date() == dt.date(2026, 2, 1)
    assert start.number_format == "dd/mm/yyyy"
    assert month.is_date and month.number_format == "mmm yyyy"
    assert received.data_type == "n" and received.value == 1234
    assert received.number_format == "#,##0"
    assert median.data_type == "n" and median.value == 3.25
    assert share.data_type == "n" and share.value == 0.125 and share.number_format == "0.0%"
    assert rupiah.data_type == "n" and rupiah.value == 1_500_000
    assert rupiah.number_format == '"Rp"#,##0'
    # A missing figure is an empty cell, not a dash or an empty string.
    assert sheet.cell(3, 5).value is None and sheet.cell(3, 6).value is None


def test_csv_by_default_opens_in_indonesian_excel() -> None:
    content = write_csv(ROWS, COLUMNS, SEMICOLON)
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [c.label for c in COLUMNS]
    assert rows[1] == ["Akta Kelahiran", "2026-02-01", "2026-02", "1234", "3,2", "12,5%", "1500000"]
    # Read back as Indonesian Excel does: decimal comma, percent sign.
    assert float(rows[1][4].replace(",", ".")) == pytest.approx(3.2)
    assert float(rows[1][5].rstrip("%").replace(",", ".")) / 100 == 0.125
    assert rows[2] == ["Tanpa angka", "", "", "", "", "", ""]


def test_csv_comma_form_on_request() -> None:
    content = write_csv(ROWS, COLUMNS, COMMA).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[1][3:6] == ["1234", "3.2", "12.5%"]
    assert parse_separator(None) is None and parse_separator("koma") == COMMA
    assert parse_separator("Titik-Koma") == SEMICOLON
    with pytest.raises(InvalidInput) as refused:
        parse_separator("tab")
    assert refused.value.details[0]["field"] == "pemisah"


def test_typed_exports_default_to_semicolons_and_plain_ones_keep_commas() -> None:
    assert default_separator(COLUMNS) == SEMICOLON
    assert default_separator(["periode", "ikm"]) == COMMA
    plain = write_csv([{"periode": "2026-s1", "ikm": "84.26"}], ["periode", "ikm"])
    assert plain.decode("utf-8-sig").splitlines() == ["periode,ikm", "2026-s1,84.26"]
    index = [ExportColumn("ikm", "IKM", Kind.INDEX)]
    assert write_csv([{"ikm": 84.2567}], index).decode("utf-8-sig").splitlines()[1] == "84,26"
    cell = load_workbook(io.BytesIO(write_xlsx([{"ikm": 84.2567}], index, title="i")))
    assert cell.worksheets[0]["A2"].number_format == "#,##0.00"


def test_headers_and_levels_are_words_in_the_chosen_language() -> None:
    token = current_locale.set("en")
    try:
        content = write_csv([], KPI_COLUMNS, SEMICOLON).decode("utf-8-sig")
    finally:
        current_locale.reset(token)
    header = next(csv.reader(io.StringIO(content), delimiter=";"))
    assert header[:3] == ["Level", "Agency", "Services"]
    assert "Online share" in header and "persen_daring" not in header

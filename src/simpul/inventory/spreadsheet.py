"""Reading and writing the inventory spreadsheet: CSV (comma or semicolon) and XLSX.

Readers take the file's bytes, tell the format by content (an XLSX file is a ZIP archive),
and give the header and the rows as ``{column: text}``; every cell is text, dates are
``YYYY-MM-DD``. A header with an unknown column or without a required one is refused with
``InvalidInput`` naming them, before any row is looked at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.inventory.service import COLUMNS, REQUIRED, RowProblem

XLSX_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # the old binary .xls
#: More rows than any region's inventory; stops a huge or hostile file early.
MAX_ROWS: Final = 5000
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
#: A cell starting with one of these is a formula to Excel; written with a leading quote.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """What a file holds: its header, its rows, and where each row is in the file."""

    header: list[str]
    rows: list[dict[str, str]]
    #: ``lines[i]`` is the line (CSV) or row number (XLSX) of ``rows[i]``, header included.
    lines: list[int] = field(default_factory=list)

    def renumber(self, problems: Iterable[RowProblem]) -> list[RowProblem]:
        """Problems with the file's own line numbers (``import_apps`` counts from header = 1)."""
        return [
            replace(p, line=self.lines[p.line - 2]) if 2 <= p.line < len(self.lines) + 2 else p
            for p in problems
        ]


def _column_name(raw: str) -> str:
    """``Area SPBE`` and ``area_spbe`` name the same column."""
    return "_".join(raw.strip().lower().split())


def _unquote(value: str) -> str:
    """Undo the quote ``write_csv`` puts before a formula-like value."""
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _check_header(cells: Sequence[str]) -> list[str]:
    header = [_column_name(c) for c in cells]
    while header and not header[-1]:
        header.pop()
    if "" in header:
        position = header.index("") + 1
        raise InvalidInput(_("Kolom ke-%(n)d tidak berjudul.") % {"n": position})
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise InvalidInput(
            _("Kolom tidak dikenal: %(columns)s. Kolom yang dipakai: %(known)s.")
            % {"columns": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    doubled = sorted({c for c in header if header.count(c) > 1})
    if doubled:
        raise InvalidInput(
            _("Kolom muncul dua kali: %(columns)s.") % {"columns": ", ".join(doubled)}
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            _("Kolom wajib tidak ada: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return header


def _table(records: Iterable[tuple[int, list[str]]]) -> Table:
    """Header = first non-empty record; blank records are skipped but keep their numbers."""
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for number, cells in records:
        values = [c.strip() for c in cells]
        if not any(values):
            continue
        if header is None:
            header = _check_header(values)
            lines.append(number)
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(_("Berkas terlalu besar: maksimal %(n)d baris.") % {"n": MAX_ROWS})
        if any(values[len(header) :]):
            raise InvalidInput(
                _("Baris %(line)d berisi nilai di luar kolom yang berjudul.") % {"line": number}
            )
        rows.append({name: _unquote(v) for name, v in zip(header, values, strict=False)})
        lines.append(number)
    if header is None:
        raise InvalidInput(_("Berkas kosong: tidak ada baris judul kolom."))
    return Table(header=header, rows=rows, lines=lines[1:])


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel's "CSV (Comma delimited)" on Windows saves in the ANSI code page.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise InvalidInput(_("Berkas CSV harus berkode UTF-8.")) from None


def parse_csv(data: bytes) -> Table:
    """Read a CSV file (UTF-8 with or without BOM; comma or semicolon, told by the header)."""
    text = _decode(data)
    lines = text.splitlines()
    if lines and lines[0].strip().lower() in ("sep=;", "sep=,"):  # Excel's delimiter hint
        delimiter = lines[0].strip()[-1]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        first = next((line for line in lines if line.strip()), "")
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table(enumerate(reader, start=1))
    except csv.Error as exc:
        raise InvalidInput(_("Berkas CSV tidak bisa dibaca: %(error)s") % {"error": exc}) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_xlsx(data: bytes) -> Table:
    """Read the first sheet of an XLSX workbook (cached values of formulas, not formulas)."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it ignores (data validation, styles).
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise InvalidInput(_("Berkas XLSX rusak atau tidak bisa dibaca.")) from None
    try:
        if not workbook.worksheets:
            raise InvalidInput(_("Berkas kosong: tidak ada baris judul kolom."))
        sheet = workbook.worksheets[0]
        records = (
            (number, [_cell_text(v) for v in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _table(records)
    finally:
        workbook.close()


def parse_spreadsheet(data: bytes) -> Table:
    """Read a CSV or XLSX file, telling which by its content (never by its name)."""
    if data.startswith(XLSX_MAGIC):
        return parse_xlsx(data)
    if data.startswith(_OLE_MAGIC):
        raise InvalidInput(
            _("Format XLS lama tidak didukung. Simpan berkas sebagai XLSX atau CSV.")
        )
    return parse_csv(data)


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV file."""
    table = parse_csv(data)
    return table.header, table.rows


def read_xlsx(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of the first sheet of an XLSX file."""
    table = parse_xlsx(data)
    return table.header, table.rows


def read_spreadsheet(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV or XLSX file (format told by content)."""
    table = parse_spreadsheet(data)
    return table.header, table.rows


# -- writing --------------------------------------------------------------------------------


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(rows: Iterable[Mapping[str, str]], header: Sequence[str] = COLUMNS) -> bytes:
    """UTF-8 CSV with a BOM (so Excel shows Indonesian text right), comma-separated."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(str(row.get(c) or "")) for c in header])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(
    rows: Iterable[Mapping[str, str]], header: Sequence[str] = COLUMNS, *, title: str = "aplikasi"
) -> bytes:
    """An XLSX workbook: bold frozen header, columns wide enough to read, every cell text."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    widths = [len(c) for c in header]
    for row in rows:
        values = [str(row.get(c) or "") for c in header]
        sheet.append(values)
        widths = [max(w, len(v)) for w, v in zip(widths, values, strict=True)]
    for row_cells in sheet.iter_rows():
        for cell in row_cells:
            cell.data_type = "s"  # text, never a formula, whatever the value starts with
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8) + 2, 60)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_rows() -> tuple[list[str], list[dict[str, str]]]:
    """The header and two example rows (Kota Bandung), valid for import there.

    Choices are written as codes, which import in every language; the Indonesian labels
    (``Beroperasi``, ``Pusat data daerah``) are accepted too.
    """
    rows = [
        {
            "kode": "salaman",
            "nama": "Salaman - Layanan Administrasi Kependudukan Daring",
            "opd": "disdukcapil",
            "tujuan": "Warga mengajukan KTP-el, Kartu Keluarga dan akta secara daring.",
            "pengguna": "citizens",
            "url": "https://salaman.bandung.go.id",
            "hosting": "regional_data_centre",
            "status": "operating",
            "area_spbe": "layanan_publik",
            "klasifikasi_data": "personal",
            "status_integrasi": "planned",
            "tahun_rencana": "2026",
            "tanggal_integrasi": "",
        },
        {
            "kode": "simpeg",
            "nama": "Sistem Informasi Kepegawaian",
            "opd": "bkpsdm",
            "tujuan": "Data ASN Pemerintah Kota Bandung: pangkat, jabatan dan riwayat kerja.",
            "pengguna": "staff",
            "url": "https://simpeg.bandung.go.id",
            "hosting": "regional_data_centre",
            "status": "operating",
            "area_spbe": "kepegawaian",
            "klasifikasi_data": "personal",
            "status_integrasi": "integrated",
            "tahun_rencana": "",
            "tanggal_integrasi": "2025-03-17",
        },
    ]
    return list(COLUMNS), rows

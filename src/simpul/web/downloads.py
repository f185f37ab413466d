"""A report's table as a CSV or XLSX download (the dashboards' export buttons).

Made for the people who open it (decision 0053):

- **XLSX**: every figure is a number and every date a date, with a number format (thousands,
  one decimal, percent, rupiah, day-month-year), so sums and charts work at once; text cells
  are written as text, never as formulas.
- **CSV**: by default in the form Excel opens on an Indonesian computer: UTF-8 with a BOM,
  semicolon between fields, decimal comma (``12,5%``); ``?pemisah=koma`` gives the comma form
  with a decimal point (``12.5%``) for other tools. Whole numbers carry no thousands
  separator (Excel would read ``1.234`` differently per locale); dates are ISO
  (``2026-01-31``), which every Excel reads as a date.
- Headers and codes are the words the pages show, in the page's language.
- An export whose columns are still plain names (values already formatted as text with
  decimal points, e.g. the IKM report's) keeps the comma form by default until it types its
  columns: its "84.26" would be text to an Indonesian Excel either way.
- A text cell that starts like a formula (``= + - @``, tab, CR) gets a leading quote in the
  CSV, so a spreadsheet never runs what an applicant typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from simpul.core.i18n import gettext
from simpul.core.kit.exports import COMMA, SEMICOLON, current_separator

XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
#: A cell starting with one of these is a formula to a spreadsheet.
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


class Kind(enum.Enum):
    """What a column holds, which decides its cell type and format."""

    TEXT = "text"
    INTEGER = "integer"
    #: A number with one decimal (working days).
    DECIMAL = "decimal"
    #: An index or mean with two decimals (IKM, SPBE, NRR), as it is published.
    INDEX = "index"
    #: A share 0..1, shown as a percentage with one decimal.
    PERCENT = "percent"
    #: Whole rupiah.
    RUPIAH = "rupiah"
    DATE = "date"
    #: A month, given as its first day.
    MONTH = "month"
    #: A moment, given on the region's wall clock without a time zone (a spreadsheet has none).
    DATETIME = "datetime"


#: XLSX number formats per kind (Excel shows separators per the reader's locale).
NUMBER_FORMATS: Final = {
    Kind.INTEGER: "#,##0",
    Kind.DECIMAL: "#,##0.0",
    Kind.INDEX: "#,##0.00",
    Kind.PERCENT: "0.0%",
    Kind.RUPIAH: '"Rp"#,##0',
    Kind.DATE: "dd/mm/yyyy",
    Kind.MONTH: "mmm yyyy",
    Kind.DATETIME: "dd/mm/yyyy hh:mm:ss",
}


@dataclass(frozen=True)
class ExportColumn:
    """A column of an export: the row's key, its header (a msgid, translated when written)
    and its kind."""

    key: str
    label: str
    kind: Kind = Kind.TEXT


Value = str | int | float | dt.date | None


def _columns(columns: Sequence[ExportColumn | str]) -> list[ExportColumn]:
    """Plain names are text columns headed by the name (exports not yet typed)."""
    return [c if isinstance(c, ExportColumn) else ExportColumn(c, c) for c in columns]


def csv_safe(text: str) -> str:
    """``text`` with a leading quote when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(value: Value, kind: Kind, separator: str) -> str:
    if value is None or value == "":
        return ""
    decimal = "." if separator == COMMA else ","
    text = csv_safe(str(value))
    if isinstance(value, int | float):
        if kind is Kind.DECIMAL:
            text = f"{value:.1f}".replace(".", decimal)
        elif kind is Kind.INDEX:
            text = f"{value:.2f}".replace(".", decimal)
        elif kind is Kind.PERCENT:
            text = f"{value * 100:.1f}".replace(".", decimal) + "%"
        elif kind in (Kind.INTEGER, Kind.RUPIAH):
            text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")  # what Excel reads as a date and time
    elif isinstance(value, dt.date):
        text = value.strftime("%Y-%m") if kind is Kind.MONTH else value.isoformat()
    return text


def default_separator(columns: Sequence[ExportColumn | str]) -> str:
    """Semicolon for typed columns (Indonesian Excel); comma for plain names (see above)."""
    return SEMICOLON if all(isinstance(c, ExportColumn) for c in columns) else COMMA


def write_csv(
    rows: Iterable[Mapping[str, Value]],
    columns: Sequence[ExportColumn | str],
    separator: str | None = None,
) -> bytes:
    """UTF-8 with a BOM (so Excel shows Indonesian text right), ``separator`` between fields."""
    separator = separator or default_separator(columns)
    typed = _columns(columns)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([csv_safe(gettext(c.label)) for c in typed])
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key), c.kind, separator) for c in typed])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_value(value: Value, kind: Kind) -> Value:
    if value is None or value == "":
        return None
    if kind in (Kind.INTEGER, Kind.RUPIAH) and isinstance(value, int | float):
        return int(value)
    if kind in (Kind.DECIMAL, Kind.INDEX, Kind.PERCENT) and isinstance(value, int | float):
        return float(value)
    if kind is Kind.DATETIME and isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if kind in (Kind.DATE, Kind.MONTH) and isinstance(value, dt.date):
        return value
    return str(value)


def write_xlsx(
    rows: Iterable[Mapping[str, Value]], columns: Sequence[ExportColumn | str], *, title: str
) -> bytes:
    """One sheet: bold frozen header, numbers and dates as such with their formats, text as
    text (never a formula), columns wide enough to read."""
    typed = _columns(columns)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    headers = [gettext(c.label) for c in typed]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.data_type = "s"
        cell.font = Font(bold=True)
    widths = [len(h) for h in headers]
    for row_number, row in enumerate(rows, start=2):
        for index, column in enumerate(typed, start=1):
            value = _xlsx_value(row.get(column.key), column.kind)
            cell = sheet.cell(row=row_number, column=index)
            if value is None:
                continue
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                width = len(value)
            else:
                cell.number_format = NUMBER_FORMATS.get(column.kind, "General")
                width = 12
            widths[index - 1] = max(widths[index - 1], width)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8) + 2, 60)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_download(
    rows: Iterable[Mapping[str, Value]],
    header: Sequence[ExportColumn | str],
    *,
    extension: str,
    title: str,
    filename: str,
    separator: str | None = None,
) -> Response:
    """``rows`` as ``filename.extension`` (``csv`` or ``xlsx``, sheet ``title``), not cached.
    The CSV's separator is the request's ``pemisah`` (``core.kit.exports``) unless given."""
    if extension == "xlsx":
        content = write_xlsx(rows, header, title=title)
        media_type = XLSX_MEDIA_TYPE
    else:
        content = write_csv(rows, header, separator or current_separator())
        media_type = CSV_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.{extension}"',
            "Cache-Control": "no-store",
        },
    )

"""An agency's document number format: ``474.1/{nomor}/{kode}/{bulan_romawi}/{tahun}``.

Agencies number their letters in their own pattern (a classification code, the running
number, the unit, the month in Roman numerals, the year). The format is data the region admin
edits, so it is never handed to ``str.format`` (``{0.__class__}`` would reach Python objects):
the only thing that happens to it is the replacement of five known tokens, and everything
else must be plain characters of a number. ``{nomor}`` and ``{tahun}`` are required: the
running number restarts each year (``DocumentNumberCounter``), so a number without its year
would repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from simpul.core.i18n import _

DEFAULT_FORMAT: Final = "{nomor}/{kode}/{tahun}"
FORMAT_MAX: Final = 80
#: The issued number's column width (``issued_document.number``).
NUMBER_MAX: Final = 80
TOKENS: Final = ("nomor", "kode", "bulan", "bulan_romawi", "tahun")
_TOKEN = re.compile(r"\{([^{}]*)\}")
#: What may stand between the tokens: letters, digits and the separators numbers use.
_LITERAL = re.compile(r"^[A-Za-z0-9./\- _]*$")
ROMAN_MONTHS: Final = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(frozen=True)
class NumberParts:
    """What the tokens of a number are replaced with."""

    sequence: int
    agency_code: str
    month: int
    year: int


def agency_code(short_name: str) -> str:
    """``{kode}``: the agency's short name without spaces, upper case (``DISDUKCAPIL``)."""
    return "".join(short_name.split()).upper()[:40] or "SIMPUL"


def format_problem(number_format: str) -> str | None:  # noqa: PLR0911 - one answer per rule
    """Why ``number_format`` cannot be used (in Indonesian), or None when it can."""
    if not number_format.strip():
        return _("Isi format nomor, misalnya {nomor}/{kode}/{tahun}.")
    if len(number_format) > FORMAT_MAX:
        return _("Format nomor paling panjang %(n)d karakter.") % {"n": FORMAT_MAX}
    tokens = _TOKEN.findall(number_format)
    unknown = sorted({t for t in tokens if t not in TOKENS})
    if unknown:
        return _(
            "Format nomor memuat penanda yang tidak dikenal: %(tokens)s. Penanda yang "
            "dapat dipakai: {nomor}, {kode}, {bulan}, {bulan_romawi}, {tahun}."
        ) % {"tokens": ", ".join("{" + t + "}" for t in unknown)}
    if "nomor" not in tokens:
        return _("Format nomor wajib memuat {nomor} (nomor urut), agar setiap nomor berbeda.")
    if "tahun" not in tokens:
        return _("Format nomor wajib memuat {tahun}: nomor urut dimulai lagi setiap tahun.")
    if tokens.count("nomor") > 1:
        return _("Format nomor memuat {nomor} satu kali saja.")
    if not _LITERAL.match(_TOKEN.sub("", number_format)):
        return _(
            "Di luar penanda, format nomor hanya boleh memuat huruf, angka, spasi, titik, "
            "garis miring, tanda hubung, dan garis bawah."
        )
    return None


def render_number(number_format: str, parts: NumberParts) -> str:
    """The number of a document; a format that is not valid gives today's shape instead
    (a format is validated when saved; this keeps an old, bad row from stopping issuing)."""
    if format_problem(number_format) is not None:
        number_format = DEFAULT_FORMAT
    values = {
        "nomor": f"{parts.sequence:05d}",
        "kode": parts.agency_code,
        "bulan": f"{parts.month:02d}",
        "bulan_romawi": ROMAN_MONTHS[parts.month - 1],
        "tahun": f"{parts.year:04d}",
    }
    number = _TOKEN.sub(lambda match: values[match.group(1)], number_format)
    return number[:NUMBER_MAX]


def sample_number(number_format: str, short_name: str, month: int, year: int) -> str:
    """What the agency's next documents would be numbered like (shown on the settings page)."""
    return render_number(number_format, NumberParts(12, agency_code(short_name), month, year))


def length_problem(number_format: str, short_name: str) -> str | None:
    """A format whose numbers would not fit the record (a long ``{kode}`` repeated)."""
    widest = {"nomor": "9999999", "kode": agency_code(short_name), "bulan_romawi": "VIII"}
    raw = _TOKEN.sub(lambda match: widest.get(match.group(1), "2026"), number_format)
    if len(raw) > NUMBER_MAX:
        return _("Nomor yang dihasilkan format ini melebihi %(n)d karakter.") % {"n": NUMBER_MAX}
    return None

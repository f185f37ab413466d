"""NIK (Nomor Induk Kependudukan) structure checks.

Digits 1-6 are the Kemendagri code of the place of registration (province, regency/city,
district), digits 7-12 the birth date DDMMYY with 40 added to the day for women, digits
13-16 a sequence number. The province, kabupaten/kota and kecamatan codes are checked
against Kemendagri's list (``data/kecamatan.tsv``: Kepmendagri 300.2.2-2138/2025, decision
0049), so a NIK whose kecamatan does not exist in its kabupaten/kota is refused.

People paste NIKs as the KTP prints or a spreadsheet formats them: "3273 0112 3456 0001",
"3273.01.12.3456.0001", "3273-01-...". Spaces (any kind), dots, dashes and slashes are taken
out before the checks; anything else that is not an ASCII digit is refused, including digits
of other scripts ("٣٢٧٣..."): they look right to a reader and to ``str.isdigit`` but are not
the number printed on the card.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from simpul.core.i18n import _

_DATA = Path(__file__).with_name("data") / "kecamatan.tsv"
#: What people put between the digit groups: whitespace of any kind, dots, dashes (also the
#: typographic ones a word processor makes of "-") and slashes.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212/]+")


class NikError(ValueError):
    """The NIK is malformed; the message (translated) says which part and why."""


@dataclass(frozen=True)
class NikInfo:
    nik: str
    place: str
    birth_date: dt.date
    female: bool


@dataclass(frozen=True)
class Regency:
    """A kabupaten/kota with its province and the codes of its kecamatan."""

    code: str
    name: str
    province: str
    districts: frozenset[str]


@cache
def regencies() -> dict[str, Regency]:
    """Kemendagri's kabupaten/kota by their 4-digit code (read once, about 40 KB)."""
    provinces: dict[str, str] = {}
    found: dict[str, Regency] = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts[0]) == 2:
            provinces[parts[0]] = parts[1]
        else:
            code, name, districts = parts
            found[code] = Regency(code, name, provinces[code[:2]], frozenset(districts.split()))
    return found


def normalise_nik(raw: str) -> str:
    """The NIK without the separators people paste (see the module's docstring)."""
    return _SEPARATORS.sub("", raw)


def _birth_date(day: int, month: int, year2: int, today: dt.date) -> dt.date | None:
    """Resolve the two-digit year to the most recent century that gives a past date."""
    for century in (2000, 1900):
        try:
            date = dt.date(century + year2, month, day)
        except ValueError:
            return None
        if date <= today:
            return date
    return None


def parse_nik(raw: str, *, today: dt.date | None = None) -> NikInfo:
    """Validate a NIK and return what it encodes; raise ``NikError`` naming the faulty part."""
    nik = normalise_nik(raw)
    if not nik.isdigit() or not nik.isascii():
        raise NikError(_("NIK hanya boleh berisi angka 0-9."))
    if len(nik) != 16:
        raise NikError(_("NIK harus 16 digit; yang diisi %(n)d digit.") % {"n": len(nik)})
    regency = regencies().get(nik[:4])
    if regency is None:
        raise NikError(
            _(
                "Kode wilayah pada NIK (6 digit pertama: %(code)s) tidak terdaftar di "
                "Kemendagri: kabupaten/kota %(regency)s tidak ada."
            )
            % {"code": nik[:6], "regency": nik[:4]}
        )
    if nik[4:6] not in regency.districts:
        raise NikError(
            _(
                "Kode wilayah pada NIK (6 digit pertama): kode kecamatan %(code)s tidak ada "
                "di %(regency)s."
            )
            % {"code": nik[:6], "regency": regency.name}
        )
    place = f"{regency.name}, {regency.province}"
    day_field, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day_field > 40
    day = day_field - 40 if female else day_field
    today = today or dt.datetime.now(dt.UTC).date()
    birth = _birth_date(day, month, year2, today) if 1 <= day <= 31 else None
    if birth is None:
        raise NikError(
            _(
                "Tanggal lahir pada NIK (digit 7-12: %(digits)s) bukan tanggal yang benar. "
                "Untuk perempuan, tanggal ditambah 40."
            )
            % {"digits": nik[6:12]}
        )
    if nik[12:] == "0000":
        raise NikError(_("Nomor urut pada NIK (4 digit terakhir) tidak boleh 0000."))
    return NikInfo(nik=nik, place=place, birth_date=birth, female=female)


def mask_nik(nik: str) -> str:
    """Show enough to recognise a NIK, not enough to use it: 3273••••••••0001."""
    return nik[:4] + "•" * 8 + nik[-4:]

"""NIK (Nomor Induk Kependudukan) structure checks.

Digits 1-6 are the Kemendagri code of the place of registration (province, regency/city,
district), digits 7-12 the birth date DDMMYY with 40 added to the day for women, digits
13-16 a sequence number. The province and regency codes are checked against the list
maintained in ``python-stdnum``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum import numdb

from simpul.core.i18n import _


class NikError(ValueError):
    """The NIK is malformed; the message (translated) says which part and why."""


@dataclass(frozen=True)
class NikInfo:
    nik: str
    place: str
    birth_date: dt.date
    female: bool


def _place_name(code4: str) -> str | None:
    # numdb answers [(province_part, {info}), (regency_part, {info})]; unknown parts get {}.
    results = numdb.get("id/loc").info(code4)
    if len(results) < 2 or not results[0][1] or not results[1][1]:
        return None
    regency = str(results[1][1].get("name_id", "")).title()
    province = str(results[0][1].get("name_id", ""))
    return f"{regency}, {province}"


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
    nik = "".join(raw.split()).replace("-", "").replace(".", "")
    if not nik.isdigit() or not nik.isascii():
        raise NikError(_("NIK hanya boleh berisi angka."))
    if len(nik) != 16:
        raise NikError(_("NIK harus 16 digit; yang diisi %(n)d digit.") % {"n": len(nik)})
    place = _place_name(nik[:4])
    if place is None or nik[4:6] == "00":
        raise NikError(
            _("Kode wilayah pada NIK (6 digit pertama: %(code)s) tidak terdaftar di Kemendagri.")
            % {"code": nik[:6]}
        )
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

from __future__ import annotations

import datetime as dt

import pytest

from simpul.accounts.nik import NikError, mask_nik, parse_nik

TODAY = dt.date(2026, 11, 27)


def test_valid_nik_of_a_woman_in_kota_bandung() -> None:
    info = parse_nik("3273015708900001", today=TODAY)
    assert info.female
    assert info.birth_date == dt.date(1990, 8, 17)
    assert "Bandung" in info.place


def test_man_born_this_century() -> None:
    info = parse_nik("3322011503100002", today=TODAY)  # Kabupaten Semarang, 15-03-2010
    assert not info.female
    assert info.birth_date == dt.date(2010, 3, 15)


def test_spaces_and_dashes_are_ignored() -> None:
    assert parse_nik("3273 0157 0890 0001", today=TODAY).nik == "3273015708900001"


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("327301570890001", "16 digit"),
        ("32730157089000011", "16 digit"),
        ("3273O15708900001", "angka"),
        ("9973015708900001", "Kode wilayah"),
        ("3299015708900001", "Kode wilayah"),  # province 32 exists, regency 99 does not
        ("3273001708900001", "Kode wilayah"),  # district 00
        ("3273013208900001", "Tanggal lahir"),  # day 32
        ("3273017208900001", "Tanggal lahir"),  # day 72 (32 + 40)
        ("3273011513900001", "Tanggal lahir"),  # month 13
        ("3273012902010001", "Tanggal lahir"),  # 29 Feb 2001 / 1901
        ("3273015708900000", "Nomor urut"),
    ],
)
def test_invalid_nik_says_which_part_is_wrong(nik: str, fragment: str) -> None:
    with pytest.raises(NikError, match=fragment):
        parse_nik(nik, today=TODAY)


def test_birth_date_in_the_future_is_read_as_last_century() -> None:
    # 01-01-30 cannot be 2030 on TODAY, so it is 1930.
    assert parse_nik("3273010101300001", today=TODAY).birth_date == dt.date(1930, 1, 1)


def test_mask_keeps_only_the_ends() -> None:
    masked = mask_nik("3273015708900001")
    assert masked.startswith("3273") and masked.endswith("0001")
    assert "57089" not in masked

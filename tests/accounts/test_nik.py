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


@pytest.mark.parametrize(
    "pasted",
    [
        "3273 0157 0890 0001",
        "3273.01.57.0890.0001",
        "3273-01-570890-0001",
        "3273/01/570890/0001",
        " 3273\u00a00157\u20130890\u20110001 ",  # no-break space, en dash, non-breaking hyphen
    ],
)
def test_pasted_separators_are_taken_out(pasted: str) -> None:
    assert parse_nik(pasted, today=TODAY).nik == "3273015708900001"


def test_the_kecamatan_must_exist_in_its_kabupaten_kota() -> None:
    with pytest.raises(NikError, match="kode kecamatan 327399 tidak ada di Kota Bandung"):
        parse_nik("3273995708900001", today=TODAY)
    # Kabupaten Bandung's kecamatan codes start at 05 (Kepmendagri 300.2.2-2138/2025).
    with pytest.raises(NikError, match="kode kecamatan 320401 tidak ada di Kabupaten Bandung"):
        parse_nik("3204015708900001", today=TODAY)
    assert parse_nik("3204055708900001", today=TODAY).place == "Kabupaten Bandung, Jawa Barat"
    assert "Kota Semarang" in parse_nik("3374015708900001", today=TODAY).place


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0663\u0662\u0667\u0663015708900001",  # Arabic-Indic digits
        "\uff13\uff12\uff17\uff13015708900001",  # full-width digits
        "3273\u200b015708900001",  # a zero-width space hides between the groups
    ],
)
def test_digits_of_other_scripts_are_refused(lookalike: str) -> None:
    with pytest.raises(NikError, match="angka 0-9"):
        parse_nik(lookalike, today=TODAY)

"""Verification codes a person can type: Crockford base32 in groups, read as Crockford says."""

from __future__ import annotations

import re

import pytest

from simpul.documents import codes

NEW_FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def test_a_new_code_is_80_random_bits_in_four_groups_without_look_alikes() -> None:
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    assert all(NEW_FORMAT.fullmatch(code) for code in made)
    assert codes.BITS >= 80
    assert not set("ILOU") & set("".join(made))
    # Every symbol turns up in every place: the bits are spread over the whole alphabet.
    assert {code[0] for code in made} == set(codes.ALPHABET)
    assert {code[-1] for code in made} == set(codes.ALPHABET)


@pytest.mark.parametrize(
    "typed",
    [
        "K7QM-3XH2-9TFA-WP4D",
        "k7qm-3xh2-9tfa-wp4d",
        "K7QM3XH29TFAWP4D",
        "  k7qm 3xh2 9tfa wp4d ",
        "K7QM – 3XH2 – 9TFA – WP4D",  # the dash a phone keyboard makes
    ],
)
def test_case_dashes_and_spaces_do_not_matter(typed: str) -> None:
    assert codes.normalised(typed) == "K7QM-3XH2-9TFA-WP4D"


def test_look_alikes_are_read_as_crockford_says() -> None:
    assert codes.normalised("1O0I-L1lo-ABCD-EFGH") == "1001-1110-ABCD-EFGH"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "K7QM-3XH2-9TFA",
        "K7QM-3XH2-9TFA-WP4D-AAAA",
        "K7QM-3XH2-9TFA-WP4U",
        "K7QM/3XH2/9TFA/WP4D",
    ],
)
def test_what_cannot_be_a_code_is_refused(typed: str) -> None:
    assert codes.normalised(typed) is None


def test_first_format_codes_are_still_looked_up_as_typed() -> None:
    old = "Xq3-kT9_vB2mN8pL5rW1zA"
    assert codes.candidates(f" {old} ") == [old]
    assert codes.candidates("k7qm-3xh2-9tfa-wp4d") == ["K7QM-3XH2-9TFA-WP4D", "k7qm-3xh2-9tfa-wp4d"]
    assert codes.candidates("K7QM-3XH2-9TFA-WP4D") == ["K7QM-3XH2-9TFA-WP4D"]
    assert codes.candidates("bukan kode!") == []
    assert codes.candidates("x" * 200) == []


def test_the_code_in_what_a_visitor_typed_or_pasted() -> None:
    url = "https://layanan.example.go.id/kota-bandung/verifikasi/K7QM-3XH2-9TFA-WP4D"
    assert codes.from_input(url) == "K7QM-3XH2-9TFA-WP4D"
    assert codes.from_input("k7qm 3xh2 9tfa wp4d") == "K7QM-3XH2-9TFA-WP4D"
    assert codes.from_input("k7qm-3xh2-9tfa-wp4d") == "K7QM-3XH2-9TFA-WP4D"
    assert codes.from_input("Xq3-kT9_vB2mN8pL5rW1zA") == "Xq3-kT9_vB2mN8pL5rW1zA"
    assert codes.from_input("kode salah!") is None

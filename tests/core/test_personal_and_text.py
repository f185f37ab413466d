"""The shared rules: how each kind of personal data is masked and hashed, and hidden characters."""

from __future__ import annotations

import uuid

import pytest

from simpul.core.personal import (
    PersonalKind,
    lookup_hash,
    mask_sixteen_digit_numbers,
    mask_value,
)
from simpul.core.security import keyed_hash
from simpul.core.text import has_unsafe_characters, strip_unsafe_characters, unsafe_paths


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (PersonalKind.NIK, "3273014507150003", "3273••••••••0003"),
        (PersonalKind.KK, "3273 0101 0115 0009", "3273••••••••0009"),
        (PersonalKind.NIK, "12345", "•••"),
        (PersonalKind.PHONE, "0812-3456-7890", "0812•••••890"),
        (PersonalKind.PHONE, "0812", "•••"),
        (PersonalKind.EMAIL, "siti@example.org", "s•••@example.org"),
        (PersonalKind.NAME, "Nadia Putri", "N•••• P••••"),
        (PersonalKind.ADDRESS, "Jl. Cisitu Lama No. 9", "•••"),
        (PersonalKind.IDENTIFIER, "0001234567891", "••••7891"),
        (PersonalKind.OTHER, "2015-07-05", "•••"),
        (PersonalKind.ADDRESS, 3, "•••"),
        (PersonalKind.NAME, None, None),
    ],
)
def test_masks_show_enough_to_recognise_not_to_use(
    kind: PersonalKind, value: object, masked: object
) -> None:
    assert mask_value(kind, value) == masked


def test_a_nik_in_answers_hashes_like_the_account_nik_and_ignores_how_it_was_typed() -> None:
    region_id = uuid.uuid4()
    account_hash = keyed_hash("nik", f"{region_id}:3273014507150003")
    assert lookup_hash(region_id, PersonalKind.NIK, "3273 0145.0715-0003") == account_hash
    assert lookup_hash(uuid.uuid4(), PersonalKind.NIK, "3273014507150003") != account_hash
    phone = lookup_hash(region_id, PersonalKind.PHONE, "+62 812-3456-7890")
    assert phone == lookup_hash(region_id, PersonalKind.PHONE, "081234567890")
    assert lookup_hash(region_id, PersonalKind.KK, "3273014507150003") != account_hash


def test_sixteen_digit_numbers_in_notes_are_masked_and_others_are_not() -> None:
    note = "NIK 3273014507150003 / KK 3273 0101 0115 0009 tidak cocok; NIB 1234567890123."
    assert mask_sixteen_digit_numbers(note) == (
        "NIK 3273••••••••0003 / KK 3273••••••••0009 tidak cocok; NIB 1234567890123."
    )
    assert mask_sixteen_digit_numbers("12345678901234567") == "12345678901234567"


def test_hidden_characters_are_found_and_stripped_but_other_scripts_pass() -> None:
    assert has_unsafe_characters("a\x00b") and has_unsafe_characters("a\u202eb")
    assert has_unsafe_characters("\u2066x\u2069") and has_unsafe_characters("\u202a")
    for ordinary in ("Bandung", "عربى", "ꦗꦮ", "a\u200fb", "tab\tand\nline"):
        assert not has_unsafe_characters(ordinary)
    assert strip_unsafe_characters("Bu\u202edi\x00") == "Budi"
    data = {"a": "ok", "b": ["x", {"c": "y\u202e"}], "d\x00": "z", "n": 3}
    assert list(unsafe_paths(data)) == ["b.1.c", "d"]

"""The shared kit: today's date in a region, redirect notices, and form models."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, field_validator

from simpul.core.kit.forms import form_error, validate_form
from simpul.core.kit.notices import notice_text, with_notice
from simpul.core.kit.periods import today_in
from simpul.core.models import Region


def test_today_in_is_the_date_on_the_regions_wall_clock() -> None:
    region = Region(slug="kota-uji", name="Kota Uji", timezone="Asia/Jayapura")
    late_utc = dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)  # 01:00 WIT on 1 April
    assert today_in(region, late_utc) == dt.date(2026, 4, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        today_in(region, dt.datetime(2026, 3, 31, 16, 0))  # noqa: DTZ001 - refused on purpose


def test_a_notice_code_goes_before_the_fragment_and_only_known_codes_show_text() -> None:
    assert with_notice("/a/b#hasil", "disimpan") == "/a/b?pesan=disimpan#hasil"
    assert with_notice("/a?x=1", "baru") == "/a?x=1&pesan=baru"
    messages = {"disimpan": "Tersimpan."}
    assert notice_text(messages, "disimpan") == "Tersimpan."
    assert notice_text(messages, "Anda menang undian") is None
    assert notice_text(messages, None) is None


class _Form(BaseModel):
    jumlah: int
    catatan: str

    @field_validator("jumlah", mode="before")
    @classmethod
    def _whole(cls, raw: str) -> int:
        if not raw.isdecimal():
            raise form_error("Jumlah harus bilangan bulat.")
        return int(raw)


def test_validate_form_returns_the_model_or_each_fields_message_as_written() -> None:
    form, errors = validate_form(_Form, {"jumlah": "12", "catatan": ""})
    assert form is not None and (form.jumlah, form.catatan, errors) == (12, "", {})
    form, errors = validate_form(_Form, {"jumlah": "dua belas"})
    assert form is None
    assert errors["jumlah"] == "Jumlah harus bilangan bulat."
    assert set(errors) == {"jumlah", "catatan"}

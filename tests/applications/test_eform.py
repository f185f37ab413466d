"""The eForm engine: a service's JSON Schema drawn as an accessible form, read back from the
submitted form and checked with one Indonesian message per field. No database needed."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from simpul.accounts.nik import parse_nik
from simpul.applications.eform import (
    apply_action,
    build_fields,
    parse_form,
    to_form,
    validate,
)
from simpul.applications.eform_messages import _quick_schema, _validators
from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.catalogue.standard import EForm
from simpul.core import i18n
from simpul.demo.eform_sample import SAMPLE_NIK, sample_data
from simpul.web.templating import environment
from tests.support.eform_data import eform_data, nik_strategy, valid_data


def text(title: str, **rules: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, **rules}


ADDRESS = {
    "type": "object",
    "title": "Alamat tinggal",
    "properties": {
        "jalan": text("Jalan", maxLength=160),
        "rt": text("RT", pattern="^[0-9]{1,3}$"),
        "kelurahan": text("Kelurahan", maxLength=80),
        "kecamatan": text("Kecamatan", maxLength=80),
    },
    "required": ["jalan", "kelurahan", "kecamatan"],
}
CHILD = {
    "type": "object",
    "properties": {
        "nama": text("Nama anak", maxLength=60),
        "umur": {"type": "integer", "title": "Umur", "minimum": 0},
        "sekolah": {"type": "boolean", "title": "Masih sekolah"},
    },
    "required": ["nama", "umur"],
}
SEXES = [{"const": "L", "title": "Laki-laki"}, {"const": "P", "title": "Perempuan"}]
PROPERTIES: dict[str, Any] = {
    "nama": text("Nama lengkap", maxLength=20),
    "nik": text("NIK pemohon", pattern="^[0-9]{16}$"),
    "telepon": text("Nomor telepon", pattern=r"^(\+62|0)[0-9]{8,13}$"),
    "tanggal_lahir": text("Tanggal lahir", format="date"),
    "jumlah": {"type": "integer", "title": "Jumlah tanggungan", "minimum": 0, "maximum": 20},
    "luas": {"type": "number", "title": "Luas bangunan (m²)", "minimum": 0.5},
    "jenis_kelamin": text("Jenis kelamin", oneOf=SEXES),
    "keperluan": text("Keperluan", maxLength=500),
    "setuju": {"type": "boolean", "title": "Saya menyatakan data ini benar"},
    "alamat": ADDRESS,
    "alamat_usaha": {**ADDRESS, "title": "Alamat usaha"},
    "anak": {"type": "array", "title": "Data anak", "minItems": 1, "maxItems": 3, "items": CHILD},
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Permohonan uji",
    "properties": PROPERTIES,
    "required": [k for k in PROPERTIES if k not in ("luas", "keperluan", "alamat_usaha")],
}
UI = {
    "nik": {"widget": "nik", "help": "16 digit sesuai KTP-el."},
    "telepon": {"widget": "phone", "placeholder": "08xxxxxxxxxx"},
    "jenis_kelamin": {"widget": "radio"},
    "keperluan": {"widget": "textarea"},
    "alamat": {"widget": "address"},
    "alamat_usaha": {"widget": "address", "help": "Kosongkan bila sama."},
    "anak": {"help": "Satu baris untuk setiap anak."},
}
GOOD: dict[str, Any] = {
    "nama": "Siti Aminah",
    "nik": "3273016505950003",
    "telepon": "081234567890",
    "tanggal_lahir": "1995-05-25",
    "jumlah": 2,
    "luas": 36.5,
    "jenis_kelamin": "P",
    "setuju": True,
    "alamat": {
        "jalan": "Jl. Dipatiukur 35",
        "rt": "3",
        "kelurahan": "Lebakgede",
        "kecamatan": "Coblong",
    },
    "anak": [{"nama": "Nadia", "umur": 7, "sekolah": True}],
}
CATALOGUE = load_catalogue_folder(DEMO_FOLDER)
SERVICES = {s.slug: s.eform for agency in CATALOGUE.agencies for s in agency.services}
MACROS = environment().from_string(
    '{% from "applications/_eform.html" import eform, eform_errors, eform_default_submit %}'
    '{{ eform_default_submit("Kirim") }}{{ eform_errors(fields) }}{{ eform(fields) }}'
)


@pytest.fixture(autouse=True)
def indonesian() -> Iterator[None]:
    token = i18n.current_locale.set("id")
    yield
    i18n.current_locale.reset(token)


def render(schema: dict[str, Any], ui: dict[str, Any], data: Any, errors: Any = None) -> str:
    return MACROS.render(fields=build_fields(schema, ui, data, errors or {}))


class Page(HTMLParser):
    """What a browser would make of the rendered form: labels, legends and the name/value
    pairs it would submit (checked boxes and radios only, the selected option)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.labels: dict[str, str] = {}
        self.legends: list[str] = []
        self.elements: dict[str, dict[str, str | None]] = {}
        self.submitted: list[tuple[str, str]] = []
        self._text: list[str] | None = None
        self._label_for: str | None = None
        self._select: list[tuple[str, bool]] | None = None
        self._name = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("id"):
            assert attr["id"] not in self.elements, f"duplicate id {attr['id']}"
            self.elements[str(attr["id"])] = {"tag": tag, **attr}
        if tag in ("label", "legend", "textarea"):
            self._text = []
            self._label_for = attr.get("for") if tag == "label" else None
        name = attr.get("name") or ""
        kind = attr.get("type")
        if tag == "input" and name and (kind not in ("checkbox", "radio") or "checked" in attr):
            self.submitted.append((name, attr.get("value") or ""))
        if tag in ("select", "textarea"):
            self._name = name
        if tag == "select":
            self._select = []
        if tag == "option" and self._select is not None:
            self._select.append((attr.get("value") or "", "selected" in attr))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = text
        elif tag == "legend":
            self.legends.append(text)
        elif tag == "textarea":
            self.submitted.append((self._name, "".join(self._text or [])))
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._select if selected] or [self._select[0][0]]
            self.submitted.append((self._name, chosen[0]))
            self._select = None
        if tag in ("label", "legend", "textarea"):
            self._text = None


# --- the demo catalogue ------------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(SERVICES))
def test_every_demo_eform_renders_accessibly_and_round_trips_valid_data(slug: str) -> None:
    eform: EForm = SERVICES[slug]
    schema, ui = eform.json_schema, eform.ui
    data = valid_data(schema, ui)
    assert validate(schema, data, ui=ui) == {}

    page = Page(render(schema, ui, data))
    shown = set(page.labels.values()) | set(page.legends)
    for key, prop in schema["properties"].items():
        title = " ".join(prop["title"].split())
        assert any(text == title or text.startswith(title + " (") for text in shown), key
    for id_, element in page.elements.items():
        if element["tag"] in ("input", "select", "textarea"):
            assert id_ in page.labels, element

    # What the browser submits is what to_form says, and it reads back as the same data.
    assert {k: v for k, v in page.submitted if v} == to_form(schema, data)
    assert parse_form(schema, FormData(page.submitted), ui=ui) == data


@pytest.mark.parametrize("slug", sorted(SERVICES))
def test_the_demo_answers_of_every_demo_eform_are_valid(slug: str) -> None:
    eform: EForm = SERVICES[slug]
    assert validate(eform.json_schema, sample_data(eform.json_schema), ui=eform.ui) == {}


def test_the_demo_nik_is_registered_in_kota_bandung() -> None:
    # 32.73 is Kota Bandung (Kabupaten Bandung is 32.04).
    assert SAMPLE_NIK.startswith("3273")
    assert parse_nik(SAMPLE_NIK).place == "Kota Bandung, Jawa Barat"


@given(nik_strategy())
def test_drawn_niks_pass_the_nik_checks(nik: str) -> None:
    parse_nik(nik)


# Drawing a large eForm can be slow on a busy machine: no deadline, no too_slow check.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SERVICES)), st.data())
def test_any_data_drawn_from_a_demo_eform_is_accepted(slug: str, data: st.DataObject) -> None:
    """Whatever hypothesis-jsonschema draws from a demo service's schema (optional fields left
    out or not, any rows, any text, NIK and phone kinds) passes Simpul's validator."""
    eform: EForm = SERVICES[slug]
    drawn = data.draw(eform_data(eform.json_schema, eform.ui, complete=False))
    assert validate(eform.json_schema, drawn, ui=eform.ui) == {}


# --- validation: one Indonesian message per field ------------------------------------------


def test_good_data_passes() -> None:
    assert validate(SCHEMA, GOOD, ui=UI) == {}


DATE_MESSAGE = "Tanggal tidak valid; gunakan format tahun-bulan-tanggal, misalnya 2024-08-17."
PHONE_MESSAGE = (
    "Nomor telepon harus diawali 0 atau +62 dan hanya berisi angka, misalnya 081234567890."
)
NIK_DATE_MESSAGE = (
    "Tanggal lahir pada NIK (digit 7-12: 990595) bukan tanggal yang benar. "
    "Untuk perempuan, tanggal ditambah 40."
)
NIK_REGION_MESSAGE = (
    "Kode wilayah pada NIK (6 digit pertama: 999901) tidak terdaftar di Kemendagri: "
    "kabupaten/kota 9999 tidak ada."
)
ROWS = [{"nama": "A", "umur": 1}]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        pytest.param({"nama": None}, {"nama": "Wajib diisi."}, id="required"),
        pytest.param({"nama": "x" * 21}, {"nama": "Maksimal 20 karakter."}, id="too-long"),
        pytest.param({"tanggal_lahir": "2024-02-30"}, {"tanggal_lahir": DATE_MESSAGE}, id="day"),
        pytest.param({"tanggal_lahir": "17/08/2024"}, {"tanggal_lahir": DATE_MESSAGE}, id="date"),
        pytest.param(
            {"nik": "327301650595000"},
            {"nik": "NIK harus 16 digit; yang diisi 15 digit."},
            id="nik-15-digits",
        ),
        pytest.param(
            {"nik": "9999016505950003"},
            {"nik": NIK_REGION_MESSAGE},
            id="nik-region",
        ),
        pytest.param({"nik": "3273019905950003"}, {"nik": NIK_DATE_MESSAGE}, id="nik-birth-date"),
        pytest.param({"telepon": "12345"}, {"telepon": PHONE_MESSAGE}, id="phone"),
        pytest.param(
            {"alamat": {"jalan": "Jl. Dipatiukur", "kecamatan": "Coblong"}},
            {"alamat.kelurahan": "Wajib diisi."},
            id="address-child",
        ),
        pytest.param(
            {"alamat": None},
            dict.fromkeys(["alamat.jalan", "alamat.kelurahan", "alamat.kecamatan"], "Wajib diisi."),
            id="address-left-out-reported-on-its-fields",
        ),
        pytest.param(
            {"alamat": {**GOOD["alamat"], "rt": "12a"}},
            {"alamat.rt": "Harus 1 sampai 3 digit angka."},
            id="digits-pattern-in-words",
        ),
        pytest.param({"anak": [{"umur": 7}]}, {"anak.0.nama": "Wajib diisi."}, id="row-field"),
        pytest.param({"anak": [*ROWS, {"umur": 3}]}, {"anak.1.nama": "Wajib diisi."}, id="row-2"),
        pytest.param({"anak": []}, {"anak": "Isi minimal 1 baris."}, id="min-items"),
        pytest.param({"anak": ROWS * 4}, {"anak": "Maksimal 3 baris."}, id="max-items"),
        pytest.param({"jumlah": "dua belas"}, {"jumlah": "Harus berupa angka bulat."}, id="int"),
        pytest.param({"jumlah": 21}, {"jumlah": "Maksimal 20."}, id="maximum"),
        pytest.param({"luas": 0.25}, {"luas": "Minimal 0,5."}, id="decimal-minimum"),
        pytest.param(
            {"jenis_kelamin": "X"},
            {"jenis_kelamin": "Pilih salah satu pilihan yang tersedia."},
            id="choice",
        ),
        pytest.param(
            {"alamat": {**GOOD["alamat"], "rt": 3}},
            {"alamat.rt": "Harus berupa teks."},
            id="one-message-per-field-type-first",
        ),
    ],
)
def test_each_problem_gets_one_indonesian_message_on_its_path(
    change: dict[str, Any], errors: dict[str, str]
) -> None:
    data = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert validate(SCHEMA, data, ui=UI) == errors


def test_nik_inside_a_repeated_group_is_checked_too() -> None:
    schema = SERVICES["pindah-keluar"].json_schema
    data = valid_data(schema, SERVICES["pindah-keluar"].ui)
    data["anggota_pindah"][0]["nik"] = "32730165059500"
    errors = validate(schema, data, ui=SERVICES["pindah-keluar"].ui)
    assert errors == {"anggota_pindah.0.nik": "NIK harus 16 digit; yang diisi 14 digit."}


def test_messages_are_indonesian_msgids_translated_by_the_catalogue() -> None:
    """The msgids are Indonesian; English comes from locale/en, which is merged separately,
    so here the English run only has to return what the catalogue gives for the msgid."""
    data = {k: v for k, v in GOOD.items() if k != "nama"}
    assert validate(SCHEMA, data, ui=UI) == {"nama": "Wajib diisi."}
    token = i18n.current_locale.set("en")
    try:
        english = validate(SCHEMA, data, ui=UI)
    finally:
        i18n.current_locale.reset(token)
    assert english == {"nama": i18n.translations("en").gettext("Wajib diisi.")}


# --- parsing the submitted form ---------------------------------------------------------


def good_form() -> dict[str, str]:
    return to_form(SCHEMA, GOOD)


def test_to_form_and_parse_form_round_trip() -> None:
    form = good_form()
    assert form["f.alamat.kelurahan"] == "Lebakgede"
    assert form["f.anak.0.nama"] == "Nadia"
    assert form["f.setuju"] == "ya"
    assert parse_form(SCHEMA, form, ui=UI) == GOOD


@pytest.mark.parametrize(
    ("sent", "key", "value"),
    [
        pytest.param({"f.setuju": "ya"}, "setuju", True, id="checkbox-ticked"),
        pytest.param({"f.setuju": "true"}, "setuju", True, id="checkbox-true"),
        pytest.param({"f.setuju": "tidak"}, "setuju", False, id="checkbox-tidak"),
        pytest.param({"f.setuju": None}, "setuju", False, id="checkbox-absent"),
        pytest.param({"f.jumlah": " 12 "}, "jumlah", 12, id="integer"),
        pytest.param({"f.jumlah": "dua belas"}, "jumlah", "dua belas", id="integer-words-kept"),
        pytest.param({"f.luas": "2,5"}, "luas", 2.5, id="decimal-comma"),
        pytest.param({"f.luas": "9" * 400}, "luas", "9" * 400, id="absurd-number-kept"),
        pytest.param({"f.keperluan": "  Usaha\r\nmikro "}, "keperluan", "Usaha\nmikro", id="trim"),
        pytest.param({"f.nama": "   "}, "nama", None, id="empty-left-out"),
        pytest.param({"f.nik": "3273 0165-0595.0003"}, "nik", GOOD["nik"], id="nik-separators"),
        pytest.param({"f.telepon": "0812-3456 7890"}, "telepon", "081234567890", id="phone"),
    ],
)
def test_answers_are_converted_by_the_schema(sent: dict[str, Any], key: str, value: Any) -> None:
    form = {k: v for k, v in {**good_form(), **sent}.items() if v is not None}
    data = parse_form(SCHEMA, form, ui=UI)
    assert data.get(key) == value
    assert key in data or value is None


def test_unknown_form_keys_are_ignored() -> None:
    extra = {"csrf_token": "x", "_action": "add:anak", "f.rahasia": "1", "lain.nama": "Budi"}
    form = {**good_form(), **extra, "f.alamat.kota": "Jakarta", "f.anak.0.hobi": "main"}
    assert parse_form(SCHEMA, form, ui=UI) == GOOD


def test_rows_are_rebuilt_in_order_and_blank_rows_dropped() -> None:
    form = {
        **good_form(),
        "f.anak.10.nama": "Cahya",
        "f.anak.10.umur": "1",
        "f.anak.2.nama": "",
        "f.anak.2.umur": "",
        "f.anak.3.nama": "Bima",
        "f.anak.3.umur": "4",
        "f.anak.3.sekolah": "ya",
    }
    rows = parse_form(SCHEMA, form)["anak"]
    assert rows == [
        {"nama": "Nadia", "umur": 7, "sekolah": True},
        {"nama": "Bima", "umur": 4, "sekolah": True},
        {"nama": "Cahya", "umur": 1, "sekolah": False},
    ]
    kept = parse_form(SCHEMA, form, keep_blank_rows=True)["anak"]
    assert kept[1] == {"sekolah": False}


def test_optional_address_left_blank_is_left_out() -> None:
    form = {**good_form(), "f.alamat_usaha.jalan": " ", "f.alamat_usaha.kelurahan": ""}
    data = parse_form(SCHEMA, form)
    assert "alamat_usaha" not in data
    assert validate(SCHEMA, data, ui=UI) == {}


def test_starlette_form_data_with_repeated_keys() -> None:
    pairs = [*good_form().items(), ("f.nama", "Kedua")]
    assert parse_form(SCHEMA, FormData(pairs), ui=UI) == GOOD


# --- rows without JavaScript --------------------------------------------------------------


def test_add_row_appends_a_blank_row_up_to_max_items() -> None:
    data = apply_action(SCHEMA, GOOD, "add:anak")
    assert data["anak"] == [*GOOD["anak"], {}]
    assert GOOD["anak"] == [{"nama": "Nadia", "umur": 7, "sekolah": True}]  # not changed
    full = apply_action(SCHEMA, apply_action(SCHEMA, data, "add:anak"), "add:anak")
    assert len(full["anak"]) == 3
    assert "f.anak.2.nama" in render(SCHEMA, UI, full)
    assert 'value="add:anak"' not in render(SCHEMA, UI, full)
    assert 'value="add:anak"' in render(SCHEMA, UI, data)
    # The blank row shown for an empty group stays, and one more comes.
    assert apply_action(SCHEMA, {"anak": []}, "add:anak")["anak"] == [{}, {}]
    for action in ["remove:anak.9", "add:nama", "add:alamat_usaha.jalan", "remove:anak.x", "x"]:
        assert apply_action(SCHEMA, GOOD, action) == GOOD
    # Two witnesses exactly: the two rows shown are all there may be.
    assert apply_action(SERVICES["akta-perkawinan-non-muslim"].json_schema, {}, "add:saksi") == {}


def test_remove_row_removes_the_row_of_that_button() -> None:
    # The first row is blank: the button numbers are the form's, so keep blank rows.
    form = {
        **{k: v for k, v in good_form().items() if not k.startswith("f.anak")},
        "f.anak.0.nama": "",
        "f.anak.1.nama": "Bima",
        "f.anak.2.nama": "Cahya",
    }
    data = parse_form(SCHEMA, form, keep_blank_rows=True)
    after = apply_action(SCHEMA, data, "remove:anak.1")
    assert after["anak"] == [{"sekolah": False}, {"nama": "Cahya", "sekolah": False}]


def test_rows_shown_and_their_buttons() -> None:
    html = render(SCHEMA, UI, {**GOOD, "anak": [{"nama": "A"}, {"nama": "B"}]})
    page = Page(html)
    assert {"Baris 1", "Baris 2"} <= set(page.legends)
    assert 'name="_action" value="remove:anak.1" formnovalidate>Hapus baris 2</button>' in html
    assert 'value="add:anak" formnovalidate>Tambah baris</button>' in html
    # Enter in a field sends the form: the first submit button has no _action.
    assert html.startswith('<button type="submit" class="visually-hidden" tabindex="-1"')
    # One row at minItems: nothing to remove.
    assert "remove:anak" not in render(SCHEMA, UI, GOOD)
    # Rows beyond minItems may stay blank, so the browser must not insist on them.
    assert "required" in page.elements["f-f.anak.0.nama"]
    assert "required" not in page.elements["f-f.anak.1.nama"]
    # A group with no rows yet shows max(minItems, 1) of them.
    fields = build_fields(SERVICES["skt-ormas"].json_schema, {}, {}, {})
    assert [len(f.rows) for f in fields if f.path == "pengurus"] == [3]


# --- rendering ----------------------------------------------------------------------------


def test_fields_follow_the_schema_order_with_labels_hints_and_kinds() -> None:
    fields = build_fields(SCHEMA, UI, {}, {})
    assert [f.path for f in fields] == list(SCHEMA["properties"])
    assert [f.kind for f in fields] == [
        *("text", "nik", "phone", "date", "number", "number", "radio", "textarea"),
        *("checkbox", "address", "address", "group"),
    ]
    assert fields[1].hint == "16 digit sesuai KTP-el."
    assert fields[0].label == "Nama lengkap"


def test_errors_are_tied_to_their_fields() -> None:
    errors = {
        "nama": "Wajib diisi.",
        "jenis_kelamin": "Pilih salah satu pilihan yang tersedia.",
        "alamat.kelurahan": "Wajib diisi.",
        "anak.0.nama": "Wajib diisi.",
        "setuju": "Wajib dicentang.",
    }
    html = render(SCHEMA, UI, {}, errors)
    page = Page(html)
    nama = page.elements["f-f.nama"]
    assert nama["aria-invalid"] == "true"
    assert nama["aria-describedby"] == "e-f.nama"
    assert page.elements["e-f.nama"]["class"] == "error"
    assert (
        '<input id="f-f.nama" name="f.nama" type="text" value="" maxlength="20" required '
        'aria-describedby="e-f.nama" aria-invalid="true">\n  '
        '<p class="error" id="e-f.nama">Wajib diisi.</p>'
    ) in html
    nik = page.elements["f-f.nik"]
    assert nik["aria-describedby"] == "h-f.nik"
    assert "aria-invalid" not in nik
    assert page.elements["f-f.alamat.kelurahan"]["aria-describedby"] == "e-f.alamat.kelurahan"
    assert page.elements["f-f.anak.0.nama"]["aria-invalid"] == "true"
    assert page.elements["f-f.setuju"]["aria-describedby"] == "e-f.setuju"
    radio = page.elements["f-f.jenis_kelamin-1"]
    assert radio["aria-invalid"] == "true"
    assert page.labels["f-f.jenis_kelamin-1"] == "Perempuan"
    assert '<fieldset class="field radios invalid" aria-describedby="e-f.jenis_kelamin">' in html
    # The summary at the top links to each field by its id.
    summary = html[: html.index("</ul>")]
    assert 'href="#f-f.anak.0.nama">Nama anak (baris 1)</a>: Wajib diisi.' in summary
    for target in ["f-f.nama", "f-f.alamat.kelurahan", "f-f.jenis_kelamin", "f-f.setuju"]:
        assert f'href="#{target}"' in summary
        assert target in page.elements


def test_groups_addresses_and_radios_are_fieldsets_with_legends() -> None:
    page = Page(render(SCHEMA, UI, GOOD))
    legends = ["Jenis kelamin", "Alamat tinggal", "Alamat usaha (tidak wajib)", "Data anak"]
    assert page.legends == [*legends, "Baris 1"]
    assert page.elements["f-f.alamat"]["tag"] == "fieldset"
    assert page.elements["f-f.anak"]["aria-describedby"] == "h-f.anak"


def test_browser_side_checks_where_cheap() -> None:
    page = Page(render(SCHEMA, UI, {}))
    nik = page.elements["f-f.nik"]
    # Room for a pasted "3273 0165 0595 0003" and no 16-digit pattern: the server takes the
    # separators out (accounts.nik), the browser must not cut or refuse them.
    assert (nik["inputmode"], nik["maxlength"]) == ("numeric", "32")
    assert "pattern" not in nik
    assert page.elements["f-f.telepon"]["type"] == "tel"
    assert page.elements["f-f.tanggal_lahir"]["type"] == "date"
    jumlah = page.elements["f-f.jumlah"]
    assert (jumlah["type"], jumlah["min"], jumlah["max"]) == ("number", "0", "20")
    assert "step" not in jumlah
    luas = page.elements["f-f.luas"]
    assert (luas["min"], luas["step"]) == ("0.5", "any")
    assert page.elements["f-f.nama"]["maxlength"] == "20"
    assert "required" in page.elements["f-f.nama"]
    assert "required" not in page.elements["f-f.keperluan"]
    assert page.labels["f-f.keperluan"] == "Keperluan (tidak wajib)"
    assert page.elements["f-f.alamat.rt"]["inputmode"] == "numeric"
    # A required yes/no must not force the box to be ticked; an optional address may stay empty.
    assert "required" not in page.elements["f-f.setuju"]
    assert "required" not in page.elements["f-f.alamat_usaha.jalan"]
    assert "required" in page.elements["f-f.alamat.jalan"]
    # HTML anchors patterns, JSON Schema does not: an unanchored one stays on the server.
    schema = {"type": "object", "properties": {"kode": text("Kode", pattern="[0-9]")}}
    assert "pattern" not in Page(render(schema, {}, {})).elements["f-f.kode"]


def test_values_are_shown_again_and_escaped() -> None:
    html = render(SCHEMA, UI, {**GOOD, "nama": '<b>"Siti"</b>', "jumlah": "dua belas"})
    assert 'value="&lt;b&gt;&#34;Siti&#34;&lt;/b&gt;"' in html
    page = Page(html)
    assert page.elements["f-f.jumlah"]["value"] == "dua belas"
    assert "checked" in page.elements["f-f.jenis_kelamin-1"]
    assert "checked" in page.elements["f-f.anak.0.sekolah"]


# --- the quick validity check (eform_messages._quick_schema) --------------------------------


def _choice_paths(node: Any, path: str = "") -> Iterator[str]:
    """Paths of the (non-repeated) fields whose schema lists its choices with ``oneOf``."""
    if isinstance(node.get("oneOf"), list):
        yield path
    for key, child in node.get("properties", {}).items():
        yield from _choice_paths(child, f"{path}.{key}" if path else key)


def _with_value(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = changed
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return changed


@pytest.mark.parametrize("slug", sorted(SERVICES))
def test_the_quick_check_agrees_with_the_full_validation(slug: str) -> None:
    """Choices become an ``enum`` for the quick check only: the same data is valid or not, and
    an answer that is not one of the choices still gets its message."""
    eform: EForm = SERVICES[slug]
    schema, ui = eform.json_schema, eform.ui
    full, quick = _validators(json.dumps(schema))
    data = valid_data(schema, ui)
    assert quick.is_valid(data) and full.is_valid(data)
    for path in _choice_paths(schema):
        wrong = _with_value(data, path, "bukan salah satu pilihan")
        assert not quick.is_valid(wrong), path
        assert not full.is_valid(wrong), path
        assert path in validate(schema, wrong, ui=ui), path


def test_choices_become_an_enum_only_when_that_means_the_same() -> None:
    choices = [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]
    assert _quick_schema({"type": "string", "oneOf": choices}) == {
        "type": "string",
        "enum": ["a", "b"],
    }
    twice = [{"const": "a"}, {"const": "a"}]  # oneOf refuses "a" (two match); an enum would not
    assert _quick_schema({"oneOf": twice}) == {"oneOf": twice}
    more = [{"const": "a", "minLength": 3}, {"const": "b"}]  # more than a choice
    assert _quick_schema({"oneOf": more}) == {"oneOf": more}
    _full, quick = _validators(json.dumps({"oneOf": twice}))
    assert not quick.is_valid("a")


def test_a_pasted_nik_with_any_separator_is_read_as_its_digits() -> None:
    pasted = "3273 0165\u00a00595.0003"  # a no-break space, as a word processor pastes it
    assert parse_form(SCHEMA, {**good_form(), "f.nik": pasted}, ui=UI)["nik"] == GOOD["nik"]

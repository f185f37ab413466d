"""Reading the OpenAPI documents providers upload: what passes, and where a refusal points."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from simpul.core.errors import InvalidInput
from simpul.gateway.registry.openapi_docs import (
    MAX_DOCUMENT_BYTES,
    InvalidOpenApiDocument,
    location,
    parse_openapi,
    personal_parameters,
)

SAMPLE = Path(__file__).parent.parent / "samples" / "penduduk-openapi.yaml"
ENDPOINTS = [
    "GET /status",
    "GET /penduduk",
    "GET /penduduk/{nik}",
    "POST /penduduk/{nik}/verifikasi",
]


def sample() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SAMPLE.read_text())
    return data


def refusal(content: str | bytes | dict[str, Any]) -> InvalidOpenApiDocument:
    text = json.dumps(content) if isinstance(content, dict) else content
    with pytest.raises(InvalidOpenApiDocument) as caught:
        parse_openapi(text)
    return caught.value


def test_the_sample_yaml_gives_its_endpoints_in_document_order() -> None:
    parsed = parse_openapi(SAMPLE.read_bytes())
    assert [e.label for e in parsed.endpoints] == ENDPOINTS
    assert parsed.title == "Layanan Data Penduduk"
    assert parsed.version == "1.2.0"
    assert parsed.openapi_version == "3.0.3"
    nik = next(e for e in parsed.endpoints if e.path == "/penduduk/{nik}")
    assert (nik.method, nik.operation_id) == ("GET", "ambilPenduduk")
    assert nik.summary == "Data seorang penduduk menurut NIK"
    # The stored document is plain JSON data: it goes into a JSONB column as is.
    assert json.loads(json.dumps(parsed.document)) == parsed.document


def test_openapi_31_in_json_with_a_webhook_and_lower_case_methods() -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Aduan", "version": "2"},
        "paths": {
            "/aduan": {
                "post": {"operationId": "kirimAduan", "responses": {"201": {"description": "ok"}}},
                "get": {"responses": {"200": {"description": "ok"}}},
            }
        },
        "webhooks": {"aduanBaru": {"post": {"responses": {"200": {"description": "ok"}}}}},
    }
    parsed = parse_openapi(json.dumps(document).encode())
    assert [e.label for e in parsed.endpoints] == ["GET /aduan", "POST /aduan"]
    assert parsed.openapi_version == "3.1.0"
    assert parsed.endpoints[1].operation_id == "kirimAduan"
    assert parsed.endpoints[0].operation_id == ""


def test_yaml_numbers_and_dates_as_people_write_them_are_kept_as_text() -> None:
    text = SAMPLE.read_text().replace("version: 1.2.0", "version: 2024-01-31")
    text = text.replace('"200":', "200:")  # an unquoted status code is an integer in YAML
    parsed = parse_openapi(text)
    assert parsed.version == "2024-01-31"
    assert "200" in parsed.document["paths"]["/status"]["get"]["responses"]


def test_a_utf8_bom_and_indonesian_text_are_fine() -> None:
    text = SAMPLE.read_text().replace("Status layanan", "Status layanan — Disdukcapil")
    parsed = parse_openapi("\ufeff".encode() + text.encode())
    assert parsed.endpoints[0].summary == "Status layanan — Disdukcapil"


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (
            lambda d: d["paths"]["/status"]["get"].pop("responses"),
            "paths./status.get",
            "properti wajib 'responses' tidak ada",
        ),
        (
            lambda d: d["paths"]["/status"]["get"]["responses"].update({"200": {"content": {}}}),
            "paths./status.get.responses.200",
            "properti wajib 'description' tidak ada",
        ),
        (
            lambda d: d["info"].pop("title"),
            "info",
            "properti wajib 'title' tidak ada",
        ),
        (
            lambda d: d["paths"]["/penduduk"]["get"]["parameters"][0].update({"in": "body"}),
            "paths./penduduk.get.parameters[0].in",
            "nilai 'body' tidak diizinkan; pilih salah satu: path, query, header, cookie",
        ),
        (
            lambda d: d["paths"]["/status"]["get"].update({"tanggapan": {}}),
            "paths./status.get",
            "properti 'tanggapan' tidak dikenal",
        ),
        (
            lambda d: d["paths"].update({"status": d["paths"].pop("/status")}),
            "paths.status",
            "jalur harus diawali '/'",
        ),
        (
            lambda d: d["info"].update({"version": 12}),
            "info.version",
            "harus bertipe teks, bukan bilangan bulat",
        ),
        (
            lambda d: d["paths"]["/penduduk/{nik}"].pop("parameters"),
            "paths./penduduk/{nik}.get.parameters",
            "parameter jalur '{nik}' belum didefinisikan",
        ),
        (
            lambda d: d["paths"]["/penduduk"]["get"]["responses"]["200"]["content"][
                "application/json"
            ]["schema"]["items"].update({"$ref": "#/components/schemas/Warga"}),
            "paths./penduduk.get.responses.200.content.application/json.schema.items.$ref",
            "rujukan '#/components/schemas/Warga' tidak ditemukan",
        ),
        (
            lambda d: d["components"]["schemas"]["Penduduk"]["properties"].update(
                {"alamat": {"$ref": "https://contoh.go.id/skema.json"}}
            ),
            "components.schemas.Penduduk.properties.alamat.$ref",
            "menunjuk ke luar dokumen",
        ),
        (
            lambda d: d["paths"]["/penduduk/{nik}"]["get"].update({"operationId": "cekStatus"}),
            "paths./penduduk/{nik}.get.operationId",
            "operationId 'cekStatus' sudah dipakai di paths./status.get",
        ),
        (
            lambda d: d["paths"].update({"/penduduk/{id}": {"get": {"responses": {}}}}),
            "paths./penduduk/{id}.get.responses",
            "tidak boleh kosong",
        ),
        (
            lambda d: d["paths"]["/penduduk"]["get"]["parameters"][1]["schema"].update(
                {"default": "satu"}
            ),
            "paths./penduduk.get",
            "'satu' is not of type 'integer'",
        ),
        (
            lambda d: d["paths"]["/status"].update(
                {"trace": {"responses": {"200": {"description": "ok"}}}}
            ),
            "paths./status.trace",
            "TRACE",
        ),
        (
            lambda d: d.update({"paths": {}}),
            "paths",
            "tidak memuat satu pun operasi",
        ),
        (
            lambda d: d.update({"openapi": "3.2.0"}),
            "openapi",
            "gunakan OpenAPI 3.0.x atau 3.1.x",
        ),
    ],
)
def test_an_invalid_document_is_refused_saying_where(change: Any, where: str, words: str) -> None:
    document = sample()
    change(document)
    refused = refusal(document)
    assert f"{where}: " in refused.message and words in refused.message
    assert refused.details[0]["field"] == where
    assert words in refused.details[0]["message"]
    assert isinstance(refused, InvalidInput)  # one handler maps it to 422 / the form
    assert refused.field_errors()[where]


def test_parameters_marked_personal_are_found_through_references_and_overrides() -> None:
    document = sample()
    nik = {
        "name": "nik",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "x-simpul-personal": "nik",
    }
    document.setdefault("components", {})["parameters"] = {"Nik": nik}
    item = document["paths"]["/penduduk/{nik}"]
    item["get"]["parameters"] = [{"$ref": "#/components/parameters/Nik"}]
    item["get"]["parameters"].append(
        {"name": "alasan", "in": "query", "schema": {"type": "string"}, "x-simpul-personal": True}
    )
    verification = document["paths"]["/penduduk/{nik}/verifikasi"]["post"]
    verification["parameters"] = [{**nik, "x-simpul-personal": False}]
    parsed = parse_openapi(json.dumps(document))
    assert personal_parameters(parsed.document, "/penduduk/{nik}", "GET") == (
        frozenset({"nik"}),
        frozenset({"alasan"}),
    )
    assert personal_parameters(parsed.document, "/penduduk/{nik}/verifikasi", "POST") == (
        frozenset(),
        frozenset(),
    )
    assert personal_parameters(parsed.document, "/tidak-ada", "GET") == (frozenset(), frozenset())


@pytest.mark.parametrize("marked", ["NIK", "nomor induk", 16, ["nik"], {"jenis": "nik"}, ""])
def test_a_personal_mark_must_be_true_false_or_a_kind(marked: Any) -> None:
    document = sample()
    document["components"]["parameters"]["Nik"]["x-simpul-personal"] = marked
    refused = refusal(document)
    field = "paths./penduduk/{nik}.get.parameters.nik.x-simpul-personal"
    assert refused.field_errors()[field]
    assert "huruf kecil (misalnya nik)" in refused.details[0]["message"]


def test_the_same_path_twice_with_other_parameter_names_is_refused() -> None:
    document = sample()
    document["paths"]["/penduduk/{id}"] = copy.deepcopy(document["paths"]["/penduduk/{nik}"])
    refused = refusal(document)
    messages = {d["field"]: d["message"] for d in refused.details}
    # every problem is listed, not only the first
    assert "paths./penduduk/{id}.get" in messages
    assert "sama dengan paths./penduduk/{nik}.get" in messages["paths./penduduk/{id}.get"]
    assert "lain)" in refused.message


def test_a_31_schema_error_names_the_operation() -> None:
    document = sample()
    document["openapi"] = "3.1.0"
    document["paths"]["/penduduk"]["get"]["parameters"][0]["schema"] = {"type": "teks"}
    refused = refusal(document)
    assert refused.details[0]["field"] == "paths./penduduk.get"


def test_swagger_2_is_refused_with_the_way_out() -> None:
    refused = refusal({"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}})
    assert refused.details[0]["field"] == "swagger"
    assert "Swagger 2.0 tidak didukung" in refused.message
    assert "OpenAPI 3" in refused.message


@pytest.mark.parametrize(
    ("content", "where", "words"),
    [
        (
            SAMPLE.read_text().replace("openapi: 3.0.3", "openapi: 3.0"),
            "openapi",
            "dalam tanda kutip",
        ),
        ("info:\n  title: x\n", "openapi", "wajib ada"),
        ('{"openapi": "3.0.3",\n  "info": }', "baris 2, kolom 11", "JSON tidak sah"),
        ("openapi: 3.0.3\npaths:\n  /a: [\n", "baris 4, kolom 1", "YAML tidak sah"),
        ("openapi: '3.0.3'\nopenapi: '3.1.0'\n", "baris 2, kolom 1", "muncul dua kali"),
        ('{"openapi": "3.0.3", "openapi": "3.1.0"}', "akar dokumen", "muncul dua kali"),
        ("a: &satu [1, 2]\nb: *satu\n", "baris 2, kolom 4", "alias YAML"),
        ("- satu\n- dua\n", "akar dokumen", "harus berupa objek"),
        ("   \n", "akar dokumen", "berkas kosong"),
        (b"openapi: \xff\n", "bita ke-10", "bukan teks UTF-8"),
        ('{"openapi": "3.0.3", "x": NaN}', "akar dokumen", "NaN"),
        ("openapi: '3.0.3'\nx-angka: .inf\n", "x-angka", "NaN dan tak hingga"),
        ("a:" + " [" * 5000, "akar dokumen", "terlalu dalam"),
    ],
)
def test_unreadable_files_are_refused_with_the_line_or_place(
    content: str | bytes, where: str, words: str
) -> None:
    refused = refusal(content)
    assert refused.details[0]["field"] == where, refused.message
    assert words in refused.message


def test_a_document_over_2_mb_is_refused_before_it_is_parsed() -> None:
    big = sample()
    big["info"]["description"] = "x" * MAX_DOCUMENT_BYTES
    refused = refusal(big)
    assert "melebihi batas 2 MB" in refused.message
    assert refused.details[0]["field"] == "ukuran berkas"


def test_location_names_list_items_by_index() -> None:
    assert location(["paths", "/pets/{id}", "get", "parameters", 0, "in"]) == (
        "paths./pets/{id}.get.parameters[0].in"
    )
    assert location([]) == ""

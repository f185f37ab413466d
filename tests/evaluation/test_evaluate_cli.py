"""``simpul evaluate ikm|spbe|smartcity``: files in, JSON out, no server or database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simpul.cli import app

SIMPUL = Path(sys.executable).parent / "simpul"

KEDIRI = {
    "components": {
        "baseline": 3.60,
        "output": 3.21,
        "outcome": 3.23,
        "impact": 3.07,
        "quick_win": 3.65,
    },
    "previous_index": 3.06,
}
HEADER = "u1,u2,u3,u4,u5,u6,u7,u8,u9"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["evaluate", *args])
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> dict[str, Any]:
    code, out, err = run(*args)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def refused(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    return " ".join(err.split())


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def write_json(tmp_path: Path, name: str, data: object) -> str:
    return write(tmp_path, name, json.dumps(data))


def levels_file(tmp_path: Path, levels: dict[int, object], **extra: object) -> str:
    return write_json(
        tmp_path, "spbe.json", {"levels": {str(k): v for k, v in levels.items()}, **extra}
    )


# --- IKM --------------------------------------------------------------------------------------


def test_ikm_all_fours(tmp_path: Path) -> None:
    file = write(tmp_path, "skm.csv", HEADER + "\n" + "4,4,4,4,4,4,4,4,4\n" * 3)
    assert ok("ikm", file) == {
        "ikm": 100.0,
        "grade": "A",
        "label": "Sangat Baik",
        "respondents": 3,
        "elements": [4.0] * 9,
    }


def test_ikm_all_threes(tmp_path: Path) -> None:
    file = write(tmp_path, "skm.csv", HEADER + "\n" + "3,3,3,3,3,3,3,3,3\n" * 4)
    data = ok("ikm", file)
    assert (data["ikm"], data["grade"], data["label"]) == (75.0, "C", "Kurang Baik")


def test_ikm_mixed_excel_export_semicolons_bom_crlf_blank_tail(tmp_path: Path) -> None:
    content = (
        "\ufeffU1;U2;U3;U4;U5;U6;U7;U8;U9\r\n"
        "4;4;4;4;4;4;4;4;4\r\n"
        "3;3;3;3;3;3;3;3;3\r\n"
        "1;2;3;4;1;2;3;4;2\r\n"
        "\r\n"
        ";;;;;;;;\r\n"
    )
    file = write(tmp_path, "skm.csv", content.encode("utf-8"))
    data = ok("ikm", file)
    # Sum of all answers 85 over 27 -> 85 / 27 * 25 = 78.7037 -> 78.70 (B).
    assert data["ikm"] == 78.70
    assert (data["grade"], data["respondents"]) == ("B", 3)
    assert data["elements"] == [2.67, 3.0, 3.33, 3.67, 2.67, 3.0, 3.33, 3.67, 3.0]


def test_ikm_columns_in_any_order(tmp_path: Path) -> None:
    file = write(tmp_path, "skm.csv", "u9,u8,u7,u6,u5,u4,u3,u2,u1\n1,1,1,1,1,1,1,1,4\n")
    assert ok("ikm", file)["elements"] == [4.0] + [1.0] * 8


def test_ikm_with_population_reports_the_sample(tmp_path: Path) -> None:
    file = write(tmp_path, "skm.csv", HEADER + "\n" + "4,3,4,3,4,3,4,3,4\n" * 80)
    data = ok("ikm", file, "--population", "100")
    assert data["sample"] == {"population": 100, "minimum_sample": 80, "sufficient": True}
    data = ok("ikm", file, "--population", "1000")
    assert data["sample"] == {"population": 1000, "minimum_sample": 278, "sufficient": False}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("4,4,4,4,4,4,4,4,4\n4,4,4,5,4,4,4,4,4\n", "baris 3: Responden 2, unsur U4: jawaban 5"),
        ("4,4,4,4,4,4,4,4,4\n4,4,4,4,4,4,4,4,x\n", "baris 3: Responden 2, unsur U9"),
        ("4,4,4,4,4,4,3.5,4,4\n", "baris 2: Responden 1, unsur U7: jawaban harus bilangan bulat"),
        ("4,4,4,4,,4,4,4,4\n", "baris 2: Responden 1, unsur U5: jawaban kosong"),
        ("4,4,4,4,4,4,4,4\n", "baris 2: Responden 1 memberi 8 jawaban"),
        ("4,4,4,4,4,4,4,4,4\n\n4,4,4,4,4,4,4,4,4\n", "baris 3: Responden 2 memberi 0 jawaban"),
        ("", "Tidak ada responden"),
    ],
)
def test_ikm_bad_rows_are_named(tmp_path: Path, body: str, fragment: str) -> None:
    file = write(tmp_path, "skm.csv", HEADER + "\n" + body)
    assert fragment in refused("ikm", file)


@pytest.mark.parametrize(
    "header", ["u1,u2,u3,u4,u5,u6,u7,u8", "u1,u2,u3,u4,u5,u6,u7,u8,u9,u10", "a,b,c", "u1,u1"]
)
def test_ikm_bad_header_is_refused(tmp_path: Path, header: str) -> None:
    file = write(tmp_path, "skm.csv", header + "\n4,4,4,4,4,4,4,4,4\n")
    assert "Baris judul" in refused("ikm", file)


def test_ikm_empty_file_and_bad_encoding(tmp_path: Path) -> None:
    assert "kosong" in refused("ikm", write(tmp_path, "empty.csv", "\n\n"))
    assert "bukan teks UTF-8" in refused("ikm", write(tmp_path, "latin.csv", b"u1\xe9\n"))


# --- SPBE -------------------------------------------------------------------------------------


def test_spbe_all_levels_three(tmp_path: Path) -> None:
    data = ok("spbe", levels_file(tmp_path, dict.fromkeys(range(1, 48), 3)))
    assert (data["ruleset"], data["index"], data["predicate"]) == ("spbe-2020", 3.0, "Baik")
    assert [d["code"] for d in data["domains"]] == ["D1", "D2", "D3", "D4"]
    assert data["domains"][0] == {
        "code": "D1",
        "name": "Kebijakan Internal SPBE",
        "weight": 13.0,
        "index": 3.0,
    }
    assert len(data["aspects"]) == 8


def test_spbe_mixed_levels_computed_by_hand(tmp_path: Path) -> None:
    levels = {n: 1 if n <= 10 else 2 if n <= 20 else 3 if n <= 31 else 4 for n in range(1, 48)}
    levels.update(dict.fromkeys(range(42, 48), 5))
    # Weights per indicator: 1-10 1.3, 11-20 2.5, 21-31 1.5, 32-41 2.75, 42-47 3.0.
    expected = (10 * 1.3 * 1 + 10 * 2.5 * 2 + 11 * 1.5 * 3 + 10 * 2.75 * 4 + 6 * 3.0 * 5) / 100
    assert expected == pytest.approx(3.125)
    data = ok("spbe", levels_file(tmp_path, levels, ruleset="spbe-2020"))
    assert data["index"] == 3.13  # 3.125 rounded half-up
    assert data["predicate"] == "Baik"
    assert [d["index"] for d in data["domains"]] == [1.0, 2.0, 3.0, 4.4]
    assert data["domains"][3]["weight"] == 45.5


def test_spbe_all_levels_five_is_memuaskan(tmp_path: Path) -> None:
    data = ok("spbe", levels_file(tmp_path, dict.fromkeys(range(1, 48), 5)))
    assert (data["index"], data["predicate"]) == (5.0, "Memuaskan")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"48": 3}, "Indikator 48 tidak ada"),
        ({"12": 6}, "Indikator 12 (Tingkat Kematangan"),
        ({"12": 0}, "tingkat 0 di luar rentang 1-5"),
        ({"12": 2.5}, "tingkat harus bilangan bulat 1-5"),
        ({"12": "3"}, "tingkat harus bilangan bulat 1-5"),
        ({"dua": 3}, 'nomor indikator "dua" bukan bilangan bulat'),
    ],
)
def test_spbe_bad_levels_are_named(
    tmp_path: Path, change: dict[str, object], fragment: str
) -> None:
    levels: dict[str, object] = {str(n): 3 for n in range(1, 48)}
    levels.update(change)
    file = write_json(tmp_path, "spbe.json", {"levels": levels})
    assert fragment in refused("spbe", file)


def test_spbe_missing_indicators_are_named(tmp_path: Path) -> None:
    file = levels_file(tmp_path, {n: 3 for n in range(1, 48) if n not in (30, 44)})
    message = refused("spbe", file)
    assert "2 indikator: 30, 44" in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({}, '"levels" harus berupa objek'),
        ({"levels": [3, 3]}, '"levels" harus berupa objek'),
        ([1, 2], "satu objek JSON"),
        ({"levels": {"1": 3}, "ruleset": "spbe-1999"}, "spbe-1999 tidak dikenal"),
        ({"levels": {"1": 3}, "ruleset": 2020}, '"ruleset" harus berupa teks'),
    ],
)
def test_spbe_bad_document_is_refused(tmp_path: Path, data: object, fragment: str) -> None:
    assert fragment in refused("spbe", write_json(tmp_path, "spbe.json", data))


# --- Smart city -------------------------------------------------------------------------------


def test_smartcity_kediri(tmp_path: Path) -> None:
    data = ok("smartcity", write_json(tmp_path, "kediri.json", KEDIRI))
    assert data["index"] == 3.31
    assert data["improvement"] == 0.25
    assert data["weights"] == {
        "baseline": 10.0,
        "output": 20.0,
        "outcome": 30.0,
        "impact": 20.0,
        "quick_win": 20.0,
    }


def test_smartcity_without_previous_index_and_with_weights(tmp_path: Path) -> None:
    document = {
        "components": {"baseline": 1, "output": 2, "outcome": 3, "impact": 4, "quick_win": 5},
        "weights": dict.fromkeys(["baseline", "output", "outcome", "impact", "quick_win"], 20),
    }
    data = ok("smartcity", write_json(tmp_path, "sc.json", document))
    assert data["index"] == 3.0
    assert "improvement" not in data


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"components": {"baseline": 3.6}}, "komponen output, outcome, impact, quick_win belum"),
        ({"components": {**KEDIRI["components"], "impact": 6}}, "Nilai impact 6 di luar skala"),
        ({"components": {**KEDIRI["components"], "impact": "3"}}, "impact harus berupa angka"),
        ({"components": [3.6]}, '"components" harus berupa objek'),
        ({"weights": [10, 20]}, '"weights" harus berupa objek'),
        (
            {
                "weights": {
                    "baseline": 10,
                    "output": 20,
                    "outcome": 30,
                    "impact": 20,
                    "quick_win": 10,
                }
            },
            "berjumlah 90, seharusnya 100",
        ),
        ({"previous_index": "3.06"}, "previous_index harus berupa angka"),
    ],
)
def test_smartcity_bad_input_is_named(
    tmp_path: Path, change: dict[str, object], fragment: str
) -> None:
    document = {**KEDIRI, **change}
    assert fragment in refused("smartcity", write_json(tmp_path, "sc.json", document))


# --- Files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["ikm", "spbe", "smartcity"])
def test_missing_file_is_refused(tmp_path: Path, command: str) -> None:
    assert "tidak ditemukan" in refused(command, str(tmp_path / "nope.file"))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"levels": {"1": 3,}}', "bukan JSON yang sah (baris 1"),
        ("", "bukan JSON yang sah"),
        ('{"components": {"baseline": NaN}}', "hanya menerima angka biasa"),
    ],
)
@pytest.mark.parametrize("command", ["spbe", "smartcity"])
def test_invalid_json_is_refused(tmp_path: Path, command: str, content: str, fragment: str) -> None:
    assert fragment in refused(command, write(tmp_path, "bad.json", content))


def test_directory_instead_of_file_is_refused(tmp_path: Path) -> None:
    assert "tidak dapat dibaca" in refused("spbe", str(tmp_path))


# --- The installed command --------------------------------------------------------------------


def test_installed_command_prints_json(tmp_path: Path) -> None:
    file = write_json(tmp_path, "kediri.json", KEDIRI)
    completed = subprocess.run(
        [str(SIMPUL), "evaluate", "smartcity", file],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "index": 3.31,
        "improvement": 0.25,
        "weights": {
            "baseline": 10.0,
            "output": 20.0,
            "outcome": 30.0,
            "impact": 20.0,
            "quick_win": 20.0,
        },
    }


def test_installed_command_refuses_bad_ikm_on_stderr(tmp_path: Path) -> None:
    file = write(tmp_path, "skm.csv", HEADER + "\n4,4,4,4,4,4,4,4,0\n")
    completed = subprocess.run(
        [str(SIMPUL), "evaluate", "ikm", file],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "SIMPUL_LANG": "id"},
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Responden 1, unsur U9: jawaban 0 di luar rentang 1-4" in completed.stderr

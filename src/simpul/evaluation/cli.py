"""``simpul evaluate ...``: run the evaluation calculators on files, without server or database.

``evaluate ikm FILE.csv`` scores a satisfaction survey (header ``u1..u9``, one respondent per
row; comma or semicolon separated, UTF-8 with or without BOM). ``evaluate spbe FILE.json``
scores an SPBE self-assessment (``{"levels": {"1": 3, ...}}``). ``evaluate smartcity FILE.json``
computes the smart city index (``{"components": {...}, "previous_index": 3.06}``). Each prints
its result as JSON on stdout and exits 0; on input that cannot be read or scored it prints an
Indonesian message naming the row, element, indicator or field on stderr, nothing on stdout,
and exits 2. The main CLI mounts ``evaluate_app``.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from simpul.core.i18n import _

if TYPE_CHECKING:
    from simpul.evaluation.spbe import GroupIndex

__all__ = ["INPUT_ERROR", "evaluate_app"]

INPUT_ERROR = 2

evaluate_app = typer.Typer(
    help="Compute IKM, SPBE and smart city indices from files; prints JSON.",
    no_args_is_help=True,
)


@evaluate_app.callback()
def _evaluate() -> None:
    """Evaluation calculators: IKM, SPBE index, smart city index."""


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=INPUT_ERROR)


def _print(result: dict[str, Any]) -> None:
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        _fail(_("Berkas %(file)s tidak ditemukan.") % {"file": path})
    except OSError as exc:
        _fail(
            _("Berkas %(file)s tidak dapat dibaca: %(error)s.")
            % {"file": path, "error": exc.strerror or exc}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail(_("Berkas %(file)s bukan teks UTF-8.") % {"file": path})


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(name)


def _read_json_object(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        _fail(
            _("Berkas %(file)s bukan JSON yang sah (baris %(line)d, kolom %(column)d): %(error)s.")
            % {"file": path, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
        )
    except ValueError as exc:
        _fail(
            _("Berkas %(file)s berisi %(value)s; JSON di sini hanya menerima angka biasa.")
            % {"file": path, "value": exc}
        )
    if not isinstance(data, dict):
        _fail(_("Berkas %(file)s harus berisi satu objek JSON ({...}).") % {"file": path})
    return data


def _number(value: Decimal | float) -> float:
    return float(value)


# --- IKM --------------------------------------------------------------------------------------


def _ikm_rows(path: Path) -> list[list[Any]]:
    """The answers of a survey CSV, columns in u1..u9 order; cells that are not integers are
    passed on as text so the calculator names the respondent and element."""
    from simpul.evaluation.ikm import element_codes

    text = _read_text(path)
    lines = text.splitlines()
    header_line = lines[0] if lines else ""
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        _fail(_("Berkas %(file)s kosong; baris pertama harus u1 sampai u9.") % {"file": path})
    header = [cell.strip().lower() for cell in rows[0]]
    codes = element_codes()
    unknown = [name for name in header if name not in codes]
    missing = [code for code in codes if code not in header]
    duplicate = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or duplicate:
        _fail(
            _(
                "Baris judul %(file)s harus memuat kolom u1 sampai u9 masing-masing sekali "
                "(ditemukan: %(header)s)."
            )
            % {"file": path, "header": ", ".join(rows[0]) or "-"}
        )
    positions = [header.index(code) for code in codes]
    answers: list[list[Any]] = []
    for row in rows[1:]:
        if len(row) != len(codes):
            # The calculator reports the count; pass the row as it is.
            answers.append([_cell(cell) for cell in row])
            continue
        answers.append([_cell(row[position]) for position in positions])
    return answers


def _cell(cell: str) -> int | str:
    text = cell.strip()
    try:
        return int(text)
    except ValueError:
        return text


@evaluate_app.command("ikm")
def ikm(
    file: Annotated[Path, typer.Argument(help="Survey CSV: header u1..u9, answers 1-4.")],
    population: Annotated[
        int | None,
        typer.Option(min=0, help="People served in the period: adds the Krejcie-Morgan sample."),
    ] = None,
) -> None:
    """Compute the IKM (PermenPANRB 14/2017) of a survey CSV."""
    from simpul.evaluation.ikm import (
        IkmInputError,
        compute_ikm,
        krejcie_morgan,
        sample_sufficient,
    )

    rows = _ikm_rows(file)
    try:
        result = compute_ikm(rows)
    except IkmInputError as exc:
        if exc.row is None:
            _fail(_("%(file)s: %(message)s") % {"file": file, "message": exc.message})
        _fail(
            _("%(file)s baris %(line)d: %(message)s")
            % {"file": file, "line": exc.row + 1, "message": exc.message}
        )
    output: dict[str, Any] = {
        "ikm": result.ikm,
        "grade": result.grade,
        "label": result.label,
        "respondents": result.respondents,
        "elements": list(result.elements),
    }
    if population is not None:
        output["sample"] = {
            "population": population,
            "minimum_sample": krejcie_morgan(population),
            "sufficient": sample_sufficient(result.respondents, population),
        }
    _print(output)


# --- SPBE -------------------------------------------------------------------------------------


@evaluate_app.command("spbe")
def spbe(
    file: Annotated[
        Path, typer.Argument(help='Self-assessment JSON: {"levels": {"1": 3, ..., "47": 4}}.')
    ],
) -> None:
    """Compute the SPBE index (PermenPANRB 59/2020) of a self-assessment."""
    from simpul.evaluation.spbe import (
        DEFAULT_RULESET,
        RuleSetError,
        SpbeInputError,
        compute_index,
        load_ruleset,
    )

    data = _read_json_object(file)
    code = data.get("ruleset", DEFAULT_RULESET)
    if not isinstance(code, str):
        _fail(_('%(file)s: "ruleset" harus berupa teks, mis. "spbe-2020".') % {"file": file})
    raw_levels = data.get("levels")
    if not isinstance(raw_levels, dict):
        _fail(
            _('%(file)s: "levels" harus berupa objek {"1": 3, ...} berisi tingkat tiap indikator.')
            % {"file": file}
        )
    levels: dict[int, Any] = {}
    for key, value in raw_levels.items():
        number = key.strip()
        if not number.isdigit():
            _fail(
                _("%(file)s: nomor indikator %(key)s bukan bilangan bulat.")
                % {"file": file, "key": json.dumps(key, ensure_ascii=False)}
            )
        levels[int(number)] = value
    try:
        ruleset = load_ruleset(code)
        result = compute_index(levels, ruleset)
    except (RuleSetError, SpbeInputError) as exc:
        _fail(_("%(file)s: %(message)s") % {"file": file, "message": exc})
    _print(
        {
            "ruleset": result.ruleset,
            "index": result.index,
            "predicate": result.predicate,
            "domains": [_group(group) for group in result.domains],
            "aspects": [_group(group) for group in result.aspects],
        }
    )


def _group(group: GroupIndex) -> dict[str, Any]:
    return {
        "code": group.code,
        "name": group.name,
        "weight": _number(group.weight),
        "index": group.index,
    }


# --- Smart city -------------------------------------------------------------------------------


@evaluate_app.command("smartcity")
def smartcity(
    file: Annotated[
        Path,
        typer.Argument(
            help='JSON: {"components": {"baseline": 3.6, ...}, "previous_index": 3.06}.'
        ),
    ],
) -> None:
    """Compute the smart city index and its improvement over the previous year."""
    from simpul.evaluation.smartcity import SmartCityInputError, compute_index

    data = _read_json_object(file)
    components = data.get("components")
    if not isinstance(components, dict):
        _fail(
            _('%(file)s: "components" harus berupa objek {"baseline": 3.6, ...}.') % {"file": file}
        )
    weights = data.get("weights")
    if weights is not None and not isinstance(weights, dict):
        _fail(_('%(file)s: "weights" harus berupa objek {"baseline": 10, ...}.') % {"file": file})
    try:
        result = compute_index(components, weights, data.get("previous_index"))
    except SmartCityInputError as exc:
        _fail(_("%(file)s: %(message)s") % {"file": file, "message": exc.message})
    output: dict[str, Any] = {"index": result.index}
    if result.improvement is not None:
        output["improvement"] = result.improvement
    output["weights"] = {key: _number(value) for key, value in result.weights.items()}
    _print(output)

"""The layers of decision 0033, as `make lint` checks them with import-linter.

The contracts live in pyproject.toml. These tests show they bite (a copy of the source with a
route that imports a repository and a domain that imports another's repository fails, naming
the contracts) and that they reach every route and repository module, so a new module cannot
fall outside the rule by its name.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "simpul"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(pythonpath), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _matches(module: str, expression: str) -> bool:
    """import-linter's module expressions: ``*`` is one name, ``**`` one or more."""
    pattern = r"\.".join(
        r"[^.]+(?:\.[^.]+)*" if part == "**" else r"[^.]+" if part == "*" else re.escape(part)
        for part in expression.split(".")
    )
    return re.fullmatch(pattern, module) is not None


def _covered(module: str, expressions: Iterable[str]) -> bool:
    return any(_matches(module, e) for e in expressions)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)


def test_the_source_keeps_the_layers() -> None:
    result = _lint_imports(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_route_that_queries_and_a_domain_that_reads_another_repository_fail(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source / "simpul", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (source / "simpul" / "inventory" / "pages.py").open("a", encoding="utf-8") as f:
        f.write("\nfrom simpul.inventory import repository as _probe  # noqa\n")
    with (source / "simpul" / "evaluation" / "scope.py").open("a", encoding="utf-8") as f:
        f.write("\nfrom simpul.catalogue import repository as _probe  # noqa\n")
    with (source / "simpul" / "core" / "text.py").open("a", encoding="utf-8") as f:
        f.write("\nimport simpul.catalogue.service as _probe  # noqa\n")

    result = _lint_imports(tmp_path, source)

    assert result.returncode == 1, result.stdout + result.stderr
    contracts = _contracts()
    out = " ".join(result.stdout.split())
    for contract in ("routes", "domains", "core"):
        assert f"{' '.join(contracts[contract]['name'].split())} BROKEN" in out, out
    assert "simpul.inventory.pages -> simpul.inventory.repository" in out
    assert "simpul.evaluation.scope -> simpul.catalogue.repository" in out
    assert "simpul.core.text -> simpul.catalogue.service" in out


def test_every_route_module_is_a_source_of_the_routes_contract() -> None:
    sources = _contracts()["routes"]["source_modules"]
    routes = [
        _module_name(path)
        for path in SOURCE.rglob("*.py")
        if re.search(r"\bAPIRouter\(", path.read_text(encoding="utf-8"))
    ]
    assert routes
    # web/app.py assembles the app: it includes the routers, it is not one.
    outside = [m for m in routes if not _covered(m, sources) and m != "simpul.web.app"]
    assert outside == [], "route modules the contract does not name (add them to pyproject)"


def test_every_repository_module_is_forbidden_to_routes_and_other_domains() -> None:
    contracts = _contracts()
    repositories = [
        _module_name(path)
        for path in SOURCE.rglob("*.py")
        if path.stem == "repository" or path.stem.endswith("_repository")
    ]
    assert "simpul.core.repository" in repositories
    for contract in ("routes", "domains"):
        forbidden = contracts[contract]["forbidden_modules"]
        assert [m for m in repositories if not _covered(m, forbidden)] == [], contract


def _packages() -> set[str]:
    return {
        f"simpul.{path.name}"
        for path in SOURCE.iterdir()
        if (path / "__init__.py").exists() and path.name != "locale"
    }


def test_every_package_is_held_by_the_domain_contracts() -> None:
    contracts = _contracts()
    # demo seeds every domain's tables for `make demo`: it is outside the domains' rule.
    assert _packages() - {"simpul.demo"} <= set(contracts["domains"]["source_modules"])
    assert _packages() - {"simpul.core"} <= set(contracts["core"]["forbidden_modules"])


#: Session methods that read or write the database. A route holds a Session only to pass it on;
#: an import contract cannot see ``session.get(...)`` (it needs no sqlalchemy import), this can.
QUERY_METHODS = frozenset(
    {"execute", "scalar", "scalars", "get", "query", "add", "add_all", "delete", "merge", "flush"}
)


def _session_calls(path: Path) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} session.{node.func.attr}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in QUERY_METHODS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"session", "db"}
    ]


def test_no_route_uses_its_session_itself() -> None:
    calls = [
        call
        for path in SOURCE.rglob("*.py")
        if re.search(r"\bAPIRouter\(", path.read_text(encoding="utf-8"))
        for call in _session_calls(path)
    ]
    assert calls == [], "routes call a service; the service's repository queries"

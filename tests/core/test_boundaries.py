"""Applications and documents reach each other only through the other's public module
(``service``) and the events of ``simpul.core.events`` (decision 0029)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "simpul"

#: domain -> the other domains' modules it may import (their public API).
ALLOWED = {
    "applications": {"documents": {"simpul.documents.service"}},
    "documents": {"applications": {"simpul.applications.service"}},
}


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, with ``from package import module`` as the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _reaches(module: str, domain: str) -> bool:
    return module.startswith(f"simpul.{domain}.") or module == f"simpul.{domain}"


@pytest.mark.parametrize("domain", sorted(ALLOWED))
def test_a_domain_imports_the_other_only_through_its_service_module(domain: str) -> None:
    wrong = []
    for path in sorted((SRC / domain).rglob("*.py")):
        for module in sorted(_imports(path)):
            for other, public in ALLOWED[domain].items():
                if _reaches(module, other) and not any(
                    module == p or module.startswith(p + ".") for p in public
                ):
                    wrong.append(f"{path.relative_to(SRC)}: {module}")
    assert wrong == []


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from simpul.documents import issuing\nfrom simpul.documents.service import x\n"
    )
    assert _imports(module) == {"simpul.documents.issuing", "simpul.documents.service.x"}

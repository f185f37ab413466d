"""axe-core (from the npm package, run inside Chromium) finds no serious accessibility problem
on the pages citizens use most, in Indonesian and in English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/kota-bandung",
    "/kota-bandung/layanan",
    "/kota-bandung/layanan?q=akta+lahir",
    "/kota-bandung/layanan?tampil=peristiwa",
    "/kota-bandung/instansi/disdukcapil",
    "/kota-bandung/daftar",
    "/kota-bandung/masuk",
]


#: The rendered size, in CSS px, of every label of the page's charts (a chart's text scales
#: with its SVG: drawn at its natural size, it keeps the size the page sets).
CHART_LABEL_SIZES = """() => Array.from(document.querySelectorAll('figure.chart svg')).flatMap(
svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Array.from(svg.querySelectorAll('text')).map(
    t => parseFloat(getComputedStyle(t).fontSize) * scale);
})"""


def serious_violations(page: Page) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the page's CSP rightly refuses injected scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_citizen_pages_pass_axe(phone: Page) -> None:
    assert AXE.exists(), "run `make install` (npm ci) to install axe-core"
    page = phone
    slug = "akta-kelahiran"
    found: dict[str, list[dict[str, Any]]] = {}
    first = page.goto("/kota-bandung/layanan?q=akta+lahir")
    assert first is not None and first.ok
    href = page.locator("#hasil li.service-item a").first.get_attribute("href")
    for path in [*PAGES, href or f"/kota-bandung/layanan/{slug}"]:
        page.goto(path)
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    # The registration form with errors shown.
    page.goto("/kota-bandung/daftar")
    page.get_by_role("button", name="Buat akun").click()
    problems = serious_violations(page)
    if problems:
        found["/kota-bandung/daftar (errors)"] = problems
    # The same in English.
    page.goto("/lang/en?next=/kota-bandung/layanan")
    problems = serious_violations(page)
    if problems:
        found["/kota-bandung/layanan (en)"] = problems
    page.goto("/lang/id?next=/kota-bandung")
    assert not found, found

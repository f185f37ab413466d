"""The catalogue on a phone: the search first, the groups folded, the page short, and the
search still reaching every service (the whole catalogue unfolded was 23,649 px tall)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
#: Two screens and a half of a 390 x 844 phone.
MAX_HEIGHT = 3000


def _height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def _service_links(page: Page) -> dict[str, str]:
    links = page.locator("details.group .group-services a")
    return {
        str(links.nth(i).get_attribute("href")): links.nth(i).inner_text()
        for i in range(links.count())
    }


def test_catalogue_fits_a_phone_and_search_still_finds_everything(
    phone: Page, screenshots: Path
) -> None:
    page = phone
    page.goto(f"{REGION}/layanan")
    height = _height(page)
    assert height < MAX_HEIGHT, f"the catalogue is {height} px tall on a phone"
    search = page.get_by_role("searchbox")
    groups = page.locator("details.group")
    assert groups.count() >= 25
    # The search comes before every group; every group is folded.
    assert search.bounding_box()["y"] < groups.first.bounding_box()["y"]  # type: ignore[index]
    assert page.locator("details.group[open]").count() == 0
    page.screenshot(path=screenshots / "35-katalog-ponsel.png", full_page=True)
    assert serious_violations(page) == []

    by_agency = _service_links(page)
    assert len(by_agency) >= 70, "every published service is in one of the groups"

    # A group unfolds to its services.
    first = groups.first
    first.locator("summary").click()
    expect(first.locator(".group-services a").first).to_be_visible()

    # By life event: the same services, a service in one group or more.
    page.get_by_role("link", name="Menurut peristiwa hidup").click()
    expect(page).to_have_url(re.compile(r"kelompok=peristiwa"))
    assert _height(page) < MAX_HEIGHT
    assert page.locator("details.group").count() >= 10
    assert set(_service_links(page)) == set(by_agency)
    assert serious_violations(page) == []
    page.locator("#peristiwa-bangunan summary").click()
    expect(
        page.locator("#peristiwa-bangunan").get_by_role("link", name=re.compile("PBG"))
    ).to_be_visible()

    # The search finds every service by its name, as it did when all were on one page.
    for href, name in by_agency.items():
        answer = page.request.get(f"{REGION}/layanan", params={"q": name})
        assert f'href="{href}"' in answer.text(), f"searching {name!r} misses it"


def test_search_by_former_name_on_a_phone(phone: Page) -> None:
    page = phone
    page.goto(f"{REGION}/layanan")
    search = page.get_by_role("searchbox")
    search.fill("imb")
    search.press("Enter")
    first = page.locator("#hasil li.service-item a").first
    expect(first).to_contain_text("Persetujuan Bangunan Gedung")
    search = page.get_by_role("searchbox")
    search.fill("kartu kuning")
    search.press("Enter")
    expect(page.locator("#hasil li.service-item a").first).to_contain_text("Pencari Kerja")
    assert _height(page) < MAX_HEIGHT

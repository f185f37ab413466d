"""The demo inventory reads like Kota Bandung's: 394 apps, its status split, ten a year."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy.orm import Session

from simpul.demo.gateway import PROVIDER_APP
from simpul.demo.inventory import demo_inventory_rows, seed_demo_inventory
from simpul.demo.seed import seed_demo
from simpul.inventory import repository
from simpul.inventory import service as inventory


def test_demo_rows_pass_the_import_checks_and_match_bandungs_counts(session: Session) -> None:
    seeded = seed_demo(session)  # the demo seed imports the inventory through import_apps
    region = seeded.region
    assert seeded.apps == 394
    again = inventory.import_apps(session, region, demo_inventory_rows(), all_or_nothing=True)
    assert again.problems == [] and again.created == 0 and again.updated == 394

    # Bandung's 2017 count, plus Simpul itself: the provider the demo gateway serves.
    assert repository.count_apps_by(session, region.id, "status") == {
        "operating": 239 + 1,
        "in_development": 122,
        "retired": 33,
    }
    apps = [a for a in repository.list_all_apps(session, region.id) if a.code != PROVIDER_APP]
    assert len(apps) == 394
    integrated = Counter(a.integrated_on.year for a in apps if a.integrated_on)
    assert integrated == {2022: 10, 2023: 10, 2024: 10, 2025: 10}
    planned = Counter(a.planned_year for a in apps if a.planned_year)
    assert planned == {2026: 10, 2027: 10}
    owners = Counter(a.agency_id for a in apps)
    assert len(owners) == 27  # every demo agency owns some apps
    running = [a for a in apps if a.status.value == "operating"]
    site = re.compile(r"^https://[a-z0-9]+(-[a-z0-9]+)*\.bandung\.go\.id(/|$)")
    assert all(site.match(a.url) for a in running)
    assert not any(a.url for a in apps if a.status.value != "operating")


def test_demo_rows_are_the_same_every_time() -> None:
    assert demo_inventory_rows() == demo_inventory_rows()


def test_seed_imports_only_into_an_empty_inventory(session: Session) -> None:
    first = seed_demo(session)
    assert first.apps == 394
    assert seed_demo_inventory(session, first.region) == 0
    assert seed_demo(session).apps == 0
    assert repository.count_apps(session, first.region.id) == 394 + 1  # and Simpul itself

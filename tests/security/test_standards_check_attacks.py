"""Attacks on the standards check (decision 0046): another region's services, markup in a
standard's text shown back on the admin page, a reader without edit rights, and text built to
make the check's patterns backtrack."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.catalogue.service import (
    import_catalogue,
    published_service_by_slug,
    standards_disagreements,
)
from simpul.catalogue.standards_check import check_service
from simpul.core.models import Region
from simpul.core.regions import create_region
from simpul.demo.complaints import seed_demo_categories
from tests.factories import make_region, make_user, post_form, service_seed


@pytest.fixture
def regions(session: Session) -> tuple[Region, Region]:
    seed = load_catalogue_folder(DEMO_FOLDER)
    bandung = create_region(session, slug=seed.region.slug, name=seed.region.name)
    import_catalogue(session, bandung, life_events=seed.region.life_events, agencies=seed.agencies)
    # Its standards name Simpul's complaint channel: it takes complaints.
    seed_demo_categories(session, bandung)
    # Another region whose service disagrees with its standard (the default workflow names
    # no item of the procedure).
    other = make_region(session, "kota-lain", "Kota Lain", [service_seed("izin-lain", "Izin Lain")])
    session.commit()
    return bandung, other


def test_a_region_s_check_never_reads_another_region_s_services(
    session: Session, regions: tuple[Region, Region]
) -> None:
    bandung, other = regions
    checked, found = standards_disagreements(session, bandung)
    assert checked == 71 and found == []
    other_checked, other_found = standards_disagreements(session, other)
    assert other_checked == 1
    assert {d.service for d in other_found} == {"izin-lain"}


def test_the_cli_does_not_check_a_service_of_another_region(
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    regions: tuple[Region, Region],
) -> None:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    result = CliRunner().invoke(
        cli.app,
        ["catalogue", "check-standards", "--region", "kota-bandung", "--service", "izin-lain"],
    )
    assert result.exit_code == 2
    assert "izin-lain" in result.output and "sesuai" not in result.output


def test_markup_in_a_standard_is_shown_as_text_on_the_admin_page(
    session: Session, client: TestClient, regions: tuple[Region, Region]
) -> None:
    bandung, _other = regions
    akta = published_service_by_slug(session, bandung, "akta-kelahiran")
    assert akta is not None
    # As an imported catalogue could carry it (the edit form refuses such text).
    akta.standard = {
        **akta.standard,
        "produk_pelayanan": akta.standard["produk_pelayanan"]
        + '\n- <script>alert("x")</script><img src=x onerror=alert(1)>',
    }
    make_user(session, bandung, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    session.commit()
    login = post_form(
        client, "/kota-bandung/masuk", {"email": "admin@example.org", "password": "sandi-admin-1"}
    )
    assert login.status_code == 303
    page = client.get("/kota-bandung/admin/layanan/akta-kelahiran")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(" in page.text
    assert "<script>alert(" not in page.text
    assert "<img src=x" not in page.text


def test_an_officer_without_edit_rights_does_not_see_the_check(
    session: Session, client: TestClient, regions: tuple[Region, Region]
) -> None:
    bandung, _other = regions
    make_user(
        session,
        bandung,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("disdukcapil", StaffRoleName.VERIFIKATOR)],
    )
    session.commit()
    login = post_form(
        client, "/kota-bandung/masuk", {"email": "verif@example.org", "password": "sandi-verif-1"}
    )
    assert login.status_code == 303
    page = client.get("/kota-bandung/admin/layanan/akta-kelahiran")
    assert page.status_code in {403, 404}
    assert "Standar dan sistem" not in page.text


@dataclass
class _Agency:
    email: str = "dinas@bandung.go.id"
    phone: str = "(022) 1234567"


@dataclass
class _Row:
    standard: dict[str, str]
    slug: str = "layanan-uji"
    fee_rupiah: int = 0
    eform: dict[str, Any] = field(default_factory=lambda: {"schema": {}})
    workflow: dict[str, Any] = field(
        default_factory=lambda: {
            "steps": [
                {
                    "code": "verifikasi",
                    "name": "Verifikasi",
                    "name_en": "Verification",
                    "role": "verifikator",
                    "actions": ["approve"],
                    "procedure": [1],
                }
            ]
        }
    )
    products: list[dict[str, Any]] = field(default_factory=list)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 4000,
        "0" * 4000,
        "x@" + "a." * 1999,
        "www." + "a" * 3996,
        "Rp" + "1.000" * 799,
        "(022) " + "1 -" * 1330,
        "1. " + "tte " * 999,
        "- " + "a-" * 1999,
    ],
    ids=["letters", "digits", "email", "url", "amount", "phone", "words", "hyphens"],
)
def test_text_built_to_backtrack_is_checked_quickly(text: str) -> None:
    """A standard's component holds at most 4000 characters; the check stays linear on them."""
    components = (
        "sistem_mekanisme_prosedur",
        "produk_pelayanan",
        "biaya_tarif",
        "penanganan_pengaduan",
    )
    row = _Row(standard=dict.fromkeys(components, text))
    check_service(row, _Agency())  # compiles the patterns
    started = time.perf_counter()
    check_service(row, _Agency())
    assert time.perf_counter() - started < 0.5

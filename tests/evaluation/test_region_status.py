"""A region's status (active, test, inactive): set with ``simpul region status``, and only
active regions are listed on the public front page and ranked in the comparison."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.core.models import AuditEvent, Region
from simpul.core.regions import get_region_by_slug, list_active_regions
from simpul.evaluation.comparison import report
from tests.factories import make_region


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli.app, list(args))

    return invoke


@pytest.fixture
def three(session: Session) -> list[Region]:
    regions = [
        make_region(session, "kota-aktif", "Kota Aktif"),
        make_region(session, "kota-latihan", "Kota Latihan"),
        make_region(session, "kab-lama", "Kabupaten Lama"),
    ]
    session.commit()
    return regions


def _status(session: Session, slug: str) -> str:
    session.expire_all()
    region = get_region_by_slug(session, slug)
    assert region is not None
    return region.status


def test_a_new_region_is_active_and_the_cli_marks_test_and_inactive(
    run, session: Session, three: list[Region]
) -> None:  # type: ignore[no-untyped-def]
    assert [r.status for r in three] == ["active", "active", "active"]
    assert run("region", "status", "kota-latihan", "test").exit_code == 0
    done = run("region", "status", "kab-lama", "inactive")
    assert done.exit_code == 0, done.output
    assert (_status(session, "kota-latihan"), _status(session, "kab-lama")) == ("test", "inactive")
    assert [r.slug for r in list_active_regions(session)] == ["kota-aktif"]
    listed = run("region", "list")
    assert "kota-latihan" in listed.output and "test" in listed.output
    audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "region.status"))
    assert {(e.details["from"], e.details["to"]) for e in audited} == {
        ("active", "test"),
        ("active", "inactive"),
    }


def test_an_unknown_status_is_refused_naming_the_field_and_nothing_changes(
    run, session: Session, three: list[Region]
) -> None:  # type: ignore[no-untyped-def]
    for bad in ("arsip", "", "ACTIVE; drop table region"):
        refused = run("region", "status", "kota-aktif", bad)
        assert refused.exit_code == 1
        assert "status" in refused.output and "Traceback" not in refused.output
    assert _status(session, "kota-aktif") == "active"
    assert run("region", "status", "kota-tidak-ada", "test").exit_code == 1


def test_the_front_page_lists_only_active_regions(
    client: TestClient, session: Session, three: list[Region]
) -> None:
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 200
    assert all(name in page.text for name in ("Kota Aktif", "Kota Latihan", "Kabupaten Lama"))
    three[1].status = "test"
    three[2].status = "inactive"
    session.commit()
    # One active region left: the front page goes straight to it.
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == "/kota-aktif"
    # A test region's own pages still answer at their address.
    assert client.get("/kota-latihan").status_code == 200


def test_the_comparison_ranks_active_regions_only(session: Session, three: list[Region]) -> None:
    three[1].status = "test"
    session.flush()
    built = report.build_comparison(session, three[0], 2026, report.DEFAULT_SORT)
    assert {row.slug for row in built.rows} == {"kota-aktif", "kab-lama"}

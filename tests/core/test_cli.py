"""The `simpul` command for the Diskominfo team: regions, catalogue copies, users."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.repository import get_user_by_email
from simpul.catalogue.repository import count_services
from simpul.core.regions import get_region_by_slug
from tests.factories import make_region


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli.app, list(args), env=env)

    return invoke


def test_region_create_and_copy_catalogue(run, session: Session) -> None:  # type: ignore[no-untyped-def]
    make_region(session, "kota-sumber", "Kota Sumber")
    session.commit()
    created = run("region", "create", "kab-semarang", "Kabupaten Semarang")
    assert created.exit_code == 0, created.output
    region = get_region_by_slug(session, "kab-semarang")
    assert region is not None and region.kind == "kabupaten"
    copied = run("region", "copy-catalogue", "kota-sumber", "kab-semarang")
    assert copied.exit_code == 0, copied.output
    assert "1 layanan" in copied.output
    assert count_services(session, region.id) == 1
    duplicate = run("region", "create", "kab-semarang", "Kabupaten Semarang")
    assert duplicate.exit_code == 1
    bad = run("region", "create", "Kab Semarang!", "Kabupaten Semarang")
    assert bad.exit_code == 1 and "slug" in bad.output


def test_user_create_staff_with_roles(run, session: Session) -> None:  # type: ignore[no-untyped-def]
    region = make_region(session, "kota-uji", "Kota Uji")
    session.commit()
    result = run(
        "user",
        "create",
        "Petugas.Baru@example.org",
        "--region",
        "kota-uji",
        "--name",
        "Petugas Baru",
        "--agency",
        "dinas-uji",
        "--role",
        "verifikator",
        "--role",
        "penyetuju",
        env={"SIMPUL_NEW_PASSWORD": "sandi-petugas-baru"},
    )
    assert result.exit_code == 0, result.output
    user = get_user_by_email(session, region.id, "petugas.baru@example.org")
    assert user is not None
    assert sorted(r.role.value for r in user.roles) == ["penyetuju", "verifikator"]
    unknown_agency = run(
        "user",
        "create",
        "x@example.org",
        "--region",
        "kota-uji",
        "--agency",
        "tidak-ada",
        env={"SIMPUL_NEW_PASSWORD": "sandi-petugas-baru"},
    )
    assert unknown_agency.exit_code == 1
    assert get_user_by_email(session, region.id, "x@example.org") is None


def test_region_set_log_retention_validated(run, session: Session) -> None:  # type: ignore[no-untyped-def]
    region = make_region(session, "kota-simpan", "Kota Simpan")
    session.commit()
    assert region.log_retention_months == 12
    done = run("region", "set", "kota-simpan", "--log-retention-months", "3")
    assert done.exit_code == 0, done.output
    session.expire_all()
    assert get_region_by_slug(session, "kota-simpan").log_retention_months == 3  # type: ignore[union-attr]
    for bad in ("0", "-2", "1201"):
        refused = run("region", "set", "kota-simpan", "--log-retention-months", bad)
        assert refused.exit_code == 1
        assert "log_retention_months" in refused.output
    nothing = run("region", "set", "kota-simpan")
    assert nothing.exit_code == 1
    session.expire_all()
    assert get_region_by_slug(session, "kota-simpan").log_retention_months == 3  # type: ignore[union-attr]

"""The demo keeps working with second factors required (its admin and signing officers have
published authenticators), and the operator's ``simpul user reset-mfa``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.core.models import AuditEvent
from simpul.demo.second_factors import demo_accounts_with_totp, seed_demo_second_factors
from simpul.demo.seed import seed_demo
from simpul.identity import mfa
from simpul.identity.mfa_models import TotpFactor
from tests.factories import post_form
from tests.identity.mfa.conftest import MfaWorld, with_totp


def test_the_demo_admin_logs_in_with_the_code_the_cli_prints(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = seed_demo(session)
    # The suite runs with SIMPUL_MFA_REQUIRED=0, where the seed gives no authenticators.
    assert session.scalars(select(TotpFactor)).all() == []
    assert seed_demo_second_factors(session, seeded.region) == len(demo_accounts_with_totp())
    session.flush()
    slug = seeded.region.slug
    assert "admin@example.org" in demo_accounts_with_totp()
    assert "kepala.dsdabm@example.org" in demo_accounts_with_totp()
    assert "pengaduan@example.org" not in demo_accounts_with_totp()  # signs nothing
    factors = session.scalars(
        select(TotpFactor).where(TotpFactor.region_id == seeded.region.id)
    ).all()
    assert len(factors) == len(demo_accounts_with_totp())
    assert seed_demo_second_factors(session, seeded.region) == 0  # seeding again adds nothing
    assert len(session.scalars(select(TotpFactor)).all()) == len(factors)

    client.cookies.clear()
    first = post_form(
        client, f"/{slug}/masuk", {"email": "admin@example.org", "password": "admin-demo"}
    )
    assert first.headers["location"] == f"/{slug}/masuk/verifikasi"  # type: ignore[attr-defined]
    printed = CliRunner().invoke(cli.app, ["user", "demo-totp", "admin@example.org"])
    assert printed.exit_code == 0, printed.output
    done = post_form(client, f"/{slug}/masuk/verifikasi", {"code": printed.output.strip()})
    assert done.headers["location"] == f"/{slug}/admin"  # type: ignore[attr-defined]
    not_demo = CliRunner().invoke(cli.app, ["user", "demo-totp", "warga@example.org"])
    assert not_demo.exit_code == 1


def test_an_operator_resets_a_lost_authenticator(
    session: Session,
    session_factory: sessionmaker[Session],
    mfa_world: MfaWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_totp(session, mfa_world.admin)
    mfa.new_recovery_codes(session, mfa_world.admin)
    session.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()
    done = runner.invoke(
        cli.app, ["user", "reset-mfa", "admin@example.org", "--region", "kota-mfa"]
    )
    assert done.exit_code == 0, done.output
    assert "sudah dihapus" in done.output
    session.expire_all()
    assert not mfa.has_second_factor(session, mfa_world.admin)
    assert mfa.unused_recovery_codes(session, mfa_world.admin) == 0
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa.reset")).one()
    assert event.actor_label == "cli" and event.target_id == str(mfa_world.admin.id)
    unknown = runner.invoke(
        cli.app, ["user", "reset-mfa", "tak@example.org", "--region", "kota-mfa"]
    )
    assert unknown.exit_code == 1

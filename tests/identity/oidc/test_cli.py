"""``simpul oidc rotate-keys``: rotates only what is due, or at once with --now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.identity.models import OidcSigningKey
from simpul.identity.oidc import keys
from tests.identity.conftest import IdentityWorld


def test_rotate_keys_when_due_or_forced(
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    session: Session,
    identity_world: IdentityWorld,
) -> None:
    first, _key = keys.signing_key(session, identity_world.region)
    session.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()
    fresh = runner.invoke(cli.app, ["oidc", "rotate-keys", "--region", "kota-sso"])
    assert fresh.exit_code == 0, fresh.output
    assert "belum perlu" in fresh.output
    first.created_at -= timedelta(days=91)
    session.commit()
    due = runner.invoke(cli.app, ["oidc", "rotate-keys", "--region", "kota-sso"])
    assert due.exit_code == 0 and "kunci baru" in due.output
    forced = runner.invoke(cli.app, ["oidc", "rotate-keys", "--region", "kota-sso", "--now"])
    assert forced.exit_code == 0 and "kunci baru" in forced.output
    session.expire_all()
    rows = session.query(OidcSigningKey).filter_by(region_id=identity_world.region.id).all()
    assert len(rows) == 3 and sum(r.superseded_at is None for r in rows) == 1
    unknown = runner.invoke(cli.app, ["oidc", "rotate-keys", "--region", "tidak-ada"])
    assert unknown.exit_code == 1

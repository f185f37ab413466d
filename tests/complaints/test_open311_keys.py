"""Open311 API keys: the region admin's page and ``simpul open311 key``."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind
from simpul.complaints import service as complaints
from simpul.core.errors import InvalidInput
from simpul.core.models import AuditEvent
from tests.complaints.conftest import PASSWORD, ComplaintWorld
from tests.factories import make_user, post_form

PAGE = "/kota-aduan/admin/open311"
BASE = "/open311/kota-aduan/v2"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli.app, list(args))

    return invoke


def _post_data(key: str) -> dict[str, str]:
    return {
        "api_key": key,
        "service_code": "pelayanan-petugas",
        "description": "Petugas loket tidak ada di tempat pada jam pelayanan hari Senin.",
    }


def test_the_region_admin_issues_a_key_that_works_once_shown_and_revokes_it(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    make_user(session, world.region, "admin.aduan@example.org", PASSWORD, AccountKind.REGION_ADMIN)
    session.flush()
    post_form(
        client, "/kota-aduan/masuk", {"email": "admin.aduan@example.org", "password": PASSWORD}
    )
    issued = post_form(client, PAGE, {"name": "Aplikasi Sadayana"})
    assert issued.status_code == 200
    key = re.search(r'<code class="token" id="kunci-baru">([^<]+)</code>', issued.text)
    assert key is not None
    assert client.post(f"{BASE}/requests.json", data=_post_data(key.group(1))).status_code == 201
    listing = client.get(PAGE).text
    assert "Aplikasi Sadayana" in listing and key.group(1) not in listing
    row = complaints.open311_keys(session, world.region)[0]
    assert row.last_used_at is not None
    revoked = post_form(client, f"{PAGE}/{row.id}/cabut", {}, page=PAGE)
    assert revoked.status_code == 303
    assert client.post(f"{BASE}/requests.json", data=_post_data(key.group(1))).status_code == 403
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.region_id == world.region.id)
    ).all()
    assert {"open311.key_issued", "open311.key_revoked"} <= set(actions)
    details = session.scalars(
        select(AuditEvent.details).where(AuditEvent.region_id == world.region.id)
    ).all()
    assert all(key.group(1) not in str(d) for d in details)
    assert post_form(client, PAGE, {"name": ""}).status_code == 422


def test_staff_and_citizens_cannot_see_the_keys_page(
    client: TestClient, world: ComplaintWorld
) -> None:
    post_form(client, "/kota-aduan/masuk", {"email": world.desk.email, "password": PASSWORD})
    assert client.get(PAGE).status_code == 403


def test_the_cli_issues_lists_and_revokes_keys(
    run,
    session: Session,
    world: ComplaintWorld,  # type: ignore[no-untyped-def]
) -> None:
    issued = run("open311", "key", "issue", "--region", "kota-aduan", "--name", "Aplikasi CLI")
    assert issued.exit_code == 0, issued.output
    key = issued.output.strip()
    assert key.startswith("o311_")
    listed = run("open311", "key", "list", "--region", "kota-aduan")
    assert (
        "Aplikasi CLI" in listed.output and key not in listed.output and "active" in listed.output
    )
    revoked = run("open311", "key", "revoke", key[:8], "--region", "kota-aduan")
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in run("open311", "key", "list", "--region", "kota-aduan").output


def test_a_fixed_demo_key_must_be_long_enough(session: Session, world: ComplaintWorld) -> None:
    demo = complaints.issue_open311_key(
        session, world.region, "Demo", "seed", key="demo-open311-kota-bandung-0001"
    )
    assert demo == "demo-open311-kota-bandung-0001"
    with pytest.raises(InvalidInput):
        complaints.issue_open311_key(session, world.region, "Pendek", "seed", key="demo-pendek")
    with pytest.raises(InvalidInput):  # the same key twice
        complaints.issue_open311_key(
            session, world.region, "Lagi", "seed", key="demo-open311-kota-bandung-0001"
        )

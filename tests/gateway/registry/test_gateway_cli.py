"""`simpul gateway service|endpoint|client|key|group|grant ...` against a committed database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.gateway.dataplane.config import load_snapshot
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.cli import gateway_admin
from simpul.gateway.registry.models import GatewayCredential
from simpul.inventory.models import App, IntegrationState
from tests.gateway.conftest import GatewayWorld, add_app

SAMPLE = Path(__file__).parent.parent / "samples" / "penduduk-openapi.yaml"


class Run:
    """Invoke the gateway commands in the world's region."""

    def __init__(self, world: GatewayWorld) -> None:
        self.runner = CliRunner()
        self.region = world.region.slug

    def __call__(self, *args: str, region: bool = True) -> Result:
        extra = ["--region", self.region] if region else []
        return self.runner.invoke(gateway_admin, [*args, *extra])

    def ok(self, *args: str) -> Any:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def refused(self, *args: str, region: bool = True) -> str:
        result = self(*args, region=region)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        return result.stderr


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Run:
    monkeypatch.setattr(cli, "session_factory", lambda: committed_sessions)
    with committed_sessions() as session, session.begin():
        add_app(session, gateway_world.region, gateway_world.agency, "simpeg", "Simpeg")
    return Run(gateway_world)


def app_state(sessions: sessionmaker[Session], world: GatewayWorld) -> IntegrationState:
    with sessions() as session:
        app = session.get(App, world.provider.id)
        assert app is not None
        return app.integration_state


def test_registering_and_switching_a_service(
    run: Run, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    added = run.ok(
        "service",
        "add",
        "sipenduduk",
        "data-penduduk",
        "--upstream",
        "http://10.0.3.7:8080/api",
        "--openapi",
        str(SAMPLE),
        "--timeout",
        "10",
    )
    slug = gateway_world.region.slug
    assert added["service"] == f"{slug}/GOV/{gateway_world.agency.slug}/sipenduduk/data-penduduk"
    assert added["title"] == "Layanan Data Penduduk" and added["timeout_seconds"] == 10.0
    assert [e["endpoint"] for e in added["endpoints"]] == [
        "GET /penduduk",
        "GET /penduduk/{nik}",
        "POST /penduduk/{nik}/verifikasi",
        "GET /status",
    ]
    assert app_state(committed_sessions, gateway_world) is IntegrationState.INTEGRATED

    switched = run.ok("endpoint", "disable", "sipenduduk", "data-penduduk", "get /penduduk")
    assert switched["endpoint"] == "GET /penduduk" and switched["enabled"] is False
    listed = run.ok("service", "list")
    assert [(s["code"], s["endpoints"], s["enabled_endpoints"]) for s in listed] == [
        ("data-penduduk", 4, 3)
    ]
    assert run.ok("service", "disable", "sipenduduk", "data-penduduk")["enabled"] is False
    assert app_state(committed_sessions, gateway_world) is IntegrationState.PLANNED
    assert run.ok("service", "enable", "sipenduduk", "data-penduduk")["enabled"] is True
    assert app_state(committed_sessions, gateway_world) is IntegrationState.INTEGRATED

    updated = run.ok(
        "service",
        "update",
        "sipenduduk",
        "data-penduduk",
        "--title",
        "Data Penduduk",
        "--log-bodies",
    )
    assert updated["title"] == "Data Penduduk" and updated["log_bodies"] is True

    assert "sudah punya layanan" in run.refused(
        "service",
        "add",
        "sipenduduk",
        "data-penduduk",
        "--upstream",
        "http://10.0.3.7:8080/api",
        "--openapi",
        str(SAMPLE),
    )
    assert "tidak punya endpoint DELETE /penduduk" in run.refused(
        "endpoint", "enable", "sipenduduk", "data-penduduk", "DELETE /penduduk"
    )
    assert "METODE /jalur" in run.refused(
        "endpoint", "enable", "sipenduduk", "data-penduduk", "penduduk"
    )


def test_an_invalid_document_is_refused_with_where_and_nothing_stored(
    run: Run, tmp_path: Path
) -> None:
    broken = tmp_path / "rusak.yaml"
    text = SAMPLE.read_text()
    assert "operationId: ambilPenduduk" in text
    broken.write_text(text.replace("operationId: ambilPenduduk", "operationId: cariPenduduk"))
    message = run.refused(
        "service",
        "add",
        "sipenduduk",
        "data-penduduk",
        "--upstream",
        "http://10.0.3.7:8080/api",
        "--openapi",
        str(broken),
    )
    assert "paths./penduduk/{nik}.get.operationId" in message
    assert "sudah dipakai di paths./penduduk.get" in message
    assert run.ok("service", "list") == []
    assert "tidak bisa dibaca" in run.refused(
        "service",
        "add",
        "sipenduduk",
        "x",
        "--upstream",
        "http://10.0.3.7/",
        "--openapi",
        str(tmp_path / "tidak-ada.yaml"),
    )
    assert "upstream_url: Alamat harus diawali http:// atau https://." in run.refused(
        "service",
        "add",
        "sipenduduk",
        "x",
        "--upstream",
        "10.0.3.7",
        "--openapi",
        str(SAMPLE),
    )
    assert "'tidak-ada' tidak ada di inventaris" in run.refused(
        "service", "add", "tidak-ada", "x", "--upstream", "http://h/", "--openapi", str(SAMPLE)
    )


def test_keys_are_printed_once_rotated_and_revoked(
    run: Run, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    assert "belum terdaftar sebagai klien" in run.refused("key", "issue", "portal")
    client = run.ok("client", "add", "portal", "--rate-limit", "100")
    assert client["rate_limit_per_minute"] == 100 and client["keys"] == []

    issued = run("key", "issue", "portal", "--label", "server prod")
    assert issued.exit_code == 0, issued.output
    shown = json.loads(issued.stdout)
    key = shown["key"]
    assert key.startswith("sgw_") and shown["key_hint"] == f"sgw_{key[4:12]}…"
    assert "tidak dapat menampilkannya lagi" in issued.stderr
    with committed_sessions() as session:
        stored = session.scalars(
            select(GatewayCredential).where(GatewayCredential.client_id == client["id"])
        ).one()
        assert stored.key_digest == registry.key_digest(key) and stored.label == "server prod"
    listed = run.ok("client", "list")
    assert key not in json.dumps(listed)
    assert listed[0]["keys"][0]["key_hint"] == shown["key_hint"]

    rotated = run("key", "rotate", shown["key_hint"], "--grace-hours", "0")
    assert rotated.exit_code == 0, rotated.output
    new_key = json.loads(rotated.stdout)["key"]
    assert new_key != key and "tidak dapat menampilkannya lagi" in rotated.stderr
    with committed_sessions() as session:
        snapshot = load_snapshot(session)
    old = snapshot.credentials[registry.key_digest(key)]
    assert old.expires_at is not None  # grace 0: expired at once
    assert snapshot.credentials[registry.key_digest(new_key)].expires_at is None

    revoked = run.ok("key", "revoke", new_key, "--reason", "Bocor.")
    assert revoked["revoked_at"] is not None
    with committed_sessions() as session:
        assert registry.key_digest(new_key) not in load_snapshot(session).credentials
    assert "sudah dicabut" in run.refused("key", "revoke", revoked["id"], "--reason", "Lagi.")
    assert "tidak ditemukan" in run.refused("key", "rotate", "sgw_zzzzzzzz")


def test_grants_need_the_region_admins_approval(
    run: Run, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    run.ok(
        "service",
        "add",
        "sipenduduk",
        "data-penduduk",
        "--upstream",
        "http://10.0.3.7:8080/api",
        "--openapi",
        str(SAMPLE),
    )
    portal = run.ok("client", "add", "portal")
    run.ok("client", "add", "simpeg")
    group = run.ok("group", "add", "opd-inti", "OPD Inti")
    assert run.ok("group", "member", "add", "opd-inti", "simpeg")["members"] == ["simpeg"]
    assert run.ok("group", "list")[0]["code"] == group["code"]

    requested = run.ok(
        "grant",
        "request",
        "sipenduduk",
        "data-penduduk",
        "--client",
        "portal",
        "--endpoint",
        "GET /penduduk/{nik}",
        "--reason",
        "Portal menampilkan data pemohon.",
    )
    assert requested["status"] == "pending" and requested["endpoint"] == "GET /penduduk/{nik}"
    assert requested["client"] == "portal" and requested["requested_by"] == "cli"
    by_group = run.ok(
        "grant", "request", "sipenduduk", "data-penduduk", "--group", "opd-inti", "--reason", "OPD."
    )
    assert [g["id"] for g in run.ok("grant", "list", "--status", "pending")] == [
        by_group["id"],
        requested["id"],
    ]

    def allowed(client_id: str, label: str) -> bool:
        with committed_sessions() as session:
            snapshot = load_snapshot(session)
        service = next(
            s for s in snapshot.services.values() if s.region_id == gateway_world.region.id
        )
        endpoint = next(e for e in service.endpoints if e.label == label)
        return snapshot.allowed(
            next(c for c in snapshot.clients_by_id if str(c) == client_id), service, endpoint
        )

    assert not allowed(portal["id"], "GET /penduduk/{nik}")
    approved = run.ok("grant", "approve", requested["id"], "--note", "Sesuai SOP.")
    assert approved["status"] == "approved" and approved["decided_by"] == "cli"
    assert allowed(portal["id"], "GET /penduduk/{nik}")
    assert not allowed(portal["id"], "GET /status")
    assert "sudah disetujui" in run.refused("grant", "approve", requested["id"])

    rejected = run.ok("grant", "reject", by_group["id"], "--note", "Terlalu luas.")
    assert rejected["status"] == "rejected" and rejected["group"] == "opd-inti"
    assert run("grant", "reject", by_group["id"]).exit_code == 2  # --note is required
    revoked = run.ok("grant", "revoke", requested["id"], "--note", "Selesai.")
    assert revoked["status"] == "revoked"
    assert not allowed(portal["id"], "GET /penduduk/{nik}")
    assert [g["status"] for g in run.ok("grant", "list")] == ["rejected", "revoked"]

    assert "tepat satu penerima" in run.refused(
        "grant", "request", "sipenduduk", "data-penduduk", "--reason", "x"
    )
    assert "bukan ID izin" in run.refused("grant", "approve", "123")
    assert "tidak dikenal" in run.refused("grant", "list", "--status", "menunggu")
    assert "Izin akses tidak ditemukan" in run.refused(
        "grant", "approve", "00000000-0000-0000-0000-000000000000"
    )
    assert run.ok("group", "member", "remove", "opd-inti", "simpeg")["members"] == []


def test_a_region_must_be_named_when_there_are_several(run: Run) -> None:
    assert "--region" in run.refused("service", "list", region=False)
    result = run.runner.invoke(gateway_admin, ["service", "list", "--region", "tidak-ada"])
    assert result.exit_code == 2 and "tidak ada" in result.stderr

"""Attack: read citizens' NIKs out of the gateway's message log.

A provider's API takes a NIK in the path (``GET /penduduk/{nik}``) or the query
(``GET /cari?nik=...``). The log kept the path as called, so anyone who can read the log or an
export of it (an auditor, a database backup) read every NIK looked up. A service's OpenAPI
document now marks such parameters (``x-simpul-personal``); the log keeps a keyed hash of the
value instead, and ``simpul audit hash`` computes that hash for a value an auditor types in, so
every call about one NIK can still be found.
"""

from __future__ import annotations

import json

import httpx2
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.gateway.msglog.cli import audit_app
from tests.gateway.conftest import GatewayWorld
from tests.gateway.upstream import Recorder
from tests.security.gateway_support import (
    Wired,
    records,
    request_target,
    wait_until_served,
    wire_service,
)

NIK = "3273010101900001"
OTHER_NIK = "3273010101900002"
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Data Penduduk (uji)", "version": "1.0.0"},
    "paths": {
        "/penduduk/{nik}": {
            "parameters": [
                {
                    "name": "nik",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "x-simpul-personal": "nik",
                }
            ],
            "get": {"responses": {"200": {"description": "Data penduduk"}}},
        },
        "/penduduk/{nik}/keluarga/{urutan}": {
            "get": {
                "parameters": [
                    {"$ref": "#/components/parameters/Nik"},
                    {
                        "name": "urutan",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {"200": {"description": "Anggota keluarga"}},
            }
        },
        "/cari": {
            "get": {
                "parameters": [
                    {
                        "name": "nik",
                        "in": "query",
                        "schema": {"type": "string"},
                        "x-simpul-personal": True,
                    },
                    {"name": "halaman", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "Hasil"}},
            }
        },
        "/status": {"get": {"responses": {"200": {"description": "Sehat"}}}},
    },
    "components": {
        "parameters": {
            "Nik": {
                "name": "nik",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "x-simpul-personal": "nik",
            }
        }
    },
}


@pytest.fixture
def wired(
    gateway: str,
    recorder: tuple[str, Recorder],
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Wired:
    wired = wire_service(committed_sessions, gateway_world, recorder[0], OPENAPI)
    wait_until_served(gateway, wired, "/status")
    recorder[1].clear()
    return wired


def audit_hash(
    monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session], value: str
) -> tuple[str, str]:
    """``simpul audit hash`` with ``value`` typed in; returns (stdout, stderr)."""
    monkeypatch.setattr(cli, "session_factory", lambda: sessions)
    result = CliRunner().invoke(audit_app, ["hash"], input=value + "\n")
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def test_personal_path_and_query_values_are_logged_as_keyed_hashes(
    gateway: str,
    recorder: tuple[str, Recorder],
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = {
        "path": httpx2.get(gateway + wired.base + f"/penduduk/{NIK}", headers=wired.headers()),
        "encoded": httpx2.get(
            gateway + wired.base + "/penduduk/%33" + NIK[1:], headers=wired.headers()
        ),
        "by reference": httpx2.get(
            gateway + wired.base + f"/penduduk/{NIK}/keluarga/2", headers=wired.headers()
        ),
        "query": httpx2.get(
            gateway + wired.base + "/cari",
            params={"nik": NIK, "halaman": "3"},
            headers=wired.headers(),
        ),
        "other": httpx2.get(
            gateway + wired.base + f"/penduduk/{OTHER_NIK}", headers=wired.headers()
        ),
        # Refused calls keep no NIK either: a method the path does not have ...
        "refused": httpx2.delete(
            gateway + wired.base + f"/penduduk/{NIK}", headers=wired.headers()
        ),
        # ... or a path no template of a service with personal parameters matches.
        "unknown": httpx2.get(
            gateway + wired.base + f"/penduduk/{NIK}/rahasia/x/y", headers=wired.headers()
        ),
    }
    assert [c.status_code for c in calls.values()] == [200, 200, 200, 200, 200, 404, 404]
    # The provider still receives the values it needs.
    targets = [request_target(r) for r in recorder[1].received()]
    assert targets[0] == f"/penduduk/{NIK}".encode()
    assert f"nik={NIK}".encode() in targets[3]

    logged = {str(r.request_id): r for r in records(committed_sessions, gateway_world)}
    rows = {label: logged[c.headers["x-request-id"]] for label, c in calls.items()}
    for label, row in rows.items():
        text = json.dumps([row.path, row.endpoint, row.client, row.service, row.error])
        assert NIK not in text, label
        assert NIK[4:] not in text, label

    token, err = audit_hash(monkeypatch, committed_sessions, NIK)
    token = token.strip()
    assert NIK not in token + err  # the value typed in is never echoed
    assert token.startswith("h:")
    assert rows["path"].path == "/penduduk/{nik=" + token + "}"
    assert rows["encoded"].path == rows["path"].path
    assert rows["by reference"].path == "/penduduk/{nik=" + token + "}/keluarga/2"
    assert rows["query"].path == "/cari?{nik=" + token + "}"
    assert rows["refused"].path == rows["path"].path
    assert token not in rows["other"].path
    assert rows["unknown"].path.startswith("{path=h:")
    # An auditor finds every call about this NIK by its hash, and only those.
    about = {label for label, row in rows.items() if token in row.path}
    assert about == {"path", "encoded", "by reference", "query", "refused"}


def test_the_audit_export_holds_no_personal_value(
    gateway: str,
    wired: Wired,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (
        httpx2.get(gateway + wired.base + f"/penduduk/{NIK}", headers=wired.headers()).status_code
        == 200
    )
    monkeypatch.setattr(cli, "session_factory", lambda: committed_sessions)
    exported = CliRunner().invoke(audit_app, ["export", "--region", gateway_world.region.slug])
    assert exported.exit_code == 0, exported.output
    assert NIK not in exported.stdout
    assert "{nik=h:" in exported.stdout

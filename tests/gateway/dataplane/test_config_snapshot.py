"""The gateway's cached configuration: loading, version bumps, path templates."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import Region
from simpul.gateway.dataplane.config import (
    current_versions,
    load_snapshot,
    template_parameters,
    template_pattern,
)
from simpul.gateway.registry import service as registry
from tests.gateway.conftest import GatewayWorld

ADMIN = registry.Actor("admin@uji.example")


def test_path_templates_match_whole_segments() -> None:
    pattern = template_pattern("/penduduk/{nik}/keluarga")
    assert pattern.fullmatch("/penduduk/123/keluarga")
    assert pattern.fullmatch("/penduduk/123/keluarga/")
    assert not pattern.fullmatch("/penduduk/1/2/keluarga")
    assert not pattern.fullmatch("/penduduk/123/keluargaX")
    assert template_pattern("/").fullmatch("/")


def test_templates_are_in_the_canonical_form_of_paths() -> None:
    """Literal text is percent-encoded as ``paths.canonical_path`` writes a request's path, and
    a parameter is one segment: an encoded slash (%2F) stays inside it."""
    assert template_pattern("/kota madya/{id}").fullmatch("/kota%20madya/1")
    assert not template_pattern("/kota madya/{id}").fullmatch("/kota madya/1")
    assert template_pattern("/{a}/items").fullmatch("/x%2Fy/items")
    assert not template_pattern("/{a}/items").fullmatch("/x/y/items")
    match = template_pattern("/berkas/{nama}.{jenis}/{versi}").fullmatch("/berkas/ktp.pdf/2")
    assert match is not None and match.groups() == ("ktp", "pdf", "2")
    assert template_parameters("/berkas/{nama}.{jenis}/{versi}") == ("nama", "jenis", "versi")


def test_changes_to_apps_bump_the_region_version(
    committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    with committed_sessions() as session:
        before = current_versions(session)[gateway_world.region.id]
    with committed_sessions() as session, session.begin():
        app = session.get(type(gateway_world.provider), gateway_world.provider.id)
        assert app is not None
        app.name = "Sistem Data Penduduk (baru)"
    with committed_sessions() as session:
        assert current_versions(session)[gateway_world.region.id] > before
        snapshot = load_snapshot(session)
    assert snapshot.instances[gateway_world.region.slug] == gateway_world.region.id


def test_a_literal_path_wins_over_a_template_that_also_matches(
    committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    """``/admin/items`` is its own endpoint, even though ``/{tenant}/items`` matches it too:
    a grant for the template must not reach it."""
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Barang", "version": "1"},
        "paths": {
            "/{tenant}/items": {
                "get": {
                    "parameters": [
                        {"name": "tenant", "in": "path", "required": True, "schema": {}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/admin/items": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/admin/{what}": {
                "get": {
                    "parameters": [{"name": "what", "in": "path", "required": True, "schema": {}}],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    with committed_sessions() as session, session.begin():
        region = session.get_one(Region, gateway_world.region.id)
        service = registry.register_service(
            session,
            region,
            app_code=gateway_world.provider.code,
            code=f"barang-{uuid.uuid4().hex[:6]}",
            upstream_url="http://10.0.3.7:8080/api",
            openapi_text=json.dumps(document),
            actor=ADMIN,
        )
    with committed_sessions() as session:
        snapshot = load_snapshot(session)
    conf = next(s for s in snapshot.services.values() if s.id == service.id)
    assert conf.match("GET", "/admin/items").path == "/admin/items"
    assert conf.match("GET", "/acme/items").path == "/{tenant}/items"
    assert conf.match("GET", "/admin/x").path == "/admin/{what}"
    assert conf.match("POST", "/admin/items") is None
    assert conf.match(None, "/admin/items").path == "/admin/items"
    assert not conf.has_personal

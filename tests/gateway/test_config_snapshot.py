"""The gateway's cached configuration: loading, version bumps, path templates."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from simpul.gateway.config import current_versions, load_snapshot, template_pattern
from tests.gateway.conftest import GatewayWorld


def test_path_templates_match_whole_segments() -> None:
    pattern = template_pattern("/penduduk/{nik}/keluarga")
    assert pattern.fullmatch("/penduduk/123/keluarga")
    assert pattern.fullmatch("/penduduk/123/keluarga/")
    assert not pattern.fullmatch("/penduduk/1/2/keluarga")
    assert not pattern.fullmatch("/penduduk/123/keluargaX")
    assert template_pattern("/").fullmatch("/")


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

"""A confidential complaint never appears on any public page or API (issue 17).

Rather than listing today's pages, the test walks every GET route the web app has: each one is
called as the public (logged out) and as another citizen, with its path parameters filled with
the confidential complaint's number, id, token and photo, in both formats where a route has one.
A route added later is walked too. The complaint's marker word, its number and its photo's id
must not appear in any answer, and the same routes do show a public complaint's marker, so the
walk is known to reach them.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint
from tests.complaints.conftest import PASSWORD, ComplaintWorld, build_world, pothole_filing
from tests.factories import post_form

SECRET_MARKER = "Zirkonrahasia"
PUBLIC_MARKER = "Kobaltumum"
_PARAM = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")

#: Paths that are not pages or APIs of a region (docs, static files, health, language).
_SKIPPED = re.compile(r"^/(static|api/docs|api/openapi|healthz|lang)")


@dataclass
class Planted:
    secret: Complaint
    public: Complaint
    secret_photo: str | None


def _plant(session: Session, world: ComplaintWorld) -> Planted:
    region = world.region
    secret = complaints.file_complaint(
        session,
        region,
        pothole_filing(
            confidential=True,
            title=f"Lubang {SECRET_MARKER} di gang",
            description=f"Jalan rusak dekat rumah, {SECRET_MARKER}, mohon diperbaiki segera.",
        ),
        reporter=world.citizen,
    ).complaint
    secret.open311_token = f"tok-{SECRET_MARKER}"
    public = complaints.file_complaint(
        session,
        region,
        pothole_filing(
            title=f"Lubang {PUBLIC_MARKER} di jalan",
            description=f"Jalan rusak di depan pasar, {PUBLIC_MARKER}, mohon diperbaiki segera.",
        ),
        reporter=world.other_citizen,
    ).complaint
    # Both go through the same steps, so lists filtered by status or agency show them alike.
    for complaint in (secret, public):
        complaints.route(session, region, world.desk, complaint, world.roads.id)
        complaints.answer(
            session,
            region,
            world.roads_officer,
            complaint,
            f"Ditangani {complaint.title}",
            final=True,
        )
    session.flush()
    photos = complaints.photos(session, region, secret)
    return Planted(secret, public, str(photos[0].id) if photos else None)


def _values(name: str, world: ComplaintWorld, complaint: Complaint, photo: str | None) -> list[str]:
    """What a path parameter is filled with for a walk aimed at ``complaint``."""
    region = world.region
    table: dict[str, list[str]] = {
        "region": [region.slug],
        "number": [complaint.number],
        "service_request_id": [complaint.number],
        "token": [complaint.open311_token or "x"],
        "complaint_id": [str(complaint.id)],
        "photo_id": [photo or str(uuid.uuid4())],
        "service_code": [world.pothole.code],
        "code": [world.pothole.code],
        "slug": [world.pothole.code],
        "fmt": ["json", "xml"],
        "format": ["json", "xml"],
        "extension": ["csv", "xlsx", "json"],
    }
    return table.get(name, [])


def _walk_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Routes with the routers FastAPI includes lazily unfolded."""
    found: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found.extend(_walk_routes(included.routes) if included is not None else [route])
    return found


def _paths(
    client: TestClient, world: ComplaintWorld, complaint: Complaint, photo: str | None
) -> Iterator[str]:
    for route in _walk_routes(client.app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        if _SKIPPED.match(route.path):
            continue
        names = _PARAM.findall(route.path)
        choices = [_values(name, world, complaint, photo) for name in names]
        if any(not options for options in choices):
            continue  # a parameter this walk cannot fill (an application's id, a task's)
        for combination in itertools.product(*choices):
            path = route.path
            for name, value in zip(names, combination, strict=True):
                path = _PARAM.sub(
                    lambda m, n=name, v=value: v if m.group(1) == n else m.group(0), path
                )
            yield path
            # Lists and maps filtered to the complaint's own category, status and agency.
            if "{" not in route.path:
                yield f"{path}?kategori={world.pothole.code}&status=resolved"
                yield f"{path}?status=closed&service_code={world.pothole.code}"


def _walk(client: TestClient, paths: list[str]) -> dict[str, str]:
    return {path: client.get(path, follow_redirects=True).text for path in paths}


@pytest.mark.parametrize("as_citizen", [False, True], ids=["public", "another-citizen"])
def test_no_public_page_or_api_shows_a_confidential_complaint(
    client: TestClient, session: Session, as_citizen: bool
) -> None:
    world = build_world(session)
    planted = _plant(session, world)
    other_region = build_world(session, "kota-lain")
    session.commit()
    if as_citizen:
        signed_in = post_form(
            client,
            f"/{world.region.slug}/masuk",
            {"email": world.other_citizen.email, "password": PASSWORD},
        )
        assert signed_in.status_code == 303

    secret_paths = sorted(set(_paths(client, world, planted.secret, planted.secret_photo)))
    public_paths = sorted(set(_paths(client, world, planted.public, None)))
    assert any("/pengaduan" in p for p in secret_paths), "the complaint pages were not walked"
    assert any(p.startswith("/open311/") for p in secret_paths), "Open311 was not walked"

    # Each path is asked for twice: for the confidential complaint and for a number (and
    # photo) that was never filed. Both must answer alike: the same status, the marker in
    # neither, and the number or photo id only where the page echoes what was asked for.
    unknown_number = "ADU-2001-2222-3333"
    unknown_photo = str(uuid.uuid4())
    leaks = []
    for path, text in _walk(client, secret_paths).items():
        twin = path.replace(planted.secret.number, unknown_number)
        if planted.secret_photo:
            twin = twin.replace(planted.secret_photo, unknown_photo)
        answer = client.get(path, follow_redirects=True)
        unknown = client.get(twin, follow_redirects=True)
        echoed = unknown_number in unknown.text or unknown_photo in unknown.text
        if (
            SECRET_MARKER in text
            or answer.status_code != unknown.status_code
            or (planted.secret.number in text and not echoed)
            or (planted.secret_photo and planted.secret_photo in text and not echoed)
        ):
            leaks.append(f"{path} ({answer.status_code}, unknown: {unknown.status_code})")
    assert not leaks, f"a confidential complaint shows on: {leaks}"
    # The walk reaches the complaint pages: the same routes show the public complaint.
    shown = [p for p, text in _walk(client, public_paths).items() if PUBLIC_MARKER in text]
    assert any("/pengaduan/" in p for p in shown), shown
    assert any(p.startswith("/open311/") for p in shown), shown
    assert any(p.startswith("/api/") for p in shown), shown
    # Another region's pages know neither complaint.
    other = [
        p.replace(f"/{world.region.slug}/", f"/{other_region.region.slug}/", 1)
        for p in public_paths
    ]
    for path, text in _walk(client, other).items():
        assert PUBLIC_MARKER not in text and SECRET_MARKER not in text, path

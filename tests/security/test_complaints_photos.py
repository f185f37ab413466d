"""Attacks through complaint photos: script served as an image, another complaint's photo,
a confidential complaint's photo, GPS leaking."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from tests.complaints.conftest import ComplaintWorld, build_world, pothole_filing


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (6.0, 53.0, 15.36), 3: "E", 4: (107.0, 36.0, 47.88)}
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (9, 9, 9)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _file(
    client: TestClient, session: Session, world: ComplaintWorld, *, confidential: bool = False
) -> tuple[complaints.Complaint, complaints.ComplaintPhoto]:
    storage = client.app.state.storage  # type: ignore[attr-defined]
    filed = complaints.file_with_photos(
        session,
        storage,
        world.region,
        pothole_filing(confidential=confidential),
        [_jpeg_with_gps()],
        share_location=False,
        reporter=world.citizen,
    )
    session.flush()
    (photo,) = complaints.photos(session, world.region, filed.complaint)
    return filed.complaint, photo


def test_a_photo_is_served_as_a_jpeg_without_sniffing_or_gps(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint, photo = _file(client, session, world)
    served = client.get(f"/kota-aduan/pengaduan/{complaint.number}/foto/{photo.id}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert not Image.open(io.BytesIO(served.content)).getexif().get_ifd(0x8825)


def test_a_photo_is_only_found_under_its_own_complaint(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    first, photo = _file(client, session, world)
    second, _ = _file(client, session, world)
    assert client.get(f"/kota-aduan/pengaduan/{second.number}/foto/{photo.id}").status_code == 404
    assert (
        client.get(f"/kota-aduan/pengaduan/{first.number}/foto/{uuid.uuid4()}").status_code == 404
    )


def test_a_confidential_photo_is_not_found_for_the_public(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint, photo = _file(client, session, world, confidential=True)
    assert (
        client.get(f"/kota-aduan/pengaduan/{complaint.number}/foto/{photo.id}").status_code == 404
    )

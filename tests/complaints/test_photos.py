"""Complaint photos are re-encoded: no camera data, no hidden location unless shared,
turned upright, and files that are not photos are refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.core.errors import InvalidInput
from simpul.core.storage import LocalStorage
from tests.complaints.conftest import ComplaintWorld, pothole_filing

GPS = {1: "S", 2: (6.0, 53.0, 15.36), 3: "E", 4: (107.0, 36.0, 47.88)}


def camera_jpeg(size: tuple[int, int] = (300, 200), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (10, 120, 200))
    # A red band on the left: after a 90° turn it must be on top.
    for x in range(20):
        for y in range(size[1]):
            image.putpixel((x, y), (255, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "KameraMerek"  # Make
    exif[0x0110] = "Model-XYZ"  # Model
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def reopen(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_camera_fields_and_gps_are_gone_unless_shared(
    session: Session, world: ComplaintWorld, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    filed = complaints.file_with_photos(
        session,
        storage,
        world.region,
        pothole_filing(),
        [camera_jpeg()],
        share_location=False,
        reporter=world.citizen,
    )
    (photo,) = complaints.photos(session, world.region, filed.complaint)
    stored = complaints.photo_bytes(storage, photo)
    assert b"KameraMerek" not in stored and b"Model-XYZ" not in stored
    assert not dict(reopen(stored).getexif()) and not photo.location_kept
    assert photo.storage_key == (
        f"complaints/{world.region.id}/{filed.complaint.id}/{photo.id}.jpg"
    )


def test_shared_location_keeps_only_gps_and_places_the_complaint(
    session: Session, world: ComplaintWorld, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    filed = complaints.file_with_photos(
        session,
        storage,
        world.region,
        pothole_filing(latitude=None, longitude=None, address=""),
        [camera_jpeg()],
        share_location=True,
        reporter=world.citizen,
    )
    (photo,) = complaints.photos(session, world.region, filed.complaint)
    stored = reopen(complaints.photo_bytes(storage, photo))
    exif = stored.getexif()
    assert set(exif) == {0x8825}
    assert exif.get_ifd(0x8825)[1] == "S"
    assert photo.location_kept
    assert filed.complaint.latitude == pytest.approx(-6.8876, abs=1e-4)
    assert filed.complaint.longitude == pytest.approx(107.6133, abs=1e-4)


def test_orientation_is_applied() -> None:
    # Orientation 6: the camera was turned; the stored photo is upright and has no tag.
    prepared = complaints.prepare_photo(camera_jpeg(orientation=6), share_location=False)
    image = reopen(prepared.data)
    assert image.size == (200, 300)
    red, green, blue = image.convert("RGB").getpixel((100, 5))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60


def test_large_photos_are_downscaled() -> None:
    prepared = complaints.prepare_photo(camera_jpeg(size=(4000, 1000)), share_location=False)
    assert (prepared.width, prepared.height) == (2048, 512)


def test_an_html_file_named_jpg_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        complaints.prepare_photo(b"<html><script>alert(1)</script></html>", share_location=False)
    assert refused.value.field_errors() == {"foto": "Foto harus berupa gambar JPEG, PNG atau WebP."}


def test_a_polyglot_keeps_only_its_pixels() -> None:
    # A valid PNG with HTML appended (and in a text chunk): the stored JPEG has neither.
    image = Image.new("RGB", (32, 32), (0, 200, 0))
    out = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    image.save(out, "PNG", pnginfo=info)
    polyglot = out.getvalue() + b"<html><script>alert(2)</script></html>"
    prepared = complaints.prepare_photo(polyglot, share_location=False)
    assert prepared.data.startswith(b"\xff\xd8\xff")
    assert b"<script>" not in prepared.data


def test_a_png_header_on_a_jpeg_is_refused() -> None:
    lying = b"\x89PNG\r\n\x1a\n" + camera_jpeg()
    with pytest.raises(InvalidInput):
        complaints.prepare_photo(lying, share_location=False)


def test_oversize_and_too_many_and_bombs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="8 MB"):
        complaints.prepare_photo(b"\xff\xd8\xff" + b"0" * (8 * 1024 * 1024), share_location=False)
    with pytest.raises(InvalidInput, match="5 foto"):
        complaints.prepare_photos([camera_jpeg()] * 6, share_location=False)
    # 10,000 × 10,000 pixels of one colour compress to a few kilobytes: a bomb.
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 8 * 1024 * 1024
    with pytest.raises(InvalidInput, match="terlalu besar"):
        complaints.prepare_photo(bomb.getvalue(), share_location=False)

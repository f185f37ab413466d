"""Attack: upload an image that is small on disk and enormous once decoded.

A PNG of one colour or a JPEG whose frame header lies compresses gigapixels into kilobytes;
the officer's browser (or any later thumbnail) that decodes it runs out of memory. Images
above ``SIMPUL_UPLOAD_MAX_IMAGE_PIXELS`` (40 megapixels) are refused from their header, before
anything is decoded, with the limit in the message. Pillow's own bomb guards (its warning
above 89 megapixels, its error above 179) become the same clear refusal, never a 500. The
limits are stated on the upload field before the citizen chooses a file.
"""

# ruff: noqa: F811 - ``world`` is a fixture of tests/applications, imported to be a parameter

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.service import create_api_token
from simpul.applications.models import Document
from tests.api_errors import api_error
from tests.applications.conftest import (
    World,
    world,  # noqa: F401 - fixture
)
from tests.applications.test_pages import log_in, start
from tests.applications.test_pages import upload as page_upload
from tests.security import hostile_files

BOMBS: dict[str, Callable[[], bytes]] = {
    # Decoded by nobody here: 64 megapixels of real PNG in about 10 KB.
    "png_64_megapixels": functools.cache(lambda: hostile_files.png_of(8000, 8000)),
    # Pillow warns above 89 megapixels (an error when warnings are errors).
    "jpeg_claiming_100_megapixels": lambda: hostile_files.jpeg_claiming(10_000, 10_000),
    # Pillow refuses above 179 megapixels with DecompressionBombError.
    "jpeg_claiming_900_megapixels": lambda: hostile_files.jpeg_claiming(30_000, 30_000),
    "png_claiming_3600_megapixels": lambda: hostile_files.png_claiming(60_000, 60_000),
}


@pytest.fixture
def api(client: TestClient, session: Session, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    token = create_api_token(session, world.citizen, "unggah")[1]
    session.flush()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def send(client: TestClient, content: bytes, name: str) -> object:
    return client.post("/api/kota-uji/registration/documents", files=[("file", (name, content))])


def stored(world: World) -> list[Path]:
    root = world.storage.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_image_above_the_pixel_limit_is_refused_from_its_header(
    api: TestClient,
    session: Session,
    world: World,
    name: str,
) -> None:
    content = BOMBS[name]()
    assert len(content) < 200_000  # tiny on disk

    response = send(api, content, "ktp.png" if name.startswith("png") else "ktp.jpg")

    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    error = api_error(response)  # type: ignore[attr-defined]
    assert error["code"] == "image_too_large"
    assert "40 megapiksel" in error["message"] and "perkecil" in error["message"].lower()
    assert session.scalars(select(Document)).all() == []
    assert stored(world) == []


def test_the_limit_follows_the_setting(
    api: TestClient,
    world: World,
) -> None:
    settings = api.app.state.settings  # type: ignore[attr-defined]
    api.app.state.settings = settings.model_copy(update={"upload_max_image_pixels": 2_000_000})  # type: ignore[attr-defined]

    response = send(api, hostile_files.jpeg_of(2000, 1500), "foto.jpg")

    assert response.status_code == 400  # type: ignore[attr-defined]
    message = api_error(response)["message"]  # type: ignore[attr-defined]
    assert "2.000 × 1.500 piksel" in message and "2 megapiksel" in message


def test_an_ordinary_photo_is_stored_byte_for_byte(
    api: TestClient,
    world: World,
) -> None:
    photo = hostile_files.jpeg_of(1600, 1200)

    response = send(api, photo, "lokasi.jpg")

    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    url = response.json()["url"]  # type: ignore[attr-defined]
    assert api.get(url).content == photo


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 300,
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
    ],
    ids=["png_without_header", "jpeg_without_frame"],
)
def test_image_that_cannot_be_read_is_refused(
    api: TestClient,
    world: World,
    content: bytes,
) -> None:
    response = send(api, content, "foto.png")

    assert response.status_code == 400  # type: ignore[attr-defined]
    error = api_error(response)  # type: ignore[attr-defined]
    assert error["code"] == "image_unreadable" and "simpan ulang" in error["message"].lower()
    assert stored(world) == []


def test_bomb_on_the_page_is_refused_next_to_its_field(
    client: TestClient,
    session: Session,
    world: World,
) -> None:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    log_in(client, "warga@example.org", "sandi-warga-1")
    form_page = start(client)

    refused = page_upload(
        client, form_page, "foto", "foto.jpg", BOMBS["jpeg_claiming_900_megapixels"]()
    )

    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="ue-foto"' in refused.text and "megapiksel" in refused.text  # type: ignore[attr-defined]
    assert session.scalars(select(Document)).all() == []


def test_the_limits_are_on_the_upload_field_before_a_file_is_chosen(
    client: TestClient,
    world: World,
) -> None:
    log_in(client, "warga@example.org", "sandi-warga-1")
    form_page = start(client)

    page = client.get(form_page).text

    hint = re.search(r'<p class="hint" id="(dokumen-batas)">(.*?)</p>', page, re.S)
    assert hint, "the form states no upload limits"
    text = " ".join(hint.group(2).split())
    assert "PDF, JPG atau PNG" in text and "10 MB" in text and "40 megapiksel" in text
    assert "100 MB" in text  # the pending quota
    inputs = re.findall(
        r'<input id="f-dokumen-[^"]+" name="file\.[^"]+" type="file"[^>]*>', page, re.S
    )
    assert inputs and all("dokumen-batas" in i for i in inputs)  # read out with the field

    client.cookies.set("simpul_lang", "en")
    english = client.get(form_page).text
    assert "40 megapixels" in english


def test_spbe_evidence_field_states_the_limits_and_refuses_bombs(
    client: TestClient,
    session: Session,
    world: World,
) -> None:
    import io

    from simpul.accounts.models import AccountKind
    from simpul.evaluation.assessments import spbe_answers, spbe_assessment
    from tests.factories import make_user

    admin = make_user(
        session, world.region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN
    )
    spbe_assessment.start_assessment(session, world.region, admin, 2025, copy_previous=False)
    session.flush()
    log_in(client, "admin@example.org", "sandi-admin-1")

    page = client.get("/kota-uji/admin/spbe/2025/indikator/1").text

    hint = re.search(r'<p class="hint" id="h-bukti">(.*?)</p>', page, re.S)
    assert hint and "10 MB" in hint.group(1) and "40 megapiksel" in hint.group(1)
    with pytest.raises(spbe_answers.EvidenceRejected) as refused:
        spbe_answers.save_answer(
            session,
            world.region,
            admin,
            2025,
            1,
            level="2",
            justification="Foto papan.",
            upload=(io.BytesIO(BOMBS["png_claiming_3600_megapixels"]()), "papan.png"),
            storage=world.storage,
            max_bytes=1_000_000,
        )
    assert refused.value.status_code == 422 and "megapiksel" in refused.value.message

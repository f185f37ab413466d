"""Attacks on products, the letterhead and numbering (issue 15, decision 0045).

- An emblem that is not an image (SVG with script, HTML, a PNG carrying HTML after its end
  and in a text chunk): refused, or kept only as re-encoded pixels.
- A 50 MB image and image bombs (huge dimensions in a small file): refused before decoding.
- A template source that points at another service's field, at another service's officer
  entry, or at a column of the application (``data_encrypted``): refused on the field.
- A number format with ``str.format`` injection (``{0.__class__}``, ``{nomor.__init__}``,
  ``{nomor:>999999999}``): refused, and never handed to ``str.format``.
- Another region's admin editing this region's templates or letterhead; a staff member who is
  not the region admin changing the letterhead; posts without the CSRF token.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.catalogue.models import Agency, Service
from simpul.core.models import AuditEvent, Region
from simpul.documents import numbering
from tests.catalogue.test_product_editor import PAGE, SLUG, product_form
from tests.catalogue.test_product_editor import region as region  # noqa: PLC0414 - fixture
from tests.factories import add_agency, csrf_from, make_region, make_user, post_form, service_seed
from tests.security import hostile_files

LETTERHEAD = "/kota-uji/admin/kop-surat"
EMBLEM = f"{LETTERHEAD}/lambang"


def log_in(client: TestClient, slug: str, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, f"/{slug}/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def upload_emblem(client: TestClient, data: bytes, name: str, content_type: str) -> object:
    token = csrf_from(client.get(LETTERHEAD).text)
    return client.post(
        EMBLEM,
        data={"csrf_token": token},
        files={"emblem": (name, data, content_type)},
        follow_redirects=False,
    )


def emblem_of(session: Session, region: Region) -> bytes | None:
    session.expire_all()
    return session.scalar(select(Region.emblem_png).where(Region.id == region.id))


def png_with_payload() -> bytes:
    """A real PNG with HTML in a tEXt chunk and more after its IEND: a polyglot a browser
    sniffing content could run as HTML."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(out, format="PNG")
    data = out.getvalue()
    body = b"Comment\x00<script>alert('kop')</script>"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end = data.index(b"IEND") - 4
    return data[:end] + chunk + data[end:] + b"<html><script>alert(1)</script></html>"


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b"<script>alert(1)</script><rect width='64' height='64'/></svg>"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def admin(client: TestClient, region: Region) -> TestClient:
    log_in(client, "kota-uji", "admin@example.org", "sandi-admin-1")
    return client


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (SVG, "lambang.svg", "image/svg+xml"),
        (SVG, "lambang.png", "image/png"),  # an SVG that says it is a PNG
        (HTML, "lambang.png", "image/png"),
        (b"GIF89a" + HTML, "lambang.png", "image/png"),  # a GIF/HTML polyglot
        (hostile_files.png_of(8000, 8000), "bom.png", "image/png"),  # 64 megapixels
        (hostile_files.png_claiming(60_000, 60_000), "bom.png", "image/png"),
        (hostile_files.jpeg_claiming(10_000, 10_000), "bom.jpg", "image/jpeg"),
        (hostile_files.png_of(8, 8), "kecil.png", "image/png"),  # too small to print
    ],
)
def test_an_emblem_that_is_not_a_plain_image_is_refused(
    admin: TestClient,
    session: Session,
    region: Region,
    data: bytes,
    name: str,
    content_type: str,
) -> None:
    response = upload_emblem(admin, data, name, content_type)
    assert response.status_code == 422, response  # type: ignore[attr-defined]
    assert 'id="e-emblem"' in response.text  # type: ignore[attr-defined]
    assert emblem_of(session, region) is None


def test_a_50_megabyte_image_is_refused_unread(
    admin: TestClient, session: Session, region: Region
) -> None:
    data = hostile_files.png_of(64, 64) + b"\0" * (50 * 1024 * 1024)
    response = upload_emblem(admin, data, "besar.png", "image/png")
    assert response.status_code in (413, 422)  # type: ignore[attr-defined]
    assert emblem_of(session, region) is None


def test_a_polyglot_png_is_kept_as_pixels_only(
    admin: TestClient, session: Session, region: Region
) -> None:
    response = upload_emblem(admin, png_with_payload(), "lambang.png", "image/png")
    assert response.status_code == 303  # type: ignore[attr-defined]
    stored = emblem_of(session, region)
    assert stored is not None and b"script" not in stored and b"tEXt" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.size == (64, 64)
    served = admin.get(f"{LETTERHEAD}/lambang.png")
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert (
        session.scalars(select(AuditEvent).where(AuditEvent.action == "region.emblem"))
        .one()
        .details["sha256"]
    )


@pytest.fixture
def second_service(session: Session, region: Region) -> None:
    """Another service of the region, with its own form field and officer entry."""
    add_agency(
        session,
        region,
        "dinas-lain",
        "Dinas Lain Kota Uji",
        [
            service_seed(
                "izin-lain",
                "Perizinan Lain",
                eform={
                    "schema": {
                        "type": "object",
                        "properties": {"rahasia_lain": {"type": "string", "title": "Rahasia"}},
                    }
                },
                workflow={
                    "steps": [
                        {
                            "code": "entri",
                            "name": "Entri data",
                            "name_en": "Data entry",
                            "role": "operator",
                            "actions": ["approve"],
                            "kind": "data_entry",
                            "fields": [{"code": "nomor_lain", "label": "Nomor lain"}],
                        }
                    ]
                },
            )
        ],
    )


@pytest.mark.parametrize(
    "source",
    [
        "form:rahasia_lain",  # another service's form field
        "step:nomor_lain",  # another service's officer entry
        "application:data_encrypted",  # a column of the application
        "form:data_encrypted",
        "applicant:password_hash",
        "form:nama_usaha.__class__",
        "form:../izin-lain/rahasia_lain",
        "{0.__class__}",
    ],
)
def test_a_source_outside_the_service_is_refused(
    admin: TestClient, session: Session, region: Region, second_service: None, source: str
) -> None:
    response = post_form(admin, PAGE, product_form(p0_f1_source=source))
    assert response.status_code == 422
    assert 'id="e-p0_f1_source"' in response.text
    session.expire_all()
    service = session.scalar(
        select(Service).where(Service.region_id == region.id, Service.slug == SLUG)
    )
    assert service is not None and service.products == []


@pytest.mark.parametrize(
    "number_format",
    [
        "{0.__class__}/{nomor}/{tahun}",
        "{nomor.__init__.__globals__}/{tahun}",
        "{nomor:>999999999}/{tahun}",
        "{nomor!r}/{tahun}",
        "{nomor}/{tahun}/%(secret_key)s",
        "{nomor}/{tahun}/<script>",
        "{{nomor}}/{tahun}",
    ],
)
def test_format_injection_in_the_number_format_is_refused(
    admin: TestClient, session: Session, region: Region, number_format: str
) -> None:
    response = post_form(
        admin,
        f"{LETTERHEAD}/instansi/dinas-uji",
        {"number_format": number_format},
        page=LETTERHEAD,
    )
    assert response.status_code == 422
    assert 'id="e-format_dinas-uji"' in response.text
    session.expire_all()
    agency = session.scalar(select(Agency).where(Agency.region_id == region.id))
    assert agency is not None and agency.document_number_format == numbering.DEFAULT_FORMAT
    # Even a format stored around the check never reaches str.format.
    parts = numbering.NumberParts(1, "X", 1, 2026)
    assert "class" not in numbering.render_number(number_format, parts)


def test_another_regions_admin_cannot_edit_this_regions_templates_or_letterhead(
    client: TestClient, session: Session, region: Region
) -> None:
    other = make_region(session, "kota-lain", "Kota Lain", [service_seed(SLUG, "Izin Lain")])
    make_user(session, other, "admin@lain.example", "sandi-admin-2", AccountKind.REGION_ADMIN)
    log_in(client, "kota-lain", "admin@lain.example", "sandi-admin-2")
    token = csrf_from(client.get("/kota-lain/admin/kop-surat").text)
    attempts = [
        (PAGE, product_form()),
        (LETTERHEAD, {"letterhead_line": "PEMERINTAH KOTA PALSU"}),
        (f"{LETTERHEAD}/instansi/dinas-uji", {"number_format": "X/{nomor}/{tahun}"}),
    ]
    for path, data in attempts:
        response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert response.status_code in (303, 401, 403, 404), (path, response.status_code)
        assert "kota-uji" not in response.headers.get("location", "/kota-uji/masuk").replace(
            "/kota-uji/masuk", ""
        )
    assert client.get(PAGE, follow_redirects=False).status_code in (303, 401, 403)
    assert client.get(LETTERHEAD, follow_redirects=False).status_code in (303, 401, 403)
    session.expire_all()
    assert session.get(Region, region.id).letterhead_line == ""  # type: ignore[union-attr]
    service = session.scalar(
        select(Service).where(Service.region_id == region.id, Service.slug == SLUG)
    )
    assert service is not None and service.products == []


def test_only_the_region_admin_sets_the_letterhead(
    client: TestClient, session: Session, region: Region
) -> None:
    make_user(
        session,
        region,
        "opd@example.org",
        "sandi-opd-123",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    log_in(client, "kota-uji", "opd@example.org", "sandi-opd-123")
    assert client.get(LETTERHEAD).status_code == 403
    response = post_form(
        client, LETTERHEAD, {"letterhead_line": "PEMERINTAH PALSU"}, page="/kota-uji"
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Region, region.id).letterhead_line == ""  # type: ignore[union-attr]


def test_posts_without_the_csrf_token_change_nothing(
    admin: TestClient, session: Session, region: Region
) -> None:
    attempts = [
        (PAGE, product_form(), None),
        (LETTERHEAD, {"letterhead_line": "PEMERINTAH PALSU"}, None),
        (f"{LETTERHEAD}/instansi/dinas-uji", {"number_format": "X/{nomor}/{tahun}"}, None),
        (EMBLEM, {}, {"emblem": ("l.png", hostile_files.png_of(64, 64), "image/png")}),
    ]
    for path, data, files in attempts:
        response = admin.post(path, data=data, files=files, follow_redirects=False)
        assert response.status_code == 403, path
    session.expire_all()
    assert session.get(Region, region.id).letterhead_line == ""  # type: ignore[union-attr]
    assert emblem_of(session, region) is None
    agency = session.scalar(select(Agency).where(Agency.region_id == region.id))
    assert agency is not None and agency.document_number_format == numbering.DEFAULT_FORMAT
    service = session.scalar(
        select(Service).where(Service.region_id == region.id, Service.slug == SLUG)
    )
    assert service is not None and service.products == []

"""The region admin sets the letterhead's line, uploads the emblem and sets each agency's
number format; each is audited, and what was set is what the next document prints."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.core.models import AuditEvent, Region
from tests.catalogue.test_product_editor import region as region  # noqa: PLC0414 - fixture
from tests.factories import csrf_from, post_form
from tests.security.test_products_attacks import LETTERHEAD, log_in


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)))


def test_the_admin_sets_the_letterhead_emblem_and_number_format(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "kota-uji", "admin@example.org", "sandi-admin-1")
    page = client.get(LETTERHEAD)
    assert page.status_code == 200
    assert "00012/DINASUJI/" in page.text or "00012/DISUJI/" in page.text  # today's shape
    # The line.
    response = post_form(client, LETTERHEAD, {"letterhead_line": "  PEMERINTAH   KOTA UJI "})
    assert response.status_code == 303
    assert "Baris pertama kop surat disimpan." in client.get(response.headers["location"]).text
    # The emblem: a JPEG is kept as a PNG no larger than 600 px.
    jpeg = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 30, 40)).save(jpeg, format="JPEG")
    token = csrf_from(client.get(LETTERHEAD).text)
    response = client.post(
        f"{LETTERHEAD}/lambang",
        data={"csrf_token": token},
        files={"emblem": ("lambang.jpg", jpeg.getvalue(), "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    served = client.get(f"{LETTERHEAD}/lambang.png")
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.format == "PNG" and image.size == (600, 450)
    # The number format, with a sample of what it gives.
    response = post_form(
        client,
        f"{LETTERHEAD}/instansi/dinas-uji",
        {"number_format": "474.1/{nomor}/{kode}/{bulan_romawi}/{tahun}"},
        page=LETTERHEAD,
    )
    assert response.status_code == 303
    page = client.get(LETTERHEAD).text
    assert "474.1/00012/" in page
    session.expire_all()
    stored = session.get(Region, region.id)
    assert stored is not None and stored.letterhead_line == "PEMERINTAH KOTA UJI"
    agency = session.scalar(select(Agency).where(Agency.region_id == region.id))
    assert agency is not None
    assert agency.document_number_format == "474.1/{nomor}/{kode}/{bulan_romawi}/{tahun}"
    assert {"region.letterhead", "region.emblem", "agency.number_format"} <= set(actions(session))
    # Removing the emblem.
    token = csrf_from(client.get(LETTERHEAD).text)
    client.post(
        f"{LETTERHEAD}/lambang", data={"csrf_token": token, "remove": "ya"}, follow_redirects=False
    )
    assert client.get(f"{LETTERHEAD}/lambang.png").status_code == 404


def test_a_bad_line_is_refused_on_its_field(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "kota-uji", "admin@example.org", "sandi-admin-1")
    response = post_form(client, LETTERHEAD, {"letterhead_line": "X" * 201})
    assert response.status_code == 422 and 'id="e-letterhead_line"' in response.text
    response = post_form(client, LETTERHEAD, {"letterhead_line": "PEMERINTAH \u202ekota"})
    assert response.status_code == 422 and 'id="e-letterhead_line"' in response.text
    session.expire_all()
    assert session.get(Region, region.id).letterhead_line == ""  # type: ignore[union-attr]

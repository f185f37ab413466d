"""The demo region's letterhead: a placeholder emblem drawn here (no real region's arms in the
repository) and the number format Disdukcapil's documents use, so the demo's products look
like the real thing. A real region uploads its emblem at ``/{region}/admin/kop-surat``."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from simpul.catalogue import repository as catalogue_repository
from simpul.core.models import Region
from simpul.documents.letterhead import clean_emblem

#: Disdukcapil numbers its documents with its archive classification and the Roman month.
DEMO_NUMBER_FORMATS = {"disdukcapil": "474.1/{nomor}/{kode}/{bulan_romawi}/{tahun}"}


def placeholder_emblem() -> bytes:
    """A plain shield, marked as a placeholder by its simplicity: blue, gold, a red disc."""
    image = Image.new("RGBA", (240, 280), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(10, 10), (230, 10), (230, 160), (120, 270), (10, 160)], fill=(20, 80, 160))
    draw.polygon([(40, 40), (200, 40), (200, 150), (120, 230), (40, 150)], fill=(240, 200, 40))
    draw.ellipse((85, 70, 155, 140), fill=(200, 30, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return clean_emblem(out.getvalue())


def seed_demo_letterhead(session: Session, region: Region) -> None:
    """Set what the region has not set yet (a region admin's own choice is kept)."""
    if region.emblem_png is None:
        region.emblem_png = placeholder_emblem()
    for slug, number_format in DEMO_NUMBER_FORMATS.items():
        agency = catalogue_repository.get_agency_by_slug(session, region.id, slug)
        if agency is not None and "{bulan_romawi}" not in agency.document_number_format:
            agency.document_number_format = number_format
    session.flush()

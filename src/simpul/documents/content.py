"""What an issued document says, taken from the application, its service and its region.

Pure: the caller (the worker job that issues documents) loads the rows and passes them in.
The title is the product the service standard names (``produk_pelayanan``): its first item,
without the qualifiers regions add there ("... elektronik ber-TTE dengan kode QR").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from simpul.applications import service as applications_service
from simpul.applications.service import Application
from simpul.catalogue.models import Agency, Service
from simpul.core.models import Region
from simpul.documents.render import DocumentContent, verification_url

#: Where the product's name ends and its description begins, in the demo catalogues' wording.
_TITLE_ENDS: Final = (
    " bertanda tangan",
    " ber-TTE",
    " elektronik",
    " berupa ",
    " dengan ",
    " beserta ",
    " yang ",
    " untuk ",
    " berlaku ",
    " di OSS",
    " dari sistem",
    " (berlaku",
    " (TTE",
    " atau ",
    ",",
    ";",
    ". ",
)
TITLE_MAX: Final = 120


def product_title(produk_pelayanan: str, fallback: str) -> str:
    """The document's title from the standard's product text; ``fallback`` when there is none."""
    line = next(
        (
            stripped
            for raw in produk_pelayanan.splitlines()
            if (stripped := raw.strip().lstrip("-•*").strip())
        ),
        "",
    )
    end = len(line)
    for marker in _TITLE_ENDS:
        position = line.find(marker)
        if 0 < position < end:
            end = position
    title = line[:end].strip().rstrip(".:")
    if len(title) < 3:
        return fallback
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


def application_rows(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The answers as (label, value) rows; a group's parts are labelled "Group – part"."""
    rows: list[tuple[str, str]] = []
    group = ""
    for answer in applications_service.describe(schema, data):
        if answer.depth == 0 and not answer.value:
            group = answer.label
            continue
        if answer.depth == 0:
            group = ""
            rows.append((answer.label, answer.value))
        else:
            rows.append((f"{group} – {answer.label}" if group else answer.label, answer.value))
    return rows


def document_content(
    *,
    region: Region,
    agency: Agency,
    service: Service,
    application: Application,
    applicant_name: str,
    number: str,
    code: str,
    base_url: str,
    issued_on: date,
    signer_position: str = "",
) -> DocumentContent:
    """The ``DocumentContent`` of the document issued for ``application``."""
    schema = service.eform.get("schema", {}) if isinstance(service.eform, Mapping) else {}
    return DocumentContent(
        region_name=region.name,
        agency_name=agency.name,
        title=product_title(str(service.standard.get("produk_pelayanan", "")), service.name),
        number=number,
        code=code,
        applicant_name=applicant_name,
        issued_on=issued_on,
        verification_url=verification_url(base_url, region.slug, code),
        service_name=service.name,
        rows=[
            ("Nomor permohonan", application.tracking_number),
            # The citizen's own official document: identifiers in full, contact details not
            # printed (decision 0022).
            *application_rows(
                schema, applications_service.answers_for_document(application, service)
            ),
        ],
        signer_position=signer_position,
    )

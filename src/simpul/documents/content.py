"""What an issued document says, taken from the application, its service and its region.

Pure: the caller (the worker job that issues documents, or the template editor's preview)
loads the rows and passes them in. A service that declares products (``service.products``,
``catalogue.products.ProductTemplate``) prints each as its template says: its title, layout,
opening, fields from their sources and closing (``product_content``). A service that declares
none keeps the generic letter (``document_content``): its title is the product the service
standard names (``produk_pelayanan``), its first item without the qualifiers regions add
there ("... elektronik ber-TTE dengan kode QR"), and it lists the form's answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from simpul.applications import service as applications_service
from simpul.applications.service import Application
from simpul.catalogue.models import Agency, Service
from simpul.catalogue.product_templates import form_sources
from simpul.catalogue.products import ProductTemplate
from simpul.core.models import Region
from simpul.documents.models import GENERIC_PRODUCT_CODE
from simpul.documents.render import DocumentContent, indonesian_date, verification_url

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


_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def printed_date(value: str) -> str:
    """A form's date answer (``2026-11-20``) as an official document states it
    ("20 November 2026"); any other text unchanged."""
    match = _ISO_DATE.match(value.strip())
    if match is None:
        return value
    try:
        return indonesian_date(date(*(int(part) for part in match.groups())))
    except ValueError:
        return value


def application_rows(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The answers as (label, value) rows; a group's parts are labelled "Group – part"."""
    rows: list[tuple[str, str]] = []
    group = ""
    for answer in applications_service.describe(schema, data):
        if answer.depth == 0 and not answer.value:
            group = answer.label
            continue
        value = printed_date(answer.value)
        if answer.depth == 0:
            group = ""
            rows.append((answer.label, value))
        else:
            rows.append((f"{group} – {answer.label}" if group else answer.label, value))
    return rows


@dataclass(frozen=True)
class SignerLines:
    """What prints under the signature: the signing officer's name, position and NIP."""

    name: str = ""
    position: str = ""
    nip: str = ""


@dataclass(frozen=True)
class Applicant:
    """The applicant as the product prints them (the citizen's own document: NIK in full)."""

    name: str
    nik: str = ""


def signer_lines(
    full_name: str, position: str, nip: str, template_position: str = ""
) -> SignerLines:
    """The signer from their account; the template's position when the account names none."""
    return SignerLines(full_name.strip(), position.strip() or template_position.strip(), nip)


def agency_contact(agency: Agency) -> str:
    """The letterhead's contact line: address, telephone, e-mail, website (what is known)."""
    parts = [
        (agency.address or "").strip(),
        f"Telp. {agency.phone.strip()}" if (agency.phone or "").strip() else "",
        f"Pos-el {agency.email.strip()}" if (agency.email or "").strip() else "",
        f"Laman {agency.website.strip()}" if (agency.website or "").strip() else "",
    ]
    return " · ".join(part for part in parts if part)


def _letterhead(region: Region, agency: Agency) -> dict[str, Any]:
    return {
        "region_name": region.name,
        "letterhead_line": region.letterhead_line or "",
        "emblem_png": region.emblem_png,
        "agency_name": agency.name,
        "agency_contact": agency_contact(agency),
    }


def _schema(service: Service) -> Mapping[str, Any]:
    eform = service.eform if isinstance(service.eform, Mapping) else {}
    schema = eform.get("schema", {})
    return schema if isinstance(schema, Mapping) else {}


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
    signer: SignerLines | None = None,
) -> DocumentContent:
    """The generic letter of a service that declares no products: the form's answers."""
    schema = _schema(service)
    signer = signer or SignerLines(position=signer_position)
    return DocumentContent(
        **_letterhead(region, agency),
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
        signer_name=signer.name,
        signer_position=signer.position or signer_position,
        signer_nip=signer.nip,
        product_code=GENERIC_PRODUCT_CODE,
    )


# ---- Products from their templates --------------------------------------------------------


def _choice(node: Mapping[str, Any], value: Any) -> str | None:
    for option in node.get("oneOf", []) if isinstance(node, Mapping) else []:
        if isinstance(option, Mapping) and option.get("const") == value:
            return str(option.get("title", value))
    return None


def _printed(node: Mapping[str, Any], value: Any) -> str:
    """A value as the document prints it: choices by their label, yes/no, dates in words,
    groups and lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, Mapping):
        children = node.get("properties", {}) if isinstance(node, Mapping) else {}
        keys = [k for k in children if k in value] + [k for k in value if k not in children]
        parts = [_printed(children.get(k, {}), value[k]) for k in keys]
        return ", ".join(part for part in parts if part)
    if isinstance(value, list):
        item = node.get("items", {}) if isinstance(node, Mapping) else {}
        return "; ".join(part for part in (_printed(item, v) for v in value) if part)
    label = _choice(node, value)
    return label if label is not None else printed_date(str(value))


def _at_path(schema: Mapping[str, Any], data: Any, path: str) -> str:
    node: Mapping[str, Any] = schema
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
            node = node.get("properties", {}).get(part, {}) if isinstance(node, Mapping) else {}
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
            node = node.get("items", {}) if isinstance(node, Mapping) else {}
        else:
            return ""
    return _printed(node, value)


def _local_day(moment: datetime | None, timezone: str) -> date | None:
    return moment.astimezone(ZoneInfo(timezone)).date() if moment is not None else None


def field_value(  # noqa: PLR0911 - one answer per kind of source
    source: str,
    *,
    schema: Mapping[str, Any],
    answers: Mapping[str, Any],
    officer_data: Mapping[str, Any],
    applicant: Applicant,
    application: Application,
    timezone: str,
    issued_on: date,
) -> str:
    """The value a product field prints from its ``source`` (``catalogue.products``)."""
    kind, _sep, rest = source.partition(":")
    if kind == "form":
        return _at_path(schema, answers, rest)
    if kind == "step":
        return _at_path({}, officer_data, rest)
    if kind == "text":
        return rest.strip()
    if source == "applicant:name":
        return applicant.name
    if source == "applicant:nik":
        return applicant.nik
    if source == "application:tracking_number":
        return application.tracking_number or ""
    if source == "application:submitted_on":
        day = _local_day(application.submitted_at, timezone)
        return indonesian_date(day) if day else ""
    if source == "application:finished_on":
        return indonesian_date(_local_day(application.finished_at, timezone) or issued_on)
    return ""


def product_content(
    *,
    region: Region,
    agency: Agency,
    service: Service,
    product: ProductTemplate,
    application: Application,
    applicant: Applicant,
    signer: SignerLines,
    number: str,
    code: str,
    base_url: str,
    issued_on: date,
) -> DocumentContent:
    """The ``DocumentContent`` of one product of the service for ``application``."""
    schema = _schema(service)
    answers = applications_service.answers_for_document(application, service)
    officer_data = application.officer_data or {}
    rows = [
        (
            field.label,
            field_value(
                field.source,
                schema=schema,
                answers=answers,
                officer_data=officer_data,
                applicant=applicant,
                application=application,
                timezone=region.timezone or "Asia/Jakarta",
                issued_on=issued_on,
            ),
        )
        for field in product.fields
    ]
    return _product_document(
        region,
        agency,
        service,
        product,
        rows,
        signer,
        number,
        code,
        base_url,
        issued_on,
        applicant_name=applicant.name,
    )


def _product_document(
    region: Region,
    agency: Agency,
    service: Service,
    product: ProductTemplate,
    rows: list[tuple[str, str]],
    signer: SignerLines,
    number: str,
    code: str,
    base_url: str,
    issued_on: date,
    *,
    applicant_name: str,
    sample: bool = False,
) -> DocumentContent:
    return DocumentContent(
        **_letterhead(region, agency),
        title=product.title,
        number=number,
        code=code,
        applicant_name=applicant_name,
        issued_on=issued_on,
        verification_url=verification_url(base_url, region.slug, code),
        service_name=service.name,
        rows=rows,
        signer_name=signer.name,
        signer_position=signer.position or product.signer_position,
        signer_nip=signer.nip,
        layout=product.layout,
        opening=product.opening,
        closing=product.closing,
        holder_row=False,
        product_code=product.code,
        sample=sample,
    )


SAMPLE_CODE: Final = "CONT-OHXX-XXXX-XXXX"


def sample_content(
    *,
    region: Region,
    agency: Agency,
    service: Service,
    product: ProductTemplate,
    officer_labels: Mapping[str, str],
    number: str,
    base_url: str,
    issued_on: date,
) -> DocumentContent:
    """The product filled with sample values, for the template editor's preview: each field
    shows what it will hold ("[Nama anak]"), and the page is marked CONTOH."""
    labels = dict(form_sources(_schema(service)))

    def sample(source: str) -> str:
        kind, _sep, rest = source.partition(":")
        if kind == "form":
            return f"[{labels.get(rest, rest)}]"
        if kind == "step":
            return f"[{officer_labels.get(rest, rest)}]"
        if kind == "text":
            return rest.strip()
        return {
            "applicant:name": "[Nama pemohon]",
            "applicant:nik": "3273000000000000",
            "application:tracking_number": "[Nomor permohonan]",
        }.get(source, indonesian_date(issued_on))

    rows = [(field.label, sample(field.source)) for field in product.fields]
    signer = SignerLines("[Nama penandatangan]", product.signer_position, "000000000000000000")
    return _product_document(
        region,
        agency,
        service,
        product,
        rows,
        signer,
        number,
        SAMPLE_CODE,
        base_url,
        issued_on,
        applicant_name="[Nama pemohon]",
        sample=True,
    )

"""The documents domain's rules that need the database: recording, revoking, looking up.

This module is the domain's public API: other domains (the application pages) import only
this, and learn what happens through ``simpul.core.events``. Services flush, never commit:
the caller's boundary (a request, a job, a CLI command) does.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import service as applications_service
from simpul.catalogue.models import Agency, Service
from simpul.catalogue.products import ProductTemplate
from simpul.catalogue.standard import DEFAULT_WORKFLOW, Workflow
from simpul.core import events
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.personal import mask_sixteen_digit_numbers
from simpul.core.storage import ChunkStream, Storage, StorageNotFound
from simpul.core.text import unsafe_text_error
from simpul.documents import codes, credentials, issuing, numbering, repository
from simpul.documents.content import _letterhead as letterhead_fields
from simpul.documents.content import sample_content
from simpul.documents.models import DocumentJob, IssuedDocument, SigningCredential
from simpul.documents.receipt import TITLE as RECEIPT_TITLE
from simpul.documents.receipt import ReceiptContent
from simpul.documents.receipt import render_receipt as render_receipt_pdf
from simpul.documents.render import DocumentContent, render_document
from simpul.documents.verification import find_issued_document, mask_name

REASON_MIN = 10
REASON_MAX = 1000
#: Agency roles that may revoke what their agency issued (besides the region admin).
REVOKING_ROLES = frozenset({StaffRoleName.PENYETUJU, StaffRoleName.ADMIN_OPD})


def new_verification_code() -> str:
    """A fresh verification code (``codes.new_code``: 80 random bits, ``K7QM-3XH2-9TFA-WP4D``)."""
    return codes.new_code()


def get_issued_document(session: Session, region: Region, code: str) -> IssuedDocument:
    """The region's issued document with this code (as a person may type it); ``NotFound``
    otherwise."""
    document = find_issued_document(session, region, code)
    if document is None:
        raise NotFound(_("Dokumen dengan kode itu tidak diterbitkan wilayah ini."))
    return document


def record_issued_document(
    session: Session,
    region: Region,
    *,
    application_id: uuid.UUID,
    content: DocumentContent,
    signed_pdf: bytes,
    storage_key: str,
    signer_name: str,
    signer_fingerprint: str,
    signed_at: datetime,
) -> IssuedDocument:
    """Register a signed PDF that was stored under ``storage_key`` (the worker's last step).

    ``content`` is what was rendered and signed: its number and code, and what the public
    record repeats of it (the holder's name only masked). ``signer_fingerprint`` is the
    SHA-256 of the signing certificate's DER: verification accepts no other signer.
    """
    document = IssuedDocument(
        region_id=region.id,
        application_id=application_id,
        product_code=content.product_code,
        number=content.number,
        code=content.code,
        sha256=hashlib.sha256(signed_pdf).hexdigest(),
        storage_key=storage_key,
        signer_name=signer_name,
        signer_fingerprint=signer_fingerprint,
        signer_position=content.printed_position[:200],
        product=content.title[:200],
        agency_name=content.agency_name[:200],
        holder_masked=mask_name(content.applicant_name)[:200],
        issued_on=content.issued_on,
        signed_at=signed_at,
    )
    session.add(document)
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label="system",
        action="document.issue",
        target_type="issued_document",
        target_id=str(document.id),
        details={"number": content.number, "application_id": str(application_id)},
    )
    return document


def can_revoke(session: Session, user: User, document: IssuedDocument) -> bool:
    """The region admin, or an approver or agency admin of the agency that issued it."""
    if user.region_id != document.region_id:
        return False
    if user.kind is AccountKind.REGION_ADMIN:
        return True
    if user.kind is not AccountKind.STAFF:
        return False
    agency = applications_service.agency_of_application(
        session, document.region_id, document.application_id
    )
    agency_id = agency.id if agency is not None else None
    return any(r.agency_id == agency_id and r.role in REVOKING_ROLES for r in user.roles)


def revoke_document(
    session: Session,
    region: Region,
    document: IssuedDocument,
    *,
    reason: str,
    actor_id: uuid.UUID | None,
    actor_label: str,
) -> IssuedDocument:
    """Revoke ``document`` with a reason; verification says so from then on.

    The caller has checked ``can_revoke`` (pages) or is the operator (``cli``). A revoked
    document stays: its row, file and hash remain for the record.
    """
    hidden = unsafe_text_error(reason, field="reason", label=_("Alasan pencabutan"))
    if hidden:
        raise InvalidInput(hidden["message"], details=[hidden])
    # The reason is shown on the public verification page: a NIK typed into it stays masked.
    reason = mask_sixteen_digit_numbers(reason.strip())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidInput(
            _("Alasan pencabutan belum lengkap."),
            details=[
                {
                    "field": "reason",
                    "message": _("Tulis alasan pencabutan, %(min)d sampai %(max)d karakter.")
                    % {"min": REASON_MIN, "max": REASON_MAX},
                }
            ],
        )
    if document.region_id != region.id:
        raise NotFound(_("Dokumen dengan kode itu tidak diterbitkan wilayah ini."))
    if document.revoked_at is not None:
        raise Conflict(_("Dokumen ini sudah dicabut sebelumnya."))
    document.revoked_at = utcnow()
    document.revoked_reason = reason
    document.revoked_by = actor_id
    session.flush()
    # The citizen hears of it, on the timeline and by message (applications subscribes).
    events.publish(
        session,
        events.DocumentRevoked(
            region_id=region.id,
            application_id=document.application_id,
            number=document.number,
            reason=reason,
            actor_label=actor_label,
        ),
    )
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor_id,
        actor_label=actor_label,
        action="document.revoke",
        target_type="issued_document",
        target_id=str(document.id),
        details={"number": document.number, "reason": reason},
    )
    return document


def open_issued_document(
    session: Session,
    region: Region,
    storage: Storage,
    user: User,
    application_id: uuid.UUID,
    product_code: str | None = None,
) -> tuple[IssuedDocument, ChunkStream]:
    """The application's issued document (``product_code``: of that product; None: its first
    in force) for its owner or a responsible officer.

    Anyone else, an application without a document, or one whose document was revoked gets
    404 (a revoked document is not handed out again). An officer's download is audited.
    """
    application, _service = applications_service.readable_application(
        session, region, user, application_id
    )
    documents = [
        d
        for d in repository.get_issued_documents_of_application(session, region.id, application.id)
        if product_code is None or d.product_code == product_code
    ]
    current = next((d for d in documents if d.revoked_at is None), None)
    if current is None:
        raise NotFound(
            _("Dokumen hasil sudah dicabut.")
            if documents
            else _("Dokumen hasil permohonan ini belum terbit.")
        )
    if application.applicant_id != user.id:
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=user.id,
            actor_label=user.email,
            action="document.download",
            target_type="issued_document",
            target_id=str(current.id),
            details={"application_id": str(application.id)},
        )
    try:
        stream = storage.open(current.storage_key)
    except StorageNotFound as exc:
        raise NotFound(_("Berkas dokumen tidak ditemukan di penyimpanan.")) from exc
    return current, stream


def download_headers(document: IssuedDocument) -> dict[str, str]:
    """A file name from the number (``dokumen-00012-DPMPTSP-2026.pdf``), no caching."""
    name = "dokumen-" + "-".join(part for part in document.number.split("/") if part) + ".pdf"
    return {
        "Content-Disposition": applications_service.content_disposition(name),
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }


# ---- For the application pages (the issuing queue itself lives in ``issuing``). ----


def issued_documents_of_application(
    session: Session, region: Region, application_id: uuid.UUID
) -> list[IssuedDocument]:
    """The application's issued documents, newest first (a re-issue follows a revocation)."""
    return repository.get_issued_documents_of_application(session, region.id, application_id)


def applications_with_document(
    session: Session, region: Region, application_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these applications have an issued (unrevoked) document."""
    return repository.issued_document_ids_of(session, region.id, application_ids)


def document_state(
    session: Session, region: Region, application_id: uuid.UUID
) -> issuing.DocumentState:
    """The application's document: issued (latest), being prepared, failed, or none."""
    return issuing.document_state(session, region, application_id)


def may_issue(officer: User, agency_id: uuid.UUID) -> bool:
    """Approvers and agency admins of the agency may (re-)issue its documents."""
    return issuing.may_issue(officer, agency_id)


def reissue(
    session: Session,
    region: Region,
    officer: User,
    application_id: uuid.UUID,
    passphrase: str,
    product_code: str | None = None,
    *,
    second_factor: bool | None = None,
) -> list[DocumentJob]:
    """Queue new documents for a completed application's products that failed or were
    revoked (``product_code``: that one only). ``second_factor``: as for signing at the
    last approval (``credentials.require_second_factor``)."""
    credentials.require_second_factor(region, second_factor)
    return issuing.reissue(session, region, officer, application_id, passphrase, product_code)


def region_signs_documents(session: Session, region: Region) -> bool:
    """Whether the region has set up electronic signatures (any active credential)."""
    return credentials.region_signs_documents(session, region)


def active_credential(session: Session, region: Region, officer: User) -> SigningCredential | None:
    """The officer's signing credential in use, if any."""
    return credentials.active_credential(session, region, officer)


# ---- For the template editor (catalogue.product_pages) ----


def render_product_sample(region: Region, service_row: Service, product: ProductTemplate) -> bytes:
    """A sample PDF of ``product`` as ``service_row`` would issue it: sample values, the
    region's letterhead, the agency's number format, CONTOH on every page; not signed, not
    stored (the preview of the template editor)."""
    day = today_in(region)
    agency = service_row.agency
    officer_labels = {
        code: f.label
        for code, f in Workflow.model_validate(service_row.workflow or DEFAULT_WORKFLOW)
        .officer_fields()
        .items()
    }
    content = sample_content(
        region=region,
        agency=agency,
        service=service_row,
        product=product,
        officer_labels=officer_labels,
        number=numbering.sample_number(
            agency.document_number_format, agency.short_name, day.month, day.year
        ),
        base_url="https://simpul.invalid",
        issued_on=day,
    )
    return render_document(content)


def sample_number(agency: Agency, region: Region) -> str:
    """What the agency's next documents are numbered like (the settings page shows it)."""
    day = today_in(region)
    return numbering.sample_number(
        agency.document_number_format, agency.short_name, day.month, day.year
    )


def render_receipt(
    region: Region,
    service_row: Service,
    *,
    tracking_number: str,
    submitted_at: datetime,
    due_date: date | None,
    documents: list[str],
    tracking_url: str,
) -> bytes:
    """The receipt (bukti pendaftaran) of a submitted application under the region's and the
    service's agency's letterhead, with the QR code of ``tracking_url`` (decision 0051)."""
    head = DocumentContent(
        **letterhead_fields(region, service_row.agency),
        title=RECEIPT_TITLE,
        number=tracking_number,
        code="",
        applicant_name="",
        issued_on=today_in(region),
        verification_url="",
    )
    return render_receipt_pdf(
        ReceiptContent(
            letterhead=head,
            service_name=service_row.name,
            tracking_number=tracking_number,
            submitted_at=submitted_at,
            due_date=due_date,
            documents=documents,
            tracking_url=tracking_url,
            tz=ZoneInfo(region.timezone),
        )
    )


def issued_documents_for_export(
    session: Session, region: Region, application_ids: list[uuid.UUID]
) -> list[IssuedDocument]:
    """The documents issued on these applications, revoked ones too, oldest first: the data
    export of their applicant (the caller passes only the applicant's own applications)."""
    return repository.get_issued_documents_of_applications(session, region.id, application_ids)

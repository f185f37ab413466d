"""Issuing documents: queued in the approval's transaction, made by a worker.

``queue_documents`` runs inside the request that approves an application's last step: for each
product the service issues (``service.products``; the generic letter when it declares none) it
takes the next document number in the agency's format (``numbering``), a fresh verification
code, and writes a ``DocumentJob`` holding the approving officer's passphrase encrypted with the
server's secret (decision 0045: one job per product, same transaction, same passphrase). Nothing
slow happens in the request. The worker (``issue_due``, run by ``simpul worker``) claims due
jobs from the job queue (``repository.DOCUMENT_JOBS``, a ``simpul.core.queue``: ``FOR UPDATE
SKIP LOCKED`` and a lease), renders the PDF, signs it with the officer's key, stores it, and
then, in one transaction, registers the issued document, marks the job done, forgets the
passphrase and tells the applicant. A failure (storage down, a time-stamp authority unreachable,
a bug) puts the job back with exponential backoff; after the last attempt it is dead, the
passphrase is forgotten, and the application page says the document could not be made. The
application's own state (completed) never depends on the job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pyhanko.sign.signers import Signer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts import service as accounts_service
from simpul.accounts.models import StaffRoleName, User
from simpul.applications import service as applications_service
from simpul.applications.service import Application
from simpul.catalogue.models import Agency, Service
from simpul.catalogue.products import ProductTemplate, validate_products
from simpul.core import events, security
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, Forbidden
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.queue import Backoff
from simpul.core.storage import Storage
from simpul.documents import credentials, numbering, repository, service
from simpul.documents.content import (
    Applicant,
    document_content,
    product_content,
    signer_lines,
)
from simpul.documents.credentials import Unlocked
from simpul.documents.models import (
    GENERIC_PRODUCT_CODE,
    DocumentJob,
    DocumentJobStatus,
    IssuedDocument,
    SigningCredential,
)
from simpul.documents.pki import Pkcs12DataSignerSource, http_timestamper, token_signer
from simpul.documents.render import DocumentContent, render_document
from simpul.documents.signing import sign_pdf

log = logging.getLogger(__name__)

PASSPHRASE_PURPOSE: Final = "document-signing-passphrase"  # noqa: S105 (a key label)
#: Who may re-issue an agency's documents (besides signing the last approval).
ISSUING_ROLES: Final = frozenset({StaffRoleName.PENYETUJU, StaffRoleName.ADMIN_OPD})

#: The NOTIFY channel that wakes workers for document jobs (``simpul worker`` listens on it).
JOBS_CHANNEL: Final = repository.DOCUMENT_JOBS_CHANNEL


@dataclass(frozen=True)
class IssueConfig:
    """How the worker retries (from settings; tests shorten it)."""

    public_url: str
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    lease_seconds: float = 300.0
    batch_size: int = 5
    #: An RFC 3161 time-stamp authority (PAdES B-T); None: the signing time is the server's.
    tsa_url: str | None = None
    #: The PKCS#11 library that reaches officers' tokens (``SIMPUL_PKCS11_MODULE``).
    pkcs11_module: str | None = None

    @property
    def backoff(self) -> Backoff:
        return Backoff(self.max_attempts, self.retry_base_seconds, self.retry_max_seconds)


def issue_config() -> IssueConfig:
    from simpul.core.settings import get_settings

    settings = get_settings()
    return IssueConfig(
        public_url=settings.public_url,
        max_attempts=settings.document_max_attempts,
        retry_base_seconds=settings.document_retry_base_seconds,
        tsa_url=settings.tsa_url,
        pkcs11_module=settings.pkcs11_module,
    )


def document_number(sequence: int, agency_short_name: str, year: int) -> str:
    """``00012/DPMPTSP/2026``: the default format (``numbering.DEFAULT_FORMAT``)."""
    parts = numbering.NumberParts(sequence, numbering.agency_code(agency_short_name), 1, year)
    return numbering.render_number(numbering.DEFAULT_FORMAT, parts)


def storage_key(region: Region, year: int, code: str) -> str:
    return f"issued/{region.slug}/{year}/{code}.pdf"


def products_of(service_row: Service) -> list[ProductTemplate] | None:
    """The service's product templates; None when it declares none (the generic letter)."""
    if not service_row.products:
        return None
    return validate_products(service_row.products)


def product_codes(service_row: Service) -> list[str]:
    """The codes of what the service issues, in issuing order."""
    products = products_of(service_row)
    return [p.code for p in products] if products else [GENERIC_PRODUCT_CODE]


def queue_documents(
    session: Session,
    region: Region,
    application_id: uuid.UUID,
    *,
    signer: User,
    unlocked: Unlocked,
    only: Sequence[str] | None = None,
) -> list[DocumentJob]:
    """Queue the application's documents, one job per product (``only``: those products), in
    the caller's transaction (see module doc)."""
    loaded = applications_service.document_subject(session, region.id, application_id)
    if loaded is None:
        raise LookupError("the application is gone")
    _region, _application, service_row, agency, _applicant = loaded
    day = today_in(region)
    jobs: list[DocumentJob] = []
    for product_code in product_codes(service_row):
        if only is not None and product_code not in only:
            continue
        sequence = repository.next_document_number(session, region.id, day.year)
        parts = numbering.NumberParts(
            sequence, numbering.agency_code(agency.short_name), day.month, day.year
        )
        job = DocumentJob(
            region_id=region.id,
            application_id=application_id,
            product_code=product_code,
            signer_id=signer.id,
            credential_id=unlocked.credential.id,
            number=numbering.render_number(agency.document_number_format, parts),
            code=service.new_verification_code(),
            passphrase_encrypted=security.encrypt(PASSPHRASE_PURPOSE, unlocked.passphrase),
            status=DocumentJobStatus.QUEUED,
        )
        repository.add(session, job)
        jobs.append(job)
    session.flush()
    repository.notify_document_jobs(session)
    return jobs


@dataclass(frozen=True)
class _Claimed:
    job_id: uuid.UUID
    attempt: int


def claim(session: Session, config: IssueConfig, now: datetime) -> list[_Claimed]:
    """Take due jobs for this worker; the caller's transaction must commit before the work."""
    queue = repository.DOCUMENT_JOBS
    claimed: list[_Claimed] = []
    for job in repository.claim_due_jobs(session, now, config.batch_size):
        if queue.lease_ran_out(job):
            job.last_error = "worker stopped while making the document"
            if queue.out_of_attempts(job, config.backoff):
                queue.give_up(job)
                _forget_passphrase(job, now)
                continue
        attempt = queue.lease(job, now, config.lease_seconds)
        claimed.append(_Claimed(job.id, attempt))
    session.flush()
    return claimed


def _forget_passphrase(job: DocumentJob, now: datetime) -> None:
    """The job is over (done or given up): the passphrase is not kept a moment longer."""
    job.passphrase_encrypted = None
    job.finished_at = now


@dataclass(frozen=True)
class Made:
    """A signed document and what was printed on it (its record repeats some of it)."""

    pdf: bytes
    content: DocumentContent


def make_signed_pdf(session: Session, job: DocumentJob, config: IssueConfig) -> Made:
    """Render and sign the job's document (reads the database; writes nothing)."""
    loaded = applications_service.document_subject(session, job.region_id, job.application_id)
    credential = repository.get_credential(session, job.region_id, job.credential_id)
    if loaded is None or credential is None:
        raise LookupError("the application or the signing credential is gone")
    region, application, service_row, agency, applicant = loaded
    signing_officer = repository.get_user(session, job.region_id, job.signer_id)
    if signing_officer is None:
        raise LookupError("the signing officer is gone")
    passphrase = (
        security.decrypt(PASSPHRASE_PURPOSE, job.passphrase_encrypted)
        if job.passphrase_encrypted
        else None
    )
    if passphrase is None:
        raise PermissionError("the signing passphrase is not available")
    with _signer(credential, passphrase, config) as signer:
        content = content_of_job(
            job, config, region, application, service_row, agency, applicant, signing_officer
        )
        return _sign(signer, config, job, region, content)


@contextmanager
def _signer(
    credential: SigningCredential, passphrase: str, config: IssueConfig
) -> Iterator[Signer]:
    """The officer's signer: from the stored PKCS#12, or on the token (PIN = passphrase)."""
    if credential.kind == "pkcs11":
        if not config.pkcs11_module:
            raise RuntimeError("SIMPUL_PKCS11_MODULE is not set: cannot reach signing tokens")
        assert credential.token_label is not None
        assert credential.key_label is not None
        with token_signer(
            config.pkcs11_module,
            credential.token_label,
            credential.key_label,
            passphrase,
            credential.certificate_pem,
        ) as signer:
            yield signer
        return
    assert credential.pkcs12 is not None
    yield Pkcs12DataSignerSource(credential.pkcs12, passphrase.encode()).signer()


def content_of_job(
    job: DocumentJob,
    config: IssueConfig,
    region: Region,
    application: Application,
    service_row: Service,
    agency: Agency,
    applicant: User,
    signing_officer: User,
) -> DocumentContent:
    """What the job's document prints: its product's template, or the generic letter."""
    issued_on = today_in(region, job.created_at)
    products = products_of(service_row)
    if products is None or job.product_code == GENERIC_PRODUCT_CODE:
        return document_content(
            region=region,
            agency=agency,
            service=service_row,
            application=application,
            applicant_name=applicant.full_name,
            number=job.number,
            code=job.code,
            base_url=config.public_url,
            issued_on=issued_on,
            signer=signer_lines(
                signing_officer.full_name, signing_officer.position, signing_officer.nip
            ),
        )
    product = next((p for p in products if p.code == job.product_code), None)
    if product is None:
        raise LookupError(f"the service no longer issues the product {job.product_code}")
    return product_content(
        region=region,
        agency=agency,
        service=service_row,
        product=product,
        application=application,
        applicant=Applicant(applicant.full_name, accounts_service.nik_of(applicant) or ""),
        signer=signer_lines(
            signing_officer.full_name,
            signing_officer.position,
            signing_officer.nip,
            product.signer_position,
        ),
        number=job.number,
        code=job.code,
        base_url=config.public_url,
        issued_on=issued_on,
    )


def _sign(
    signer: Signer, config: IssueConfig, job: DocumentJob, region: Region, content: DocumentContent
) -> Made:
    signed = sign_pdf(
        render_document(content),
        signer,
        reason=f"Penerbitan {content.title} nomor {job.number}",
        location=region.name,
        qr_url=content.verification_url,
        timestamper=http_timestamper(config.tsa_url) if config.tsa_url else None,
        timezone=region.timezone,
    )
    return Made(signed, content)


def _own_job(session: Session, claimed: _Claimed) -> DocumentJob | None:
    """The claimed job, locked, if it is still this worker's (None: its lease ran out and
    another worker took it over)."""
    return repository.held_job(session, claimed.job_id, claimed.attempt)


def _finish(session: Session, claimed: _Claimed, made: Made, key: str) -> DocumentJobStatus | None:
    job = _own_job(session, claimed)
    if job is None:
        return None
    region = repository.get_region(session, job.region_id)
    credential = repository.get_credential(session, job.region_id, job.credential_id)
    if region is None or credential is None:
        raise LookupError("the application or the signing credential is gone")
    now = utcnow()
    if repository.get_issued_document_by_code(session, region.id, job.code) is None:
        service.record_issued_document(
            session,
            region,
            application_id=job.application_id,
            content=made.content,
            signed_pdf=made.pdf,
            storage_key=key,
            signer_name=credential.subject_name,
            signer_fingerprint=credential.fingerprint,
            signed_at=now,
        )
        # The application's history and the applicant hear of it (applications subscribes).
        events.publish(
            session,
            events.DocumentIssued(
                region_id=region.id,
                application_id=job.application_id,
                number=job.number,
                signer_name=credential.subject_name,
            ),
        )
    job.status = DocumentJobStatus.DONE
    _forget_passphrase(job, now)
    job.last_error = ""
    session.flush()
    return job.status


def _fail(
    session: Session, claimed: _Claimed, error: str, config: IssueConfig
) -> DocumentJobStatus | None:
    job = _own_job(session, claimed)
    if job is None:
        return None
    now = utcnow()
    job.last_error = error[:300]
    if repository.DOCUMENT_JOBS.fail(job, now, config.backoff) is DocumentJobStatus.DEAD:
        _forget_passphrase(job, now)
    session.flush()
    return job.status


def issue_due(
    sessions: sessionmaker[Session],
    storage: Storage,
    config: IssueConfig | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Claim one batch of due jobs and work them; returns how many were worked on.

    Each step has its own transaction from ``sessions``: the claim commits before the slow
    work, and the outcome is recorded after it. ``now`` fixes the claiming clock (tests).
    """
    config = config or issue_config()
    with sessions() as session, session.begin():
        claimed = claim(session, config, now or utcnow())
    for item in claimed:
        status: DocumentJobStatus | None
        try:
            with sessions() as session, session.begin():
                job = repository.get_job(session, item.job_id)
                assert job is not None
                made = make_signed_pdf(session, job, config)
                region = repository.get_region(session, job.region_id)
                assert region is not None
                key = storage_key(region, job.created_at.year, job.code)
            storage.put(key, made.pdf, content_type="application/pdf")
            with sessions() as session, session.begin():
                status = _finish(session, item, made, key)
        except Exception as exc:  # noqa: BLE001 (any failure is retried; the batch goes on)
            log.warning(
                "document job %s, attempt %d failed: %s",
                item.job_id,
                item.attempt,
                type(exc).__name__,
            )
            with sessions() as session, session.begin():
                status = _fail(session, item, _describe(exc), config)
        log.info(
            "document job %s, attempt %d: %s",
            item.job_id,
            item.attempt,
            status.value if status else "taken over by another worker",
        )
    return len(claimed)


def _describe(exc: Exception) -> str:
    """A failure's name and message, without anything secret (passphrases never get here)."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}"[:300]


@dataclass(frozen=True)
class ProductState:
    """One product of an application: issued (in force), being prepared, failed, revoked."""

    product_code: str
    title: str
    status: str  # "issued", "preparing", "failed", "revoked", "none"
    code: str = ""
    number: str = ""
    #: The document in force (or the latest revoked one), for the officer's panel.
    document: IssuedDocument | None = None


@dataclass(frozen=True)
class DocumentState:
    """What an application page says about its documents: an overall status (the most
    pressing of its products': preparing, failed, revoked, issued) and each product's."""

    status: str  # "issued", "preparing", "failed", "revoked", "none"
    code: str = ""
    number: str = ""
    products: tuple[ProductState, ...] = ()


def _product_state(
    product_code: str,
    title: str,
    documents: list[IssuedDocument],
    job: DocumentJob | None,
) -> ProductState:
    in_force = next((d for d in documents if d.revoked_at is None), None)
    if in_force is not None:
        return ProductState(product_code, title, "issued", in_force.code, in_force.number, in_force)
    if job is not None and job.status in (DocumentJobStatus.QUEUED, DocumentJobStatus.WORKING):
        return ProductState(product_code, title, "preparing", job.code, job.number)
    if documents:
        return ProductState(
            product_code, title, "revoked", documents[0].code, documents[0].number, documents[0]
        )
    if job is not None and job.status is DocumentJobStatus.DEAD:
        return ProductState(product_code, title, "failed", job.code, job.number)
    return ProductState(product_code, title, "none")


_PRESSING = ("preparing", "failed", "revoked", "issued")


def document_state(session: Session, region: Region, application_id: uuid.UUID) -> DocumentState:
    """The application's documents, product by product (in the service's order)."""
    documents = repository.get_issued_documents_of_application(session, region.id, application_id)
    jobs = repository.jobs_of_application(session, region.id, application_id)
    if not documents and not jobs:
        return DocumentState("none")
    loaded = applications_service.document_subject(session, region.id, application_id)
    titles: dict[str, str] = {}
    if loaded is not None:
        titles = {p.code: p.title for p in products_of(loaded[2]) or []}
    codes = list(titles)
    for code in [*(d.product_code for d in documents), *(j.product_code for j in jobs)]:
        if code not in codes:
            codes.append(code)
    states: list[ProductState] = []
    for code in codes:
        mine = [d for d in documents if d.product_code == code]
        job = next((j for j in jobs if j.product_code == code), None)
        if not mine and job is None:
            continue
        title = titles.get(code) or (mine[0].product if mine else "") or code
        states.append(_product_state(code, title, mine, job))
    overall = next(
        (state for status in _PRESSING for state in states if state.status == status),
        None,
    )
    if overall is None:
        return DocumentState("none", products=tuple(states))
    return DocumentState(overall.status, overall.code, overall.number, tuple(states))


def may_issue(officer: User, agency_id: uuid.UUID) -> bool:
    """Approvers and agency admins of the agency may (re-)issue its documents."""
    return officer.region_id is not None and any(
        r.agency_id == agency_id and r.role in ISSUING_ROLES for r in officer.roles
    )


def reissue(
    session: Session,
    region: Region,
    officer: User,
    application_id: uuid.UUID,
    passphrase: str,
    product_code: str | None = None,
) -> list[DocumentJob]:
    """Queue new documents for a completed application's products that failed or were revoked
    (``product_code``: that product only).

    Each new document gets a new number and code; the old one stays as it was (revoked or
    never made). The officer signs it with their own key and passphrase.
    """
    application, service_row = applications_service.readable_application(
        session, region, officer, application_id, for_update=True
    )
    if not may_issue(officer, service_row.agency_id):
        raise Forbidden(_("Hanya penyetuju atau admin instansi yang dapat menerbitkan dokumen."))
    if not applications_service.is_completed(application):
        raise Conflict(_("Dokumen hanya diterbitkan untuk permohonan yang sudah selesai."))
    state = document_state(session, region, application.id)
    issued_by_service = product_codes(service_row)
    wanted = [
        p.product_code
        for p in state.products
        if p.status in ("failed", "revoked")
        and p.product_code in issued_by_service
        and (product_code is None or p.product_code == product_code)
    ]
    if not wanted:
        raise Conflict(_("Permohonan ini sudah memiliki dokumen yang berlaku atau sedang dibuat."))
    unlocked = credentials.unlock(session, region, officer, passphrase)
    jobs = queue_documents(
        session, region, application.id, signer=officer, unlocked=unlocked, only=wanted
    )
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=officer.id,
        actor_label=officer.email,
        action="document.reissue",
        target_type="application",
        target_id=str(application.id),
        details={"numbers": [j.number for j in jobs], "products": wanted},
    )
    return jobs


def issuing_step(engine: Engine, storage: Storage, config: IssueConfig) -> Callable[[], int]:
    """One batch of document jobs, as a step of the worker loop (``simpul.core.jobs``)."""

    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def step() -> int:
        return issue_due(sessions, storage, config)

    return step

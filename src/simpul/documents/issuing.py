"""Issuing documents: queued in the approval's transaction, made by a worker.

``queue_document`` runs inside the request that approves an application's last step: it takes
the next document number, a fresh verification code, and writes a ``DocumentJob`` holding the
approving officer's passphrase encrypted with the server's secret. Nothing slow happens in the
request. The worker (``issue_due``, run by ``simpul worker``) claims due jobs from the job
queue (``repository.DOCUMENT_JOBS``, a ``simpul.core.queue``: ``FOR UPDATE SKIP LOCKED`` and a
lease), renders the PDF, signs it with the officer's key, stores it, and then, in one
transaction, registers the issued document, marks the job done, forgets the passphrase and
tells the applicant. A failure (storage down, a time-stamp authority unreachable, a bug) puts
the job back with exponential backoff; after the last attempt it is dead, the passphrase is
forgotten, and the application page says the document could not be made. The application's own
state (completed) never depends on the job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from pyhanko.sign.signers import Signer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import StaffRoleName, User
from simpul.applications import service as applications_service
from simpul.applications.service import Application
from simpul.catalogue.models import Agency, Service
from simpul.core import events, security
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, Forbidden
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.queue import Backoff
from simpul.core.storage import Storage
from simpul.documents import credentials, repository, service
from simpul.documents.content import document_content
from simpul.documents.credentials import Unlocked
from simpul.documents.models import DocumentJob, DocumentJobStatus, SigningCredential
from simpul.documents.pki import Pkcs12DataSignerSource, http_timestamper, token_signer
from simpul.documents.render import DocumentContent, render_document
from simpul.documents.signing import sign_pdf, signer_common_name

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
    """``00012/DPMPTSP/2026``: the year's running number, the agency, the year."""
    agency = "".join(agency_short_name.split()).upper()[:40] or "SIMPUL"
    return f"{sequence:05d}/{agency}/{year}"


def storage_key(region: Region, year: int, code: str) -> str:
    return f"issued/{region.slug}/{year}/{code}.pdf"


def queue_document(
    session: Session,
    region: Region,
    application_id: uuid.UUID,
    *,
    agency_short_name: str,
    signer: User,
    unlocked: Unlocked,
) -> DocumentJob:
    """Queue the document of the application in the caller's transaction (see module doc)."""
    year = today_in(region).year
    sequence = repository.next_document_number(session, region.id, year)
    job = DocumentJob(
        region_id=region.id,
        application_id=application_id,
        signer_id=signer.id,
        credential_id=unlocked.credential.id,
        number=document_number(sequence, agency_short_name, year),
        code=service.new_verification_code(),
        passphrase_encrypted=security.encrypt(PASSPHRASE_PURPOSE, unlocked.passphrase),
        status=DocumentJobStatus.QUEUED,
    )
    repository.add(session, job)
    session.flush()
    repository.notify_document_jobs(session)
    return job


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
    passphrase = (
        security.decrypt(PASSPHRASE_PURPOSE, job.passphrase_encrypted)
        if job.passphrase_encrypted
        else None
    )
    if passphrase is None:
        raise PermissionError("the signing passphrase is not available")
    with _signer(credential, passphrase, config) as signer:
        return _render_and_sign(
            signer, config, job, region, application, service_row, agency, applicant
        )


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


def _render_and_sign(
    signer: Signer,
    config: IssueConfig,
    job: DocumentJob,
    region: Region,
    application: Application,
    service_row: Service,
    agency: Agency,
    applicant: User,
) -> Made:
    content = document_content(
        region=region,
        agency=agency,
        service=service_row,
        application=application,
        applicant_name=applicant.full_name,
        number=job.number,
        code=job.code,
        base_url=config.public_url,
        issued_on=today_in(region, job.created_at),
    )
    content = replace(content, signer_name=signer_common_name(signer))
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
class DocumentState:
    """What an application page says about its document."""

    status: str  # "issued", "preparing", "failed", "revoked", "none"
    code: str = ""
    number: str = ""


def document_state(session: Session, region: Region, application_id: uuid.UUID) -> DocumentState:
    """The application's document: issued (latest), being prepared, failed, or none."""
    documents = repository.get_issued_documents_of_application(session, region.id, application_id)
    if documents and documents[0].revoked_at is None:
        return DocumentState("issued", documents[0].code, documents[0].number)
    job = repository.latest_job_of_application(session, region.id, application_id)
    if job is not None and job.status in (DocumentJobStatus.QUEUED, DocumentJobStatus.WORKING):
        return DocumentState("preparing", job.code, job.number)
    if documents:
        return DocumentState("revoked", documents[0].code, documents[0].number)
    if job is not None and job.status is DocumentJobStatus.DEAD:
        return DocumentState("failed", job.code, job.number)
    return DocumentState("none")


def may_issue(officer: User, agency_id: uuid.UUID) -> bool:
    """Approvers and agency admins of the agency may (re-)issue its documents."""
    return officer.region_id is not None and any(
        r.agency_id == agency_id and r.role in ISSUING_ROLES for r in officer.roles
    )


def reissue(
    session: Session, region: Region, officer: User, application_id: uuid.UUID, passphrase: str
) -> DocumentJob:
    """Queue a new document for a completed application whose document failed or was revoked.

    The new document gets a new number and code; the old one stays as it was (revoked or
    never made). The officer signs it with their own key and passphrase.
    """
    application, service_row = applications_service.readable_application(
        session, region, officer, application_id, for_update=True
    )
    if not may_issue(officer, service_row.agency_id):
        raise Forbidden(_("Hanya penyetuju atau admin instansi yang dapat menerbitkan dokumen."))
    if not applications_service.is_completed(application):
        raise Conflict(_("Dokumen hanya diterbitkan untuk permohonan yang sudah selesai."))
    if document_state(session, region, application.id).status not in ("failed", "revoked"):
        raise Conflict(_("Permohonan ini sudah memiliki dokumen yang berlaku atau sedang dibuat."))
    unlocked = credentials.unlock(session, region, officer, passphrase)
    job = queue_document(
        session,
        region,
        application.id,
        agency_short_name=service_row.agency.short_name,
        signer=officer,
        unlocked=unlocked,
    )
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=officer.id,
        actor_label=officer.email,
        action="document.reissue",
        target_type="application",
        target_id=str(application.id),
        details={"number": job.number},
    )
    return job


def issuing_step(engine: Engine, storage: Storage, config: IssueConfig) -> Callable[[], int]:
    """One batch of document jobs, as a step of the worker loop (``simpul.core.jobs``)."""

    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def step() -> int:
        return issue_due(sessions, storage, config)

    return step

"""One indicator of an SPBE self-assessment: its level, justification and supporting files.

Files go through the same checks as citizens' uploads (size, type by content, no active
content in PDFs, images within the pixel limit) before anything is written, are stored
through the configured storage, and deleted again if their row does not commit; a removed
file is deleted once its removal commits, or by ``simpul worker`` should that fail. Only the
region's admins reach them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.files import (
    DEFAULT_MAX_IMAGE_PIXELS,
    StoredFile,
    content_disposition,
    safe_filename,
)
from simpul.applications.uploads import store_upload
from simpul.core import file_removals
from simpul.core.errors import DomainError, InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.models import Region, utcnow
from simpul.core.storage import ChunkStream, Storage, StorageNotFound
from simpul.evaluation import spbe
from simpul.evaluation.assessments import repository, spbe_assessment
from simpul.evaluation.assessments.models import (
    MAX_JUSTIFICATION,
    SpbeAnswer,
    SpbeAssessment,
    SpbeEvidence,
)

log = logging.getLogger(__name__)

#: Files one indicator may carry.
MAX_EVIDENCE_PER_INDICATOR: Final = 10

#: What each capability level means, per scale of the rule set (shown beside the radios).
LEVEL_DESCRIPTIONS: Final[Mapping[str, Mapping[int, str]]] = {
    "process": {
        1: lazy("Kebijakan atau proses baru dirintis; belum ditetapkan atau belum berjalan."),
        2: lazy("Sudah ditetapkan dan dilaksanakan, tetapi belum di semua perangkat daerah."),
        3: lazy("Dilaksanakan sesuai standar yang berlaku di seluruh perangkat daerah."),
        4: lazy("Terpadu dengan proses lain dan kinerjanya diukur secara berkala."),
        5: lazy("Terus ditingkatkan berdasarkan hasil pengukuran dan perubahan kebutuhan."),
    },
    "technical": {
        1: lazy("Layanan memberikan informasi satu arah."),
        2: lazy("Layanan memungkinkan interaksi dua arah dengan pengguna."),
        3: lazy("Layanan dapat diselesaikan sepenuhnya secara elektronik."),
        4: lazy("Layanan terintegrasi dengan layanan lain lintas instansi."),
        5: lazy("Layanan terus disesuaikan dengan kebutuhan pengguna."),
    },
}


class EvidenceRejected(DomainError):
    """A supporting file too big (413), of a type not accepted (415) or whose content is
    refused (422: active content in a PDF, an image above the pixel limit); nothing was saved."""

    def __init__(self, message: str, *, status_code: int, code: str) -> None:
        super().__init__(message, details=[{"field": "bukti", "message": message}])
        self.status_code = status_code
        self.code = code


@dataclass(frozen=True)
class IndicatorPage:
    assessment: SpbeAssessment
    ruleset: spbe.RuleSet
    indicator: spbe.Indicator
    answer: SpbeAnswer | None
    evidence: Sequence[SpbeEvidence]
    levels: tuple[tuple[int, str, str], ...]  # (level, name, description)
    previous: int | None = None
    following: int | None = None


def indicator_page(session: Session, region: Region, year: int, number: int) -> IndicatorPage:
    assessment = spbe_assessment.get_assessment(session, region, year)
    ruleset = spbe_assessment.ruleset_of(assessment)
    indicator = spbe_assessment.indicator_of(ruleset, number)
    answer = repository.get_answer(session, region.id, assessment.id, number)
    evidence = repository.list_evidence(session, region.id, answer.id) if answer else []
    descriptions = LEVEL_DESCRIPTIONS.get(indicator.scale, {})
    levels = tuple(
        (level, name, _(descriptions[level]) if level in descriptions else "")
        for level, name in sorted(ruleset.level_names[indicator.scale].items())
    )
    numbers = [i.number for i in ruleset.indicators]
    position = numbers.index(number)
    return IndicatorPage(
        assessment,
        ruleset,
        indicator,
        answer,
        evidence,
        levels,
        previous=numbers[position - 1] if position > 0 else None,
        following=numbers[position + 1] if position + 1 < len(numbers) else None,
    )


def _whole_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _parse_answer(
    ruleset: spbe.RuleSet, indicator: spbe.Indicator, level: str, justification: str
) -> tuple[int, str]:
    """The level and justification of the form, or ``InvalidInput`` naming the indicator."""
    errors: dict[str, str] = {}
    text = level.strip()
    number: int | None = None
    if not text:
        errors["tingkat"] = _("%(indicator)s: pilih tingkat kematangan.") % {
            "indicator": spbe_assessment.label(indicator)
        }
    elif not _whole_number(text) or not ruleset.min_level <= int(text) <= ruleset.max_level:
        errors["tingkat"] = _(
            "%(indicator)s: tingkat harus bilangan bulat %(low)d sampai %(high)d."
        ) % {
            "indicator": spbe_assessment.label(indicator),
            "low": ruleset.min_level,
            "high": ruleset.max_level,
        }
    else:
        number = int(text)
    cleaned = justification.replace("\r\n", "\n").strip()
    if len(cleaned) > MAX_JUSTIFICATION:
        errors["penjelasan"] = _(
            "%(indicator)s: penjelasan paling banyak %(max)d karakter (sekarang %(length)d)."
        ) % {
            "indicator": spbe_assessment.label(indicator),
            "max": MAX_JUSTIFICATION,
            "length": len(cleaned),
        }
    if errors or number is None:
        raise InvalidInput(
            next(iter(errors.values())),
            details=[{"field": name, "message": message} for name, message in errors.items()],
        )
    return number, cleaned


def _store_evidence(
    region: Region,
    indicator: spbe.Indicator,
    stream: IO[bytes],
    storage: Storage,
    max_bytes: int,
    max_image_pixels: int,
) -> StoredFile:
    """Check and store a file; ``EvidenceRejected`` (413/415/422) naming the indicator otherwise."""
    try:
        return store_upload(
            stream,
            region,
            storage=storage,
            max_bytes=max_bytes,
            max_image_pixels=max_image_pixels,
        )
    except DomainError as exc:
        message = _("%(indicator)s, bukti dukung: %(problem)s") % {
            "indicator": spbe_assessment.label(indicator),
            "problem": exc.message,
        }
        raise EvidenceRejected(message, status_code=exc.status_code, code=exc.code) from None


def _write_answer(
    session: Session,
    region: Region,
    user: User,
    assessment: SpbeAssessment,
    answer: SpbeAnswer | None,
    number: int,
    level: int,
    justification: str,
) -> SpbeAnswer:
    if answer is not None and answer.level == level and answer.justification == justification:
        return answer
    if answer is None:
        answer = SpbeAnswer(
            region_id=region.id,
            assessment_id=assessment.id,
            indicator=number,
            level=level,
            justification=justification,
            updated_by_id=user.id,
        )
        session.add(answer)
    else:
        answer.level = level
        answer.justification = justification
        answer.updated_by_id = user.id
        answer.updated_at = utcnow()
    session.flush()
    spbe_assessment.audit(
        session,
        region,
        user,
        "spbe.answer_saved",
        assessment,
        {"indicator": number, "level": level},
    )
    return answer


def save_answer(
    session: Session,
    region: Region,
    user: User,
    year: int,
    number: int,
    *,
    level: str,
    justification: str,
    upload: tuple[IO[bytes], str] | None = None,
    storage: Storage | None = None,
    max_bytes: int = 0,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> SpbeAnswer:
    """Store the level and justification of one indicator, and a supporting file if given.

    Everything is checked before anything is written; a file that is too big, not a PDF, JPEG
    or PNG (judged by its content), or whose content is refused fails the whole save
    (413/415/422), and a stored file whose row does not commit is deleted again.
    """
    assessment = spbe_assessment.get_assessment(session, region, year)
    ruleset = spbe_assessment.ruleset_of(assessment)
    indicator = spbe_assessment.indicator_of(ruleset, number)
    spbe_assessment.check_draft(assessment)
    chosen, text = _parse_answer(ruleset, indicator, level, justification)
    answer = repository.get_answer(session, region.id, assessment.id, number)
    if upload is None:
        return _write_answer(session, region, user, assessment, answer, number, chosen, text)
    if storage is None:
        raise ValueError("an upload needs a storage")
    if answer is not None:
        count = len(repository.list_evidence(session, region.id, answer.id))
        if count >= MAX_EVIDENCE_PER_INDICATOR:
            message = _("%(indicator)s: paling banyak %(max)d berkas bukti dukung.") % {
                "indicator": spbe_assessment.label(indicator),
                "max": MAX_EVIDENCE_PER_INDICATOR,
            }
            raise InvalidInput(message, details=[{"field": "bukti", "message": message}])
    stream, filename = upload
    stored = _store_evidence(region, indicator, stream, storage, max_bytes, max_image_pixels)
    try:
        answer = _write_answer(session, region, user, assessment, answer, number, chosen, text)
        evidence = SpbeEvidence(
            region_id=region.id,
            answer_id=answer.id,
            filename=safe_filename(filename, content_type=stored.content_type),
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.key,
            uploaded_by_id=user.id,
        )
        repository.add(session, evidence)
    except BaseException:
        storage.delete(stored.key)
        raise
    file_removals.delete_if_rolled_back(session, storage, stored.key)
    spbe_assessment.audit(
        session,
        region,
        user,
        "spbe.evidence_added",
        assessment,
        {"indicator": number, "evidence": str(evidence.id), "sha256": stored.sha256},
    )
    return answer


def remove_evidence(
    session: Session,
    region: Region,
    user: User,
    storage: Storage,
    year: int,
    number: int,
    evidence_id: uuid.UUID,
) -> None:
    """Remove a file from a draft's indicator; the stored file goes once the removal commits."""
    assessment = spbe_assessment.get_assessment(session, region, year)
    spbe_assessment.indicator_of(spbe_assessment.ruleset_of(assessment), number)
    spbe_assessment.check_draft(assessment)
    evidence, answer = _find_evidence(session, region, assessment, evidence_id)
    if answer.indicator != number:
        raise NotFound(_("Bukti dukung tidak ditemukan."))
    repository.delete_evidence(session, region.id, evidence.id)
    file_removals.remove_after_commit(session, storage, evidence.storage_key)
    spbe_assessment.audit(
        session,
        region,
        user,
        "spbe.evidence_removed",
        assessment,
        {"indicator": number, "evidence": str(evidence.id), "sha256": evidence.sha256},
    )


def _find_evidence(
    session: Session, region: Region, assessment: SpbeAssessment, evidence_id: uuid.UUID
) -> tuple[SpbeEvidence, SpbeAnswer]:
    found = repository.get_evidence(session, region.id, assessment.id, evidence_id)
    if found is None:
        raise NotFound(_("Bukti dukung tidak ditemukan."))
    return found


def open_evidence(
    session: Session, region: Region, storage: Storage, year: int, evidence_id: uuid.UUID
) -> tuple[SpbeEvidence, ChunkStream]:
    """Start the download of a file of the region's assessment; 404 for anything else."""
    assessment = spbe_assessment.get_assessment(session, region, year)
    evidence, _answer = _find_evidence(session, region, assessment, evidence_id)
    try:
        stream = storage.open(evidence.storage_key)
    except StorageNotFound:
        # The database knows the file but the storage lost it: an operator must look.
        log.error("SPBE evidence %s is missing from the storage", evidence.id)  # noqa: TRY400
        raise NotFound(_("Bukti dukung tidak ditemukan.")) from None
    return evidence, stream


def download_headers(evidence: SpbeEvidence) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(evidence.filename),
        "Content-Length": str(evidence.size),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }

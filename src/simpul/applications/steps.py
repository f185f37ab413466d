"""What a workflow step of each kind asks of the officer before it is approved (decision 0042).

A ``review`` step asks nothing but the decision. A ``data_entry`` step's fields (the register
number) must be valid and are kept in ``application.officer_data`` by field code, where the
products print them. A ``field_check`` step records the visit: its date, notes and photos (the
photos are documents the officer owns, ``requirement_code = "step:<step code>"``). A
``payment`` step is the payments module's. Nothing here commits; a refusal changes nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import payments, repository
from simpul.applications.files import StagedFile, safe_filename, staged_upload, store_staged
from simpul.applications.models import Application, Document
from simpul.applications.submission import record_event
from simpul.applications.uploads import UploadRules, new_upload_key
from simpul.catalogue.models import Service
from simpul.catalogue.standard import OfficerField, WorkflowStep
from simpul.core import file_removals
from simpul.core.errors import Conflict, DomainError, InvalidInput
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.storage import Storage
from simpul.core.text import strip_unsafe_characters, unsafe_text_error

#: A field check keeps at most this many photos.
MAX_PHOTOS: Final = 10
#: Visit notes say what was seen: at least this many characters, at most ``MAX_VISIT_NOTES``.
MIN_VISIT_NOTES: Final = 10
MAX_VISIT_NOTES: Final = 4000
#: A field check's photos are photos: PDFs (accepted for citizens' requirements) are not.
PHOTO_TYPES: Final = frozenset({"image/jpeg", "image/png"})


@dataclass(frozen=True)
class StepInputs:
    """What the officer sent with a decision (or a "Simpan") for the step's kind.

    Pages and APIs fill what they can carry; a kind whose required input is missing refuses
    the approval with an error naming the field.
    """

    #: ``data_entry``: the step's fields by code.
    entries: dict[str, str] = field(default_factory=dict)
    #: ``field_check``: the day of the visit (``YYYY-MM-DD``), what was seen, the photos
    #: (stream, file name).
    visit_date: str = ""
    visit_notes: str = ""
    photos: Sequence[tuple[IO[bytes], str]] = ()
    #: ``payment``: the reference of the payment and the amount paid (``payments``).
    payment_reference: str = ""
    payment_amount: str = ""
    #: Where photos are stored and the limits they are checked against (the request's
    #: storage and upload rules); photos sent without them are refused.
    storage: Storage | None = None
    rules: UploadRules | None = None


def before_approve(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    service: Service,
    step: WorkflowStep,
    inputs: StepInputs,
) -> None:
    """Check and keep what the step's kind asks for; raise (changing nothing) when it is not
    there or not valid. Called by ``workflow.act_on_task`` before an approval."""
    if step.kind == "data_entry":
        changed = store_entries(session, officer, application, step, inputs, complete=True)
        if changed:
            record_entries_event(session, officer, application, changed)
    elif step.kind == "field_check":
        _field_check(session, region, officer, application, step, inputs)
    elif step.kind == "payment":
        payments.before_approve(session, region, officer, application, service, step, inputs)


# -- data entry ------------------------------------------------------------------------------


def _field_error(officer_field: OfficerField, value: str, *, complete: bool) -> str | None:
    """What is wrong with one entered value (None when it may be kept)."""
    label = officer_field.label
    if not value:
        if complete and officer_field.required:
            return _("%(label)s wajib diisi.") % {"label": label}
        return None
    hidden = unsafe_text_error(value, field="", label=label)
    if hidden:
        return hidden["message"]
    if len(value) > officer_field.max_length:
        return _("%(label)s paling banyak %(max)d karakter.") % {
            "label": label,
            "max": officer_field.max_length,
        }
    if officer_field.pattern is not None and re.fullmatch(officer_field.pattern, value) is None:
        return _("Format %(label)s tidak sesuai.") % {"label": label}
    return None


def _entry_key(raw: object) -> str:
    """A field code as an error may name it (whatever the client sent)."""
    return strip_unsafe_characters(str(raw))[:40]


def store_entries(
    session: Session,
    officer: User,
    application: Application,
    step: WorkflowStep,
    inputs: StepInputs,
    *,
    complete: bool,
) -> list[str]:
    """Validate the step's entries and keep them in ``application.officer_data``.

    The values already kept count as entered (an operator may "Simpan" first and decide
    later); ``inputs.entries`` override them. ``complete``: every required field must have a
    value (approval); a save keeps what is valid so far. Returns the labels of the fields whose
    value changed (a history event names them, never their values).
    """
    known = {f.code: f for f in step.fields}
    raw_entries: Any = inputs.entries
    if not isinstance(raw_entries, dict):
        raise InvalidInput(
            _("Isian petugas tidak valid."),
            details=[{"field": "entries", "message": _("Isi dengan pasangan kode dan teks.")}],
        )
    errors: list[dict[str, str]] = []
    entered: dict[str, str] = {}
    for code, value in raw_entries.items():
        if code not in known:
            errors.append(
                {
                    "field": f"entries.{_entry_key(code)}",
                    "message": _("Isian ini tidak ada pada tahap %(step)s.") % {"step": step.name},
                }
            )
        elif not isinstance(value, str):
            errors.append({"field": f"entries.{code}", "message": _("Isi dengan teks.")})
        else:
            entered[code] = value.strip()
    kept = application.officer_data or {}
    values = {
        code: entered.get(code, kept.get(code) if isinstance(kept.get(code), str) else "") or ""
        for code in known
    }
    for code, officer_field in known.items():
        if any(e["field"] == f"entries.{code}" for e in errors):
            continue
        message = _field_error(officer_field, values[code], complete=complete)
        if message:
            errors.append({"field": f"entries.{code}", "message": message})
    if errors:
        raise InvalidInput(
            _("Isian petugas belum benar. Periksa isian yang ditandai."), details=errors
        )
    changed = [known[code].label for code in known if values[code] != (kept.get(code) or "")]
    if changed:
        application.officer_data = {**kept, **{c: v for c, v in values.items() if v}}
        session.flush()
    return changed


def record_entries_event(
    session: Session, officer: User, application: Application, changed: Sequence[str]
) -> None:
    """The history names the fields an officer entered (never their values: the citizen
    reads the history, and a register number is the agency's to print)."""
    record_event(
        session,
        application,
        actor=officer,
        action="data_entry",
        from_status=application.status,
        note=_("Dicatat: %(fields)s.") % {"fields": ", ".join(changed)},
    )


# -- field check -----------------------------------------------------------------------------


def _visit_errors(
    region: Region, application: Application, inputs: StepInputs
) -> tuple[list[dict[str, str]], date | None, str]:
    errors: list[dict[str, str]] = []
    visited: date | None = None
    raw_date = inputs.visit_date.strip()
    if not raw_date:
        errors.append({"field": "visit_date", "message": _("Tanggal peninjauan wajib diisi.")})
    else:
        try:
            visited = date.fromisoformat(raw_date) if len(raw_date) == 10 else None
        except ValueError:
            visited = None
        if visited is None:
            errors.append(
                {"field": "visit_date", "message": _("Isi tanggal dengan format TTTT-BB-HH.")}
            )
        elif visited > today_in(region):
            errors.append(
                {"field": "visit_date", "message": _("Tanggal peninjauan belum terjadi.")}
            )
        elif application.submitted_at and visited < today_in(region, application.submitted_at):
            errors.append(
                {
                    "field": "visit_date",
                    "message": _("Tanggal peninjauan sebelum permohonan diajukan."),
                }
            )
    notes = " ".join(inputs.visit_notes.split())
    hidden = unsafe_text_error(inputs.visit_notes, field="visit_notes", label=_("Catatan"))
    if hidden:
        errors.append(hidden)
    elif len(notes) < MIN_VISIT_NOTES:
        errors.append(
            {
                "field": "visit_notes",
                "message": _("Tuliskan hasil peninjauan (minimal %(n)d karakter).")
                % {"n": MIN_VISIT_NOTES},
            }
        )
    elif len(notes) > MAX_VISIT_NOTES:
        errors.append(
            {
                "field": "visit_notes",
                "message": _("Catatan paling banyak %(n)d karakter.") % {"n": MAX_VISIT_NOTES},
            }
        )
    if len(inputs.photos) > MAX_PHOTOS:
        errors.append(
            {
                "field": "photos",
                "message": _("Unggah paling banyak %(n)d foto.") % {"n": MAX_PHOTOS},
            }
        )
    return errors, visited, notes


def _field_check(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    step: WorkflowStep,
    inputs: StepInputs,
) -> None:
    errors, visited, notes = _visit_errors(region, application, inputs)
    if errors:
        raise InvalidInput(
            _("Hasil peninjauan lapangan belum lengkap. Periksa isian yang ditandai."),
            details=errors,
        )
    assert visited is not None
    photos = _store_photos(session, region, officer, application, step, inputs)
    application.officer_data = {
        **(application.officer_data or {}),
        step.code: {
            "visited_on": visited.isoformat(),
            "notes": notes,
            "photos": [str(p.id) for p in photos],
        },
    }
    session.flush()


def _photo_error(message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": "photos", "message": message}])


def _store_photos(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    step: WorkflowStep,
    inputs: StepInputs,
) -> list[Document]:
    """Check every photo (type by content, size, pixels) before storing any; a new visit's
    photos replace an earlier round's."""
    if not inputs.photos:
        repository.replace_documents(session, application.id, f"step:{step.code}", utcnow())
        return []
    if inputs.storage is None or inputs.rules is None:
        raise Conflict(_("Foto tidak dapat diterima lewat saluran ini."))
    rules, storage = inputs.rules, inputs.storage
    with ExitStack() as stack:
        staged: list[tuple[StagedFile, str]] = []
        for stream, name in inputs.photos:
            try:
                staged_file = stack.enter_context(
                    staged_upload(
                        stream, max_bytes=rules.max_bytes, max_image_pixels=rules.max_image_pixels
                    )
                )
            except DomainError as refused:
                raise _photo_error(refused.message) from None
            if staged_file.content_type not in PHOTO_TYPES:
                raise _photo_error(_("Foto peninjauan harus berupa JPG atau PNG."))
            staged.append((staged_file, name))
        repository.replace_documents(session, application.id, f"step:{step.code}", utcnow())
        stored_keys: list[str] = []
        documents: list[Document] = []
        try:
            for staged_file, name in staged:
                stored = store_staged(staged_file, storage, new_upload_key(region))
                stored_keys.append(stored.key)
                document = Document(
                    id=uuid.uuid4(),
                    region_id=region.id,
                    owner_id=officer.id,
                    application_id=application.id,
                    requirement_code=f"step:{step.code}",
                    filename=strip_unsafe_characters(
                        safe_filename(name, content_type=stored.content_type)
                    )[:200],
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    storage_key=stored.key,
                )
                repository.add(session, document)
                documents.append(document)
            session.flush()
        except BaseException:
            for key in stored_keys:
                storage.delete(key)
            raise
    for key in stored_keys:
        file_removals.delete_if_rolled_back(session, storage, key)
    return documents

"""What every complaint use case shares: who acts and may act, the region's deadlines, the
history, and who may read a complaint (decision 0056)."""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import service as applications
from simpul.complaints import repository
from simpul.complaints.labels import PUBLIC_ACTORS
from simpul.complaints.models import (
    DEFAULT_DEADLINES,
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintDeadlineRule,
    ComplaintEvent,
    ComplaintKind,
    ComplaintPhoto,
    ComplaintStatus,
    DeadlineClass,
)
from simpul.core import security
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.text import has_unsafe_characters, unsafe_text_message

#: Lengths a citizen may write (characters).
TITLE_MAX: Final = 150
DESCRIPTION_MIN: Final = 20
DESCRIPTION_MAX: Final = 5000
ADDRESS_MAX: Final = 300
MESSAGE_MAX: Final = 5000
#: The citizen may reopen a resolved complaint once, within this many calendar days.
REOPEN_DAYS: Final = 10
#: Photos per complaint (the issue's limit, LAPOR!'s too).
MAX_PHOTOS: Final = 5

_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CONTACT_PURPOSE: Final = "complaint-contact"
_CODE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")

# -- who is acting --------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who takes a step: ``label`` for the back office, ``public`` for the public page."""

    id: uuid.UUID | None
    label: str
    public: str

    @staticmethod
    def system() -> Actor:
        return Actor(None, "Sistem", PUBLIC_ACTORS["system"])

    @staticmethod
    def reporter(user: User | None, complaint: Complaint) -> Actor:
        if user is None or complaint.anonymous:
            return Actor(None if user is None else user.id, "Pelapor", PUBLIC_ACTORS["reporter"])
        return Actor(user.id, f"{user.full_name} (pelapor)", PUBLIC_ACTORS["reporter"])


def is_desk(user: User | None) -> bool:
    """Whether the user works the region's complaint desk (sorts every complaint)."""
    if user is None or not user.is_active:
        return False
    if user.kind is AccountKind.REGION_ADMIN:
        return True
    return user.kind is AccountKind.STAFF and any(
        r.role is StaffRoleName.ADMIN_PENGADUAN for r in user.roles
    )


def agency_ids_of(user: User | None) -> set[uuid.UUID]:
    """The agencies whose complaints the officer answers (any role there)."""
    if user is None or not user.is_active or user.kind is not AccountKind.STAFF:
        return set()
    return {r.agency_id for r in user.roles}


def can_handle(user: User | None, complaint: Complaint) -> bool:
    """The desk handles every complaint; an agency's officers those routed to it."""
    return is_desk(user) or (
        complaint.agency_id is not None and complaint.agency_id in agency_ids_of(user)
    )


def staff_actor(session: Session, region: Region, user: User, agency_id: uuid.UUID | None) -> Actor:
    if agency_id is not None and agency_id in agency_ids_of(user):
        agency = repository.get_agency(session, region.id, agency_id)
        name = agency.short_name if agency else ""
        return Actor(user.id, f"{user.full_name} ({name})", agency.name if agency else name)
    return Actor(user.id, f"{user.full_name} (admin pengaduan)", PUBLIC_ACTORS["desk"])


# -- categories and deadlines ---------------------------------------------------------------


def categories(
    session: Session, region: Region, *, active_only: bool = True
) -> Sequence[ComplaintCategory]:
    return repository.list_categories(session, region.id, active_only=active_only)


def runs_complaints(session: Session, region: Region) -> bool:
    """Whether the region takes complaints in Simpul: it has an active complaint category
    (the catalogue's standards check accepts a standard naming Simpul's channel then)."""
    return bool(repository.list_categories(session, region.id, active_only=True))


def category_by_code(session: Session, region: Region, code: str) -> ComplaintCategory:
    found = repository.get_category_by_code(session, region.id, code)
    if found is None or not found.active:
        raise NotFound(_("Kategori pengaduan tidak ditemukan."))
    return found


def create_category(
    session: Session,
    region: Region,
    *,
    code: str,
    name: str,
    deadline_class: DeadlineClass,
    name_en: str = "",
    description: str = "",
    group_name: str = "",
    keywords: str = "",
    default_agency_id: uuid.UUID | None = None,
    needs_location: bool = True,
    attributes: list[dict[str, Any]] | None = None,
    position: int = 0,
) -> ComplaintCategory:
    """Add a category (the admin page and the demo seed); its code must be new."""
    if not _CODE.fullmatch(code):
        problem = _("Kode hanya huruf kecil, angka dan tanda hubung.")
        raise InvalidInput(problem, details=[{"field": "kode", "message": problem}])
    if repository.get_category_by_code(session, region.id, code) is not None:
        problem = _("Kode %(code)s sudah dipakai.") % {"code": code}
        raise InvalidInput(problem, details=[{"field": "kode", "message": problem}])
    category = ComplaintCategory(
        id=uuid.uuid4(),
        region_id=region.id,
        code=code,
        name=name,
        name_en=name_en,
        description=description,
        group_name=group_name,
        keywords=keywords,
        deadline_class=deadline_class,
        default_agency_id=default_agency_id,
        needs_location=needs_location,
        attributes=list(attributes or []),
        position=position,
    )
    repository.add(session, category)
    session.flush()
    return category


def deadline_table(session: Session, region: Region) -> dict[DeadlineClass, tuple[int, int]]:
    """Working days (first answer, closing) per class: the region's rows over LAPOR!'s."""
    table = dict(DEFAULT_DEADLINES)
    for rule in repository.deadline_rules(session, region.id):
        table[rule.deadline_class] = (rule.first_response_days, rule.resolution_days)
    return table


def set_deadline(
    session: Session, region: Region, deadline_class: DeadlineClass, first: int, closing: int
) -> None:
    """Change the region's days for a class (complaints filed later use them)."""
    errors = []
    if not 1 <= first <= 30:
        errors.append({"field": "tanggapan_pertama", "message": _("Isi 1 sampai 30 hari kerja.")})
    if not first <= closing <= 365:
        errors.append(
            {
                "field": "penyelesaian",
                "message": _(
                    "Batas penyelesaian harus sekurang-kurangnya batas tanggapan pertama dan "
                    "paling lama 365 hari kerja."
                ),
            }
        )
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    for rule in repository.deadline_rules(session, region.id):
        if rule.deadline_class is deadline_class:
            rule.first_response_days, rule.resolution_days = first, closing
            break
    else:
        repository.add(
            session,
            ComplaintDeadlineRule(
                region_id=region.id,
                deadline_class=deadline_class,
                first_response_days=first,
                resolution_days=closing,
            ),
        )
    session.flush()


def deadline_class_of(complaint_kind: ComplaintKind, category: ComplaintCategory) -> DeadlineClass:
    """A request for information is always the information class; otherwise the category's."""
    if complaint_kind is ComplaintKind.INFORMATION:
        return DeadlineClass.INFORMATION
    return category.deadline_class


def due_dates(
    session: Session, region: Region, deadline_class: DeadlineClass, start: date
) -> tuple[date, date]:
    first, closing = deadline_table(session, region)[deadline_class]
    calendar = applications.calendar_for(session, region)
    return calendar.add_working_days(start, first), calendar.add_working_days(start, closing)


def text_error(value: str, name: str, label: str) -> dict[str, str] | None:
    if has_unsafe_characters(value):
        return {"field": name, "message": unsafe_text_message(label)}
    return None


def new_number(session: Session, region: Region, now: datetime) -> str:
    """A number the citizen can read over the phone: ``ADU-2612-7K3Q-X9MA``."""
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        number = f"ADU-{now:%y%m}-{code[:4]}-{code[4:]}"
        if not repository.number_exists(session, region.id, number):
            return number


# -- history --------------------------------------------------------------------------------


def record_step(
    session: Session,
    complaint: Complaint,
    action: str,
    from_status: ComplaintStatus | None,
    to_status: ComplaintStatus,
    actor: Actor,
    *,
    message: str = "",
    public: bool = True,
    agency_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ComplaintEvent:
    """Append a step to the complaint's history (and set its status)."""
    complaint.status = to_status
    event = ComplaintEvent(
        region_id=complaint.region_id,
        complaint_id=complaint.id,
        at=now or utcnow(),
        actor_id=actor.id,
        actor_label=actor.label,
        public_actor=actor.public,
        action=action,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value,
        agency_id=agency_id,
        message=message,
        public=public,
        details=details or {},
    )
    repository.add(session, event)
    return event


def history(
    session: Session, region: Region, complaint: Complaint, *, public_only: bool
) -> Sequence[ComplaintEvent]:
    return repository.events_of(session, region.id, complaint.id, public_only=public_only)


def photos(session: Session, region: Region, complaint: Complaint) -> Sequence[ComplaintPhoto]:
    """The complaint's photos, and those of the complaint it was split from."""
    ids = [complaint.id] + ([complaint.parent_id] if complaint.parent_id else [])
    return repository.photos_of(session, region.id, ids)


def children(session: Session, region: Region, complaint: Complaint) -> Sequence[Complaint]:
    return repository.children_of(session, region.id, complaint.id)


def followers(session: Session, region: Region, complaint: Complaint) -> list[uuid.UUID]:
    return repository.follower_ids(session, region.id, complaint.id)


# -- reading a complaint: the public, its owner, the staff -----------------------------------


def _by_number(
    session: Session, region: Region, number: str, *, for_update: bool = False
) -> Complaint:
    found = repository.get_complaint_by_number(
        session, region.id, number.strip().upper(), for_update=for_update
    )
    if found is None:
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return found


def public_complaint(session: Session, region: Region, number: str) -> Complaint:
    """A complaint anyone may read; a confidential one is "not found" (not "forbidden", which
    would tell that it exists)."""
    complaint = _by_number(session, region, number)
    if complaint.confidential:
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return complaint


def is_owner(complaint: Complaint, user: User | None, access_code: str | None) -> bool:
    """The reporter (logged in) or whoever holds the access code given at filing."""
    if user is not None and complaint.reporter_id == user.id:
        return True
    if access_code and complaint.access_code_hash is not None:
        given = security.token_digest(access_code.strip().upper())
        return hmac.compare_digest(given, complaint.access_code_hash)
    return False


def owned_complaint(
    session: Session,
    region: Region,
    number: str,
    user: User | None,
    access_code: str | None,
    *,
    for_update: bool = False,
) -> Complaint:
    """A complaint its owner acts on; "not found" for anyone else."""
    complaint = _by_number(session, region, number, for_update=for_update)
    if not is_owner(complaint, user, access_code):
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return complaint


def readable_complaint(
    session: Session,
    region: Region,
    number: str,
    user: User | None,
    access_code: str | None = None,
) -> Complaint:
    """A complaint the reader may see: public ones for all, confidential ones for the owner
    and the staff who handle them."""
    complaint = _by_number(session, region, number)
    if complaint.confidential and not (
        is_owner(complaint, user, access_code) or can_handle(user, complaint)
    ):
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return complaint


def handled_complaint(
    session: Session, region: Region, number: str, staff: User, *, for_update: bool = False
) -> Complaint:
    """A complaint the officer or the desk works on; "not found" for other staff."""
    complaint = _by_number(session, region, number, for_update=for_update)
    if not can_handle(staff, complaint):
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return complaint


def reporter_visible_to(complaint: Complaint, viewer: User | None) -> bool:
    """Whether ``viewer`` may see who filed it: the owner always; staff unless anonymous."""
    if viewer is not None and complaint.reporter_id == viewer.id:
        return True
    return not complaint.anonymous and can_handle(viewer, complaint)


# -- deadlines as the inbox shows them -----------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    first_response: bool
    resolution: bool

    @property
    def any(self) -> bool:
        return self.first_response or self.resolution


def overdue(complaint: Complaint, today: date) -> Overdue:
    """Which deadline has passed without the step it asks for (a day is late once over)."""
    if complaint.status not in OPEN_STATUSES:
        return Overdue(first_response=False, resolution=False)
    first = complaint.first_responded_at is None and today > complaint.first_response_due
    waiting = complaint.status is ComplaintStatus.WAITING_CITIZEN
    return Overdue(
        first_response=first, resolution=not waiting and today > complaint.resolution_due
    )


# -- the admin's category page (desk-ops) -------------------------------------------------


def category_of(session: Session, region: Region, category_id: uuid.UUID) -> ComplaintCategory:
    """A category of the region, active or not (the admin edits both)."""
    found = repository.get_category(session, region.id, category_id)
    if found is None:
        raise NotFound(_("Kategori pengaduan tidak ditemukan."))
    return found


def update_category(
    session: Session,
    category: ComplaintCategory,
    *,
    name: str,
    deadline_class: DeadlineClass,
    name_en: str = "",
    description: str = "",
    group_name: str = "",
    keywords: str = "",
    default_agency_id: uuid.UUID | None = None,
    needs_location: bool = True,
    active: bool = True,
    position: int = 0,
) -> ComplaintCategory:
    """Change a category; its code (the Open311 ``service_code``) stays as made."""
    category.name = name
    category.name_en = name_en
    category.description = description
    category.group_name = group_name
    category.keywords = keywords
    category.deadline_class = deadline_class
    category.default_agency_id = default_agency_id
    category.needs_location = needs_location
    category.active = active
    category.position = position
    session.flush()
    return category


@dataclass
class CategoryForm:
    """The admin's category form as typed (field names as on the page)."""

    kode: str = ""
    nama: str = ""
    nama_en: str = ""
    keterangan: str = ""
    kelompok: str = ""
    kata_kunci: str = ""
    kelas_batas: str = ""
    instansi: str = ""
    perlu_lokasi: bool = True
    aktif: bool = True
    urutan: str = "0"


def _new_code_errors(session: Session, region: Region, code: str) -> list[dict[str, str]]:
    if not _CODE.fullmatch(code):
        return [{"field": "kode", "message": _("Kode hanya huruf kecil, angka dan tanda hubung.")}]
    if repository.get_category_by_code(session, region.id, code) is not None:
        return [{"field": "kode", "message": _("Kode %(code)s sudah dipakai.") % {"code": code}}]
    return []


def _position(value: str) -> tuple[int, str | None]:
    try:
        position = int(value or "0")
    except ValueError:
        return 0, _("Isi urutan dengan angka.")
    if not 0 <= position <= 10_000:
        return 0, _("Isi urutan 0 sampai 10000.")
    return position, None


def _category_errors(
    session: Session, region: Region, form: CategoryForm, *, creating: bool
) -> tuple[list[dict[str, str]], uuid.UUID | None, int]:
    errors: list[dict[str, str]] = []
    if creating:
        errors += _new_code_errors(session, region, form.kode.strip().lower())
    limits = (("nama", 120), ("nama_en", 120), ("kelompok", 80), ("kata_kunci", 300))
    for name, limit in limits:
        if len(getattr(form, name).strip()) > limit:
            message = _("Paling banyak %(num)d karakter.") % {"num": limit}
            errors.append({"field": name, "message": message})
    if not form.nama.strip():
        errors.append({"field": "nama", "message": _("Isi nama kategori.")})
    for name in ("nama", "nama_en", "keterangan", "kelompok", "kata_kunci"):
        unsafe = text_error(getattr(form, name), name, name)
        if unsafe:
            errors.append(unsafe)
    if form.kelas_batas not in {c.value for c in DeadlineClass}:
        errors.append({"field": "kelas_batas", "message": _("Pilih kelas batas waktu.")})
    agency_id: uuid.UUID | None = None
    if form.instansi:
        try:
            agency_id = uuid.UUID(form.instansi)
        except ValueError:
            agency_id = None
        if agency_id is None or repository.get_agency(session, region.id, agency_id) is None:
            errors.append({"field": "instansi", "message": _("Pilih instansi dari daftar.")})
    position, wrong = _position(form.urutan)
    if wrong:
        errors.append({"field": "urutan", "message": wrong})
    return errors, agency_id, position


def save_category(
    session: Session, region: Region, form: CategoryForm, existing: ComplaintCategory | None
) -> ComplaintCategory:
    """Add a category, or change one (its code stays as made); ``InvalidInput`` names each
    field that is wrong."""
    errors, agency_id, position = _category_errors(session, region, form, creating=existing is None)
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    if existing is None:
        existing = create_category(
            session,
            region,
            code=form.kode.strip().lower(),
            name=form.nama.strip(),
            deadline_class=DeadlineClass(form.kelas_batas),
        )
    return update_category(
        session,
        existing,
        name=form.nama.strip(),
        deadline_class=DeadlineClass(form.kelas_batas),
        name_en=form.nama_en.strip(),
        description=form.keterangan.strip(),
        group_name=form.kelompok.strip(),
        keywords=form.kata_kunci.strip(),
        default_agency_id=agency_id,
        needs_location=form.perlu_lokasi,
        active=form.aktif,
        position=position,
    )

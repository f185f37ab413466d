"""Handling a complaint after filing, as LAPOR! does: the desk routes, splits, rejects,
merges or forwards it; the agency answers, asks or hands it on; the citizen replies, rates,
reopens once, follows (decision 0056)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications import service as applications
from simpul.catalogue.models import Agency
from simpul.complaints import notices, repository
from simpul.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintStatus,
)
from simpul.complaints.rules import (
    MESSAGE_MAX,
    REOPEN_DAYS,
    Actor,
    agency_ids_of,
    deadline_class_of,
    due_dates,
    is_desk,
    new_number,
    record_step,
    staff_actor,
    text_error,
)
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _, format_date
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow

# -- the desk: routing, splitting, rejecting, merging ---------------------------------------


def _require_desk(user: User) -> None:
    if not is_desk(user):
        raise Forbidden(_("Hanya admin pengaduan yang dapat melakukan ini."))


def _require_status(complaint: Complaint, allowed: set[ComplaintStatus]) -> None:
    if complaint.status not in allowed:
        raise Conflict(_("Pengaduan ini sudah tidak dapat diubah dengan cara ini."))


def _agency(session: Session, region: Region, agency_id: uuid.UUID | None, name: str) -> Agency:
    agency = repository.get_agency(session, region.id, agency_id) if agency_id else None
    if agency is None:
        raise InvalidInput(
            _("Pilih instansi yang menangani."),
            details=[{"field": name, "message": _("Pilih instansi yang menangani.")}],
        )
    return agency


def _message(value: str, name: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInput(
            _("Tuliskan pesannya."), details=[{"field": name, "message": _("Tuliskan pesannya.")}]
        )
    if len(text) > MESSAGE_MAX:
        problem = _("Pesan paling panjang %(n)d karakter.") % {"n": MESSAGE_MAX}
        raise InvalidInput(problem, details=[{"field": name, "message": problem}])
    if problem_ := text_error(text, name, _("Pesan")):
        raise InvalidInput(problem_["message"], details=[problem_])
    return text


def route(
    session: Session,
    region: Region,
    desk: User,
    complaint: Complaint,
    agency_id: uuid.UUID | None,
    *,
    category_id: uuid.UUID | None = None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Send a new complaint to the agency that answers it (disposisi), optionally correcting
    its category; the agency's officers are told."""
    _require_desk(desk)
    _require_status(complaint, {ComplaintStatus.NEW})
    agency = _agency(session, region, agency_id, "instansi")
    note = _message(note, "catatan", required=False)
    if category_id is not None and category_id != complaint.category_id:
        category = repository.get_category(session, region.id, category_id)
        if category is None:
            raise InvalidInput(
                _("Kategori ini tidak ada."),
                details=[{"field": "kategori", "message": _("Kategori ini tidak ada.")}],
            )
        complaint.category_id = category.id
        complaint.resolution_due = due_dates(
            session,
            region,
            deadline_class_of(complaint.kind, category),
            today_in(region, complaint.filed_at),
        )[1]
    moment = now or utcnow()
    complaint.agency_id = agency.id
    complaint.routed_at = moment
    record_step(
        session,
        complaint,
        "routed",
        complaint.status,
        ComplaintStatus.ROUTED,
        staff_actor(session, region, desk, None),
        message=note,
        public=True,
        agency_id=agency.id,
        details={
            "as_suggested": complaint.suggested_agency_id == agency.id,
            "confidence": complaint.suggestion_confidence,
        },
        now=moment,
    )
    _tell_followers(session, region, complaint, "complaint_routed", agency=agency.name)
    notices.tell_users(
        session,
        complaint,
        repository.agency_staff_ids(session, region.id, agency.id),
        "complaint_assigned",
        agency=agency.name,
        due=format_date(complaint.first_response_due),
    )
    session.flush()


@dataclass(frozen=True)
class SplitPart:
    agency_id: uuid.UUID | None
    category_id: uuid.UUID | None
    note: str = ""


def split(
    session: Session,
    region: Region,
    desk: User,
    complaint: Complaint,
    parts: Sequence[SplitPart],
    *,
    now: datetime | None = None,
) -> list[Complaint]:
    """Divide a complaint that concerns several agencies into one complaint per agency (each
    with its own number, deadlines from the original filing); followers follow each part."""
    _require_desk(desk)
    _require_status(complaint, {ComplaintStatus.NEW})
    if len(parts) < 2:
        raise InvalidInput(
            _("Pecah menjadi sekurang-kurangnya dua bagian."),
            details=[
                {"field": "bagian", "message": _("Pecah menjadi sekurang-kurangnya dua bagian.")}
            ],
        )
    moment = now or utcnow()
    created: list[Complaint] = []
    agencies = [
        _agency(session, region, part.agency_id, f"bagian-{i}") for i, part in enumerate(parts)
    ]
    actor = staff_actor(session, region, desk, None)
    for part, agency in zip(parts, agencies, strict=True):
        category = (
            repository.get_category(session, region.id, part.category_id)
            if part.category_id
            else repository.get_category(session, region.id, complaint.category_id)
        )
        if category is None:
            raise InvalidInput(
                _("Kategori ini tidak ada."),
                details=[{"field": "kategori", "message": _("Kategori ini tidak ada.")}],
            )
        first_due, resolution_due = due_dates(
            session,
            region,
            deadline_class_of(complaint.kind, category),
            today_in(region, complaint.filed_at),
        )
        child = Complaint(
            id=uuid.uuid4(),
            region_id=region.id,
            number=new_number(session, region, moment),
            kind=complaint.kind,
            status=ComplaintStatus.NEW,
            source=complaint.source,
            category_id=category.id,
            service_id=complaint.service_id,
            application_id=complaint.application_id,
            reporter_id=complaint.reporter_id,
            contact_encrypted=complaint.contact_encrypted,
            title=complaint.title,
            description=complaint.description,
            anonymous=complaint.anonymous,
            confidential=complaint.confidential,
            latitude=complaint.latitude,
            longitude=complaint.longitude,
            address=complaint.address,
            attributes=dict(complaint.attributes),
            access_code_hash=complaint.access_code_hash,
            filed_at=complaint.filed_at,
            first_response_due=first_due,
            resolution_due=resolution_due,
            parent_id=complaint.id,
        )
        repository.add(session, child)
        session.flush()
        record_step(
            session,
            child,
            "split_from",
            None,
            ComplaintStatus.NEW,
            actor,
            message=_message(part.note, "catatan", required=False),
            details={"parent": complaint.number},
            now=moment,
        )
        repository.move_followers(session, region.id, complaint.id, child.id)
        route(session, region, desk, child, agency.id, note=part.note, now=moment)
        created.append(child)
    record_step(
        session,
        complaint,
        "split",
        complaint.status,
        ComplaintStatus.SPLIT,
        actor,
        details={"parts": [c.number for c in created]},
        now=moment,
    )
    _tell_followers(
        session, region, complaint, "complaint_split", numbers=", ".join(c.number for c in created)
    )
    session.flush()
    return created


def reject(session: Session, region: Region, desk: User, complaint: Complaint, reason: str) -> None:
    """Close a complaint that cannot be processed (no content, abuse), saying why."""
    _require_desk(desk)
    _require_status(complaint, {ComplaintStatus.NEW})
    reason = _message(reason, "alasan", required=True)
    record_step(
        session,
        complaint,
        "rejected",
        complaint.status,
        ComplaintStatus.REJECTED,
        staff_actor(session, region, desk, None),
        message=reason,
    )
    complaint.resolved_at = utcnow()
    _tell_followers(session, region, complaint, "complaint_rejected", note=reason)
    session.flush()


def merge(
    session: Session, region: Region, desk: User, duplicate: Complaint, into: Complaint
) -> None:
    """Close ``duplicate`` as the same as ``into``: its followers now follow ``into`` and are
    told so."""
    _require_desk(desk)
    if duplicate.id == into.id:
        raise Conflict(_("Pengaduan tidak dapat digabung dengan dirinya sendiri."))
    _require_status(duplicate, set(OPEN_STATUSES))
    if into.status not in OPEN_STATUSES | {ComplaintStatus.RESOLVED}:
        raise Conflict(_("Gabungkan ke pengaduan yang masih ditangani."))
    actor = staff_actor(session, region, desk, None)
    duplicate.merged_into_id = into.id
    record_step(
        session,
        duplicate,
        "merged",
        duplicate.status,
        ComplaintStatus.MERGED,
        actor,
        details={"into": into.number},
        message=into.number,
    )
    record_step(
        session,
        into,
        "merged_here",
        into.status,
        into.status,
        actor,
        details={"from": duplicate.number},
        message=duplicate.number,
    )
    _tell_followers(session, region, duplicate, "complaint_merged", into=into.number)
    repository.move_followers(session, region.id, duplicate.id, into.id)
    session.flush()


def mark_forwarded_out(
    session: Session, region: Region, desk: User, complaint: Complaint, target_name: str, note: str
) -> None:
    """Record that the complaint left the region (``forwarding`` queues the signed webhook in
    the same transaction)."""
    _require_desk(desk)
    _require_status(complaint, {ComplaintStatus.NEW})
    record_step(
        session,
        complaint,
        "forwarded_out",
        complaint.status,
        ComplaintStatus.FORWARDED,
        staff_actor(session, region, desk, None),
        message=_message(note, "catatan", required=False),
        details={"target": target_name},
    )
    complaint.resolved_at = utcnow()
    _tell_followers(session, region, complaint, "complaint_forwarded", target=target_name)
    session.flush()


# -- the agency: answering, asking, forwarding within the region -----------------------------


def _require_agency_officer(user: User, complaint: Complaint) -> None:
    if complaint.agency_id is None or complaint.agency_id not in agency_ids_of(user):
        raise Forbidden(
            _("Hanya petugas instansi yang menangani pengaduan ini yang dapat menjawab.")
        )


def answer(
    session: Session,
    region: Region,
    officer: User,
    complaint: Complaint,
    message: str,
    *,
    final: bool,
    now: datetime | None = None,
) -> None:
    """The agency's answer: a first or further answer (in progress), or the final one
    (resolved: the citizen may rate it or reopen once)."""
    _require_agency_officer(officer, complaint)
    _require_status(
        complaint,
        {ComplaintStatus.ROUTED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING_CITIZEN},
    )
    text = _message(message, "tanggapan", required=True)
    moment = now or utcnow()
    if complaint.first_responded_at is None:
        complaint.first_responded_at = moment
    if complaint.status is ComplaintStatus.WAITING_CITIZEN:
        _resume_clock(session, region, complaint, moment)
    agency = _agency(session, region, complaint.agency_id, "instansi")
    to = ComplaintStatus.RESOLVED if final else ComplaintStatus.IN_PROGRESS
    record_step(
        session,
        complaint,
        "resolved" if final else "answered",
        complaint.status,
        to,
        staff_actor(session, region, officer, complaint.agency_id),
        message=text,
        agency_id=agency.id,
        now=moment,
    )
    if final:
        complaint.resolved_at = moment
        _tell_followers(session, region, complaint, "complaint_resolved", agency=agency.name)
    else:
        _tell_followers(session, region, complaint, "complaint_answered", agency=agency.name)
    session.flush()


def request_info(
    session: Session,
    region: Region,
    officer: User,
    complaint: Complaint,
    question: str,
    *,
    now: datetime | None = None,
) -> None:
    """Ask the citizen for more; the closing clock pauses until they reply."""
    _require_agency_officer(officer, complaint)
    _require_status(complaint, {ComplaintStatus.ROUTED, ComplaintStatus.IN_PROGRESS})
    text = _message(question, "pertanyaan", required=True)
    moment = now or utcnow()
    if complaint.first_responded_at is None:
        complaint.first_responded_at = moment
    complaint.waiting_since = moment
    agency = _agency(session, region, complaint.agency_id, "instansi")
    record_step(
        session,
        complaint,
        "info_requested",
        complaint.status,
        ComplaintStatus.WAITING_CITIZEN,
        staff_actor(session, region, officer, complaint.agency_id),
        message=text,
        agency_id=agency.id,
        now=moment,
    )
    _tell_followers(
        session,
        region,
        complaint,
        "complaint_info_requested",
        agency=agency.name,
        note=text,
        only_reporter=True,
    )
    session.flush()


def forward_within(
    session: Session,
    region: Region,
    officer: User,
    complaint: Complaint,
    agency_id: uuid.UUID | None,
    note: str,
) -> None:
    """Hand the complaint to another agency of the region (it is not ours); deadlines stay."""
    if not (is_desk(officer) or (complaint.agency_id in agency_ids_of(officer))):
        raise Forbidden(
            _("Hanya petugas instansi yang menangani pengaduan ini yang dapat mengalihkannya.")
        )
    _require_status(complaint, {ComplaintStatus.ROUTED, ComplaintStatus.IN_PROGRESS})
    agency = _agency(session, region, agency_id, "instansi")
    if agency.id == complaint.agency_id:
        raise InvalidInput(
            _("Pilih instansi lain."),
            details=[{"field": "instansi", "message": _("Pilih instansi lain.")}],
        )
    text = _message(note, "catatan", required=True)
    actor = staff_actor(session, region, officer, complaint.agency_id)
    complaint.agency_id = agency.id
    record_step(
        session,
        complaint,
        "forwarded_agency",
        complaint.status,
        ComplaintStatus.ROUTED,
        actor,
        message=text,
        agency_id=agency.id,
    )
    _tell_followers(session, region, complaint, "complaint_routed", agency=agency.name)
    notices.tell_users(
        session,
        complaint,
        repository.agency_staff_ids(session, region.id, agency.id),
        "complaint_assigned",
        agency=agency.name,
        due=format_date(complaint.first_response_due),
    )
    session.flush()


# -- the citizen: replying, rating, reopening, following -------------------------------------


def _resume_clock(session: Session, region: Region, complaint: Complaint, moment: datetime) -> None:
    """The days the agency waited on the citizen do not count against its closing deadline."""
    if complaint.waiting_since is None:
        return
    calendar = applications.calendar_for(session, region)
    waited = calendar.working_days_between(
        today_in(region, complaint.waiting_since), today_in(region, moment)
    )
    complaint.resolution_due = calendar.add_working_days(complaint.resolution_due, waited)
    complaint.waiting_since = None


def reply(
    session: Session,
    region: Region,
    complaint: Complaint,
    message: str,
    user: User | None,
    *,
    now: datetime | None = None,
) -> None:
    """The owner answers the agency's question; the clock runs again."""
    _require_status(complaint, {ComplaintStatus.WAITING_CITIZEN})
    text = _message(message, "keterangan", required=True)
    moment = now or utcnow()
    _resume_clock(session, region, complaint, moment)
    record_step(
        session,
        complaint,
        "citizen_replied",
        complaint.status,
        ComplaintStatus.IN_PROGRESS,
        Actor.reporter(user, complaint),
        message=text,
        now=moment,
    )
    if complaint.agency_id:
        notices.tell_users(
            session,
            complaint,
            repository.agency_staff_ids(session, region.id, complaint.agency_id),
            "complaint_citizen_replied",
        )
    session.flush()


def rate(
    session: Session,
    region: Region,
    complaint: Complaint,
    rating: int,
    comment: str,
    user: User | None,
) -> None:
    """The owner rates the final answer (1-5), once."""
    _require_status(complaint, {ComplaintStatus.RESOLVED})
    if complaint.rating is not None:
        raise Conflict(_("Tanggapan ini sudah Anda nilai."))
    if not 1 <= rating <= 5:
        raise InvalidInput(
            _("Pilih nilai 1 sampai 5."),
            details=[{"field": "nilai", "message": _("Pilih nilai 1 sampai 5.")}],
        )
    text = _message(comment, "komentar", required=False)
    complaint.rating, complaint.rating_comment, complaint.rated_at = rating, text, utcnow()
    record_step(
        session,
        complaint,
        "rated",
        complaint.status,
        complaint.status,
        Actor.reporter(user, complaint),
        message=text,
        details={"rating": rating},
    )
    session.flush()


def reopen_deadline(complaint: Complaint) -> datetime | None:
    """Until when the owner may reopen it (None: they may not, or no longer)."""
    from datetime import timedelta

    if complaint.status is not ComplaintStatus.RESOLVED or complaint.reopen_count >= 1:
        return None
    if complaint.resolved_at is None:
        return None
    return complaint.resolved_at + timedelta(days=REOPEN_DAYS)


def reopen(
    session: Session,
    region: Region,
    complaint: Complaint,
    reason: str,
    user: User | None,
    *,
    now: datetime | None = None,
) -> None:
    """The owner says the answer did not settle it: once, within ``REOPEN_DAYS`` of it. The
    agency gets a new closing deadline from today."""
    moment = now or utcnow()
    until = reopen_deadline(complaint)
    if until is None or moment > until:
        raise Conflict(
            _(
                "Pengaduan ini tidak dapat dibuka kembali: hanya sekali, paling lambat %(days)d "
                "hari setelah tanggapan akhir."
            )
            % {"days": REOPEN_DAYS}
        )
    text = _message(reason, "alasan", required=True)
    category = repository.get_category(session, region.id, complaint.category_id)
    assert category is not None
    complaint.resolution_due = due_dates(
        session, region, deadline_class_of(complaint.kind, category), today_in(region, moment)
    )[1]
    complaint.reopen_count += 1
    complaint.resolved_at = None
    complaint.resolution_escalated_at = None
    complaint.rating = None
    complaint.rating_comment = ""
    complaint.rated_at = None
    record_step(
        session,
        complaint,
        "reopened",
        complaint.status,
        ComplaintStatus.IN_PROGRESS,
        Actor.reporter(user, complaint),
        message=text,
        now=moment,
    )
    if complaint.agency_id:
        notices.tell_users(
            session,
            complaint,
            repository.agency_staff_ids(session, region.id, complaint.agency_id),
            "complaint_reopened",
            note=text,
            due=format_date(complaint.resolution_due),
        )
    session.flush()


def follow(session: Session, region: Region, complaint: Complaint, user: User) -> bool:
    """A citizen supports a public complaint and is told of its steps; False if already."""
    if user.kind is not AccountKind.CITIZEN:
        raise Forbidden(_("Hanya warga yang dapat mendukung pengaduan."))
    if complaint.confidential and complaint.reporter_id != user.id:
        raise NotFound(_("Pengaduan tidak ditemukan."))
    added = repository.add_follower(session, region.id, complaint.id, user.id)
    session.flush()
    session.refresh(complaint, ["follower_count"])
    return added


def unfollow(session: Session, region: Region, complaint: Complaint, user: User) -> None:
    repository.remove_follower(session, region.id, complaint.id, user.id)
    session.flush()
    session.refresh(complaint, ["follower_count"])


def is_following(session: Session, region: Region, complaint: Complaint, user: User | None) -> bool:
    return user is not None and repository.is_follower(session, region.id, complaint.id, user.id)


def _tell_followers(
    session: Session,
    region: Region,
    complaint: Complaint,
    kind: str,
    *,
    only_reporter: bool = False,
    **params: Any,
) -> int:
    if only_reporter:
        ids = [complaint.reporter_id] if complaint.reporter_id else []
    else:
        ids = repository.follower_ids(session, region.id, complaint.id)
    return notices.tell_users(session, complaint, ids, kind, **params)

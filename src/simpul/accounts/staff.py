"""An agency's staff as its admin OPD (or the region admin) manages them: roles granted per
agency, an officer's NIP and position (jabatan), and absences with the colleague who stands in.

Every change is audited. An agency's admin manages that agency only; the region admin manages
every agency of the region (decision 0047). Moving an absent officer's tasks is the
applications domain's work (``applications.delegation``), which calls ``record_absence`` here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from simpul.accounts import repository
from simpul.accounts.models import (
    ABSENCE_REASONS,
    AccountKind,
    OfficerAbsence,
    StaffRole,
    StaffRoleName,
    User,
)
from simpul.catalogue import service as catalogue
from simpul.catalogue.models import Agency
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.text import unsafe_text_error

NIP_LENGTH = 18
MAX_POSITION = 200
MAX_ABSENCE_NOTE = 500
#: An absence is recorded for at most this many days (a longer one is a transfer, not leave).
MAX_ABSENCE_DAYS = 366
#: How many delegates are followed when the delegate is away too.
MAX_DELEGATION_HOPS = 3
_NIP = re.compile(r"^\d{18}$")
ROLE_ORDER = tuple(r.value for r in StaffRoleName)


@dataclass(frozen=True)
class StaffMember:
    """An officer of the agency with the roles they hold there."""

    user: User
    roles: frozenset[str]


@dataclass(frozen=True)
class AgencyStaff:
    """What the agency's staff page shows."""

    agency: Agency
    members: Sequence[StaffMember]
    absences: Sequence[OfficerAbsence]
    today: date


def _actor_label(actor: User) -> str:
    return actor.email


def may_manage(actor: User, agency: Agency) -> bool:
    """The region admin manages every agency of the region; an officer only the agencies in
    which they hold admin OPD."""
    if actor.region_id != agency.region_id or not actor.is_active:
        return False
    if actor.kind is AccountKind.REGION_ADMIN:
        return True
    return actor.kind is AccountKind.STAFF and any(
        r.agency_id == agency.id and r.role is StaffRoleName.ADMIN_OPD for r in actor.roles
    )


def managed_agency(session: Session, region: Region, actor: User, agency_slug: str) -> Agency:
    """The agency if ``actor`` manages its staff: 404 for an unknown agency, 403 otherwise."""
    agency = catalogue.find_agency(session, region, agency_slug)
    if agency is None:
        raise NotFound(_("Instansi tidak ditemukan di wilayah ini."))
    if not may_manage(actor, agency):
        raise Forbidden(
            _("Hanya admin OPD instansi ini atau admin wilayah yang mengelola petugasnya.")
        )
    return agency


def agency_staff(session: Session, region: Region, actor: User, agency_slug: str) -> AgencyStaff:
    agency = managed_agency(session, region, actor, agency_slug)
    members = [
        StaffMember(u, frozenset(r.role.value for r in u.roles if r.agency_id == agency.id))
        for u in repository.list_agency_staff(session, region.id, agency.id)
    ]
    today = today_in(region)
    return AgencyStaff(
        agency,
        members,
        repository.list_absences_of_agency(session, region.id, agency.id, today),
        today,
    )


def _role(raw: str) -> StaffRoleName:
    try:
        return StaffRoleName(raw)
    except ValueError:
        raise InvalidInput(
            _("Peran tidak dikenal."),
            details=[{"field": "role", "message": _("Pilih salah satu peran yang tersedia.")}],
        ) from None


def _member(session: Session, region: Region, agency: Agency, user_id: uuid.UUID) -> User:
    """A staff account of the region that holds a role in the agency; 404 otherwise."""
    user = repository.get_user_by_id(session, region.id, user_id)
    if user is None or not any(r.agency_id == agency.id for r in user.roles):
        raise NotFound(_("Petugas tidak ditemukan di instansi ini."))
    return user


def _audit(
    session: Session,
    region: Region,
    actor: User,
    action: str,
    target: User,
    agency: Agency,
    **details: object,
) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor.id,
        actor_label=_actor_label(actor),
        action=action,
        target_type="user",
        target_id=str(target.id),
        details={"agency": agency.slug, **details},
    )


def grant_role(
    session: Session,
    region: Region,
    actor: User,
    agency_slug: str,
    role: str,
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
) -> User:
    """Give a staff account (named by id, or by e-mail to add a colleague to the agency) a
    role in this agency. Granting a role already held changes nothing."""
    agency = managed_agency(session, region, actor, agency_slug)
    name = _role(role)
    found: User | None
    if user_id is not None:
        found = _member(session, region, agency, user_id)
    else:
        found = repository.get_user_by_email(session, region.id, (email or "").strip().lower())
        if found is None or found.kind is not AccountKind.STAFF:
            raise InvalidInput(
                _("Petugas belum ditambahkan."),
                details=[
                    {
                        "field": "email",
                        "message": _(
                            "Tidak ada akun petugas dengan e-mail ini di wilayah ini. Admin "
                            "wilayah membuat akun petugas terlebih dahulu."
                        ),
                    }
                ],
            )
    user = found
    if user.kind is not AccountKind.STAFF or not user.is_active:
        raise InvalidInput(
            _("Peran hanya diberikan kepada akun petugas yang aktif."),
            details=[{"field": "user", "message": _("Akun ini bukan petugas aktif.")}],
        )
    if repository.get_staff_role(session, region.id, agency.id, user.id, name.value) is None:
        repository.add_staff_role(
            session,
            StaffRole(region_id=region.id, user_id=user.id, agency_id=agency.id, role=name),
        )
        session.flush()
        session.refresh(user, ["roles"])
        _audit(session, region, actor, "staff_role.grant", user, agency, role=name.value)
    return user


def revoke_role(
    session: Session, region: Region, actor: User, agency_slug: str, user_id: uuid.UUID, role: str
) -> User:
    """Take a role in this agency away. The agency's last admin OPD keeps theirs: somebody
    must be able to manage the desk (the region admin can name another first)."""
    agency = managed_agency(session, region, actor, agency_slug)
    name = _role(role)
    user = _member(session, region, agency, user_id)
    if name is StaffRoleName.ADMIN_OPD:
        admins = repository.lock_agency_admin_roles(session, region.id, agency.id)
        if [a.user_id for a in admins] == [user.id]:
            raise Conflict(
                _(
                    "%(name)s adalah admin OPD terakhir instansi ini. Jadikan petugas lain admin "
                    "OPD terlebih dahulu."
                )
                % {"name": user.full_name}
            )
    held = repository.get_staff_role(session, region.id, agency.id, user.id, name.value)
    if held is not None:
        repository.delete_staff_role(session, held)
        session.refresh(user, ["roles"])
        _audit(session, region, actor, "staff_role.revoke", user, agency, role=name.value)
    return user


def nip_problem(raw: str) -> str | None:
    """Why ``raw`` is not a NIP, or None. A NIP is 18 digits: the birth date (YYYYMMDD), the
    month of appointment (YYYYMM), the sex (1 or 2) and a sequence number."""
    if not _NIP.match(raw):
        return _("NIP terdiri dari 18 angka tanpa spasi.")
    try:
        date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return _("8 angka pertama NIP adalah tanggal lahir (TTTTBBHH) yang valid.")
    month = int(raw[12:14])
    if not 1 <= month <= 12 or int(raw[8:12]) < int(raw[0:4]):
        return _("Angka ke-9 sampai ke-14 NIP adalah tahun dan bulan pengangkatan (TTTTBB).")
    if raw[14] not in "12":
        return _("Angka ke-15 NIP adalah jenis kelamin: 1 atau 2.")
    return None


def set_officer_identity(
    session: Session,
    region: Region,
    actor: User,
    agency_slug: str,
    user_id: uuid.UUID,
    *,
    nip: str,
    position: str,
) -> User:
    """Set what prints under the officer's signature: NIP (18 digits, or empty) and position."""
    agency = managed_agency(session, region, actor, agency_slug)
    user = _member(session, region, agency, user_id)
    nip = re.sub(r"[\s.]", "", nip)
    position = " ".join(position.split())
    errors: list[dict[str, str]] = []
    if nip and (problem := nip_problem(nip)):
        errors.append({"field": "nip", "message": problem})
    hidden = unsafe_text_error(position, field="position", label=_("Jabatan"))
    if hidden:
        errors.append(hidden)
    elif len(position) > MAX_POSITION:
        errors.append(
            {
                "field": "position",
                "message": _("Jabatan maksimal %(n)d karakter.") % {"n": MAX_POSITION},
            }
        )
    if errors:
        raise InvalidInput(_("Data petugas belum disimpan."), details=errors)
    changed = {
        k: True
        for k, before, after in (("nip", user.nip, nip), ("position", user.position, position))
        if before != after
    }
    user.nip = nip
    user.position = position
    if changed:
        _audit(session, region, actor, "staff.identity", user, agency, changed=sorted(changed))
    return user


# -- absences -----------------------------------------------------------------------------


def _parse_day(raw: str, field: str, label: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            _("Tanggal belum benar."),
            details=[
                {
                    "field": field,
                    "message": _("Isi %(label)s dengan tanggal yang valid.") % {"label": label},
                }
            ],
        ) from None


def record_absence(
    session: Session,
    region: Region,
    actor: User,
    agency_slug: str,
    *,
    officer_id: uuid.UUID,
    delegate_id: uuid.UUID,
    starts_on: str,
    ends_on: str,
    reason: str,
    note: str = "",
) -> tuple[OfficerAbsence, User, User]:
    """Record that an officer is away and who stands in for them; returns the absence, the
    officer and the delegate. Both must be officers of the agency; the delegate must not be
    away themselves on the first day."""
    agency = managed_agency(session, region, actor, agency_slug)
    errors: list[dict[str, str]] = []
    first = _parse_day(starts_on, "starts_on", _("tanggal mulai"))
    last = _parse_day(ends_on, "ends_on", _("tanggal selesai"))
    today = today_in(region)
    if last < first:
        errors.append(
            {"field": "ends_on", "message": _("Tanggal selesai tidak boleh sebelum tanggal mulai.")}
        )
    elif last < today:
        errors.append({"field": "ends_on", "message": _("Tanggal selesai sudah lewat.")})
    elif (last - first).days >= MAX_ABSENCE_DAYS:
        errors.append(
            {
                "field": "ends_on",
                "message": _("Ketidakhadiran dicatat paling lama %(n)d hari.")
                % {"n": MAX_ABSENCE_DAYS},
            }
        )
    if reason not in ABSENCE_REASONS:
        errors.append(
            {"field": "reason", "message": _("Pilih alasan: cuti, sakit, dinas luar atau lainnya.")}
        )
    note = " ".join(note.split())
    hidden = unsafe_text_error(note, field="note", label=_("Keterangan"))
    if hidden:
        errors.append(hidden)
    elif len(note) > MAX_ABSENCE_NOTE:
        errors.append(
            {
                "field": "note",
                "message": _("Keterangan maksimal %(n)d karakter.") % {"n": MAX_ABSENCE_NOTE},
            }
        )
    if officer_id == delegate_id:
        errors.append({"field": "delegate_id", "message": _("Pengganti harus petugas lain.")})
    if errors:
        raise InvalidInput(_("Ketidakhadiran belum dicatat."), details=errors)
    officer = _member(session, region, agency, officer_id)
    delegate = _member(session, region, agency, delegate_id)
    if not delegate.is_active or delegate.kind is not AccountKind.STAFF:
        raise InvalidInput(
            _("Ketidakhadiran belum dicatat."),
            details=[{"field": "delegate_id", "message": _("Pengganti harus petugas aktif.")}],
        )
    if repository.overlapping_absences(
        session, region.id, officer.id, first, last, agency_id=agency.id
    ):
        raise Conflict(
            _("%(name)s sudah tercatat tidak hadir pada sebagian tanggal ini.")
            % {"name": officer.full_name}
        )
    if repository.overlapping_absences(session, region.id, delegate.id, first, first):
        raise InvalidInput(
            _("Ketidakhadiran belum dicatat."),
            details=[
                {
                    "field": "delegate_id",
                    "message": _("%(name)s juga tidak hadir pada tanggal mulai.")
                    % {"name": delegate.full_name},
                }
            ],
        )
    absence = repository.add_absence(
        session,
        OfficerAbsence(
            region_id=region.id,
            agency_id=agency.id,
            officer_id=officer.id,
            delegate_id=delegate.id,
            starts_on=first,
            ends_on=last,
            reason=reason,
            note=note,
            created_by_id=actor.id,
        ),
    )
    _audit(
        session,
        region,
        actor,
        "staff.absence",
        officer,
        agency,
        absence=str(absence.id),
        delegate=str(delegate.id),
        starts_on=first.isoformat(),
        ends_on=last.isoformat(),
        reason=reason,
    )
    return absence, officer, delegate


def end_absence(
    session: Session, region: Region, actor: User, agency_slug: str, absence_id: uuid.UUID
) -> OfficerAbsence:
    """End an absence early (the officer is back): from now on tasks go to them again. Tasks
    already moved to the delegate stay with the delegate (the admin may reassign them)."""
    agency = managed_agency(session, region, actor, agency_slug)
    absence = repository.get_absence(session, region.id, absence_id, for_update=True)
    if absence is None or absence.agency_id != agency.id:
        raise NotFound(_("Ketidakhadiran tidak ditemukan."))
    if absence.ended_at is not None:
        return absence
    absence.ended_at = utcnow()
    officer = repository.get_user_by_id(session, region.id, absence.officer_id)
    assert officer is not None
    _audit(session, region, actor, "staff.absence_end", officer, agency, absence=str(absence.id))
    return absence


def stand_in_for(
    session: Session, region: Region, officer_id: uuid.UUID, agency_id: uuid.UUID, on: date
) -> User | None:
    """Who holds the officer's work in the agency on ``on``: their delegate while they are
    away (the delegate's delegate when the delegate is away too), None when they are there."""
    current = officer_id
    holder: User | None = None
    for _hop in range(MAX_DELEGATION_HOPS):
        running = repository.overlapping_absences(
            session, region.id, current, on, on, agency_id=agency_id
        )
        if not running:
            break
        current = running[0].delegate_id
        holder = repository.get_user_by_id(session, region.id, current)
    if holder is not None and (holder.id == officer_id or not holder.is_active):
        return None
    return holder

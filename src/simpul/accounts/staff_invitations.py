"""Officers come and go without the command line (decision 0049): the agency's admin OPD (or
the region admin) invites an officer by e-mail, deactivates one who leaves and reactivates one
who returns. Every change is audited.

An invited officer's account exists from the invitation on (so roles can be given and the
address is taken), with no usable password: the stored hash is no argon2 hash, so no password
matches it. The e-mail carries a link to set one. The link's code is an HMAC of the account,
the moment of the invitation and the stored password hash, so nothing is stored, a newer
invitation does not revive an expired one, and the link stops working once a password is set.

Deactivating ends the officer's browser sessions and API tokens at once; moving their open
tasks is the applications domain's part (``applications.officer_release``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from simpul.accounts import repository
from simpul.accounts.models import AccountKind, StaffRole, StaffRoleName, User
from simpul.accounts.service import normalise_email, password_problem
from simpul.accounts.staff import _audit, _member, _role, managed_agency
from simpul.applications import notices
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.security import derived_key, hash_password
from simpul.core.text import unsafe_text_error

#: How long an invitation link works.
INVITATION_HOURS = 72
#: The stored "hash" of an invited officer who has not set a password yet: not an argon2
#: hash, so ``verify_password`` refuses every password for it.
NO_PASSWORD_YET = "!invited"  # noqa: S105 - a marker, not a password
MAX_NAME = 200


def invitation_code(user: User, issued: int) -> str:
    """The secret part of the invitation link (see the module's docstring)."""
    message = f"{user.region_id}:{user.id}:{issued}:{user.password_hash}".encode()
    digest = hmac.new(derived_key("staff-invitation"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_path(user: User, region: Region, issued: int) -> str:
    return f"/{region.slug}/petugas/undangan/{user.id}/{issued}/{invitation_code(user, issued)}"


def invitation_url(user: User, region: Region, public_url: str, issued: int) -> str:
    """The link in the invitation e-mail."""
    return public_url.rstrip("/") + invitation_path(user, region, issued)


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        _("Undangan belum dikirim."), details=[{"field": field, "message": message}]
    )


def invite_officer(
    session: Session,
    region: Region,
    actor: User,
    agency_slug: str,
    *,
    full_name: str,
    email: str,
    roles: Sequence[str],
) -> User:
    """Make the officer's account with ``roles`` in this agency and e-mail them the link to
    set their password. An address already in use is refused (the inviter is staff, not a
    stranger: saying so leaks nothing they could not look up)."""
    agency = managed_agency(session, region, actor, agency_slug)
    errors: list[dict[str, str]] = []
    name = " ".join(full_name.split())
    hidden = unsafe_text_error(name, field="full_name", label=_("Nama lengkap"))
    if hidden is not None:
        errors.append(hidden)
    elif not 3 <= len(name) <= MAX_NAME:
        errors.append({"field": "full_name", "message": _("Nama lengkap 3-200 karakter.")})
    try:
        address = normalise_email(email)
    except ValueError as exc:
        address = ""
        errors.append({"field": "email", "message": str(exc)})
    wanted: list[StaffRoleName] = []
    for raw in dict.fromkeys(roles):
        try:
            wanted.append(_role(raw))
        except InvalidInput:
            errors.append({"field": "roles", "message": _("Peran tidak dikenal.")})
            break
    if not wanted and not any(e["field"] == "roles" for e in errors):
        errors.append({"field": "roles", "message": _("Pilih minimal satu peran.")})
    if errors:
        raise InvalidInput(_("Undangan belum dikirim."), details=errors)
    if repository.get_user_by_email(session, region.id, address) is not None:
        raise Conflict(
            _("E-mail ini sudah dipakai akun lain di wilayah ini."),
            details=[
                {
                    "field": "email",
                    "message": _(
                        "E-mail ini sudah dipakai akun lain. Untuk petugas yang sudah punya akun, "
                        "beri peran di tabel di atas."
                    ),
                }
            ],
        )
    now = utcnow()
    user = User(
        region_id=region.id,
        kind=AccountKind.STAFF,
        email=address,
        full_name=name,
        password_hash=NO_PASSWORD_YET,
        activated_at=now,
        is_active=True,
    )
    repository.add_user(session, user)
    for role in wanted:
        repository.add_staff_role(
            session, StaffRole(region_id=region.id, user_id=user.id, agency_id=agency.id, role=role)
        )
    session.flush()
    session.refresh(user, ["roles"])
    _audit(session, region, actor, "staff.invite", user, agency, roles=[r.value for r in wanted])
    _send_invitation(session, region, user, agency.name, now)
    return user


def _send_invitation(
    session: Session, region: Region, user: User, agency_name: str, now: datetime
) -> None:
    notices.notify_account(
        session,
        user,
        "staff_invitation",
        region=region.name,
        agency=agency_name,
        hours=INVITATION_HOURS,
        issued=int(now.timestamp()),
    )


def resend_invitation(
    session: Session, region: Region, actor: User, agency_slug: str, user_id: uuid.UUID
) -> User:
    """Send a fresh link to an officer who has not set a password yet."""
    agency = managed_agency(session, region, actor, agency_slug)
    user = _member(session, region, agency, user_id)
    if user.password_hash != NO_PASSWORD_YET:
        raise Conflict(_("Petugas ini sudah memasang kata sandi; undangan tidak diperlukan."))
    _audit(session, region, actor, "staff.invite", user, agency, resent=True)
    _send_invitation(session, region, user, agency.name, utcnow())
    return user


def _link_not_valid() -> NotFound:
    return NotFound(
        _(
            "Tautan undangan ini tidak berlaku, sudah dipakai, atau sudah kedaluwarsa. Minta "
            "admin OPD instansi Anda mengirim undangan baru."
        )
    )


def invited_officer(
    session: Session, region: Region, user_id: uuid.UUID, issued: int, code: str
) -> User:
    """The officer an invitation link names, if the link still works; ``NotFound`` else."""
    user = repository.get_user_by_id(session, region.id, user_id)
    if (
        user is None
        or user.kind is not AccountKind.STAFF
        or not user.is_active
        # Only an account that never had a password: a link is no way into a used account.
        or user.password_hash != NO_PASSWORD_YET
        or not hmac.compare_digest(invitation_code(user, issued), code)
    ):
        raise _link_not_valid()
    issued_at = datetime.fromtimestamp(issued, tz=utcnow().tzinfo)
    if not issued_at <= utcnow() < issued_at + timedelta(hours=INVITATION_HOURS):
        raise _link_not_valid()
    return user


def accept_invitation(
    session: Session,
    region: Region,
    user_id: uuid.UUID,
    issued: int,
    code: str,
    *,
    password: str,
    confirm: str,
) -> User:
    """Set the invited officer's password (argon2): the link is used up by it."""
    user = invited_officer(session, region, user_id, issued, code)
    problem = password_problem(password, user.email, confirm)
    if problem:
        raise InvalidInput(
            _("Kata sandi belum dipasang."), details=[{"field": problem[0], "message": problem[1]}]
        )
    user.password_hash = hash_password(password)
    from simpul.accounts.service import audit_own_action

    audit_own_action(session, user, "staff.invitation_accept", "user", user.id)
    return user


# -- deactivation ---------------------------------------------------------------------------


def _check_may_deactivate(actor: User, officer: User) -> None:
    if officer.id == actor.id:
        raise Conflict(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if officer.kind is not AccountKind.STAFF:
        raise Forbidden(_("Hanya akun petugas yang dinonaktifkan di halaman ini."))
    if actor.kind is AccountKind.REGION_ADMIN:
        return
    # The account is one for every agency: an agency's admin switches it off only if every
    # agency the officer works in is theirs to manage.
    managed = {r.agency_id for r in actor.roles if r.role is StaffRoleName.ADMIN_OPD}
    if any(held.agency_id not in managed for held in officer.roles):
        raise Forbidden(
            _(
                "Petugas ini juga bekerja di instansi lain; hanya admin wilayah yang dapat "
                "menonaktifkannya."
            )
        )


def _check_not_last_admin(session: Session, region: Region, officer: User) -> None:
    for held in officer.roles:
        if held.role is not StaffRoleName.ADMIN_OPD:
            continue
        admins = repository.lock_agency_admin_roles(session, region.id, held.agency_id)
        others = [a for a in admins if a.user_id != officer.id and a.user.is_active]
        if not others:
            raise Conflict(
                _(
                    "%(name)s adalah admin OPD aktif terakhir sebuah instansi. Jadikan petugas "
                    "lain admin OPD terlebih dahulu."
                )
                % {"name": officer.full_name}
            )


def deactivate_officer(
    session: Session, region: Region, actor: User, agency_slug: str, user_id: uuid.UUID
) -> User:
    """Switch the officer's account off: no login, every session and API token ended now.
    Refused for oneself and for an agency's last active admin OPD. The caller moves the
    officer's open tasks (``applications.officer_release``)."""
    agency = managed_agency(session, region, actor, agency_slug)
    officer = _member(session, region, agency, user_id)
    _check_may_deactivate(actor, officer)
    if not officer.is_active:
        return officer
    _check_not_last_admin(session, region, officer)
    now = utcnow()
    officer.is_active = False
    repository.delete_other_sessions(session, officer.id, None)
    tokens = repository.list_active_api_tokens(session, officer.id)
    for token in tokens:
        token.revoked_at = now
    _audit(
        session,
        region,
        actor,
        "staff.deactivate",
        officer,
        agency,
        tokens_revoked=len(tokens),
    )
    session.flush()
    return officer


def reactivate_officer(
    session: Session, region: Region, actor: User, agency_slug: str, user_id: uuid.UUID
) -> User:
    """Let a returning officer log in again (with the password they had; their tokens stay
    revoked, they make new ones)."""
    agency = managed_agency(session, region, actor, agency_slug)
    officer = _member(session, region, agency, user_id)
    _check_may_deactivate(actor, officer)
    if officer.is_active:
        return officer
    officer.is_active = True
    _audit(session, region, actor, "staff.reactivate", officer, agency)
    return officer

"""A citizen's own registration, made so that a stranger learns nothing from it about who has
an account (decision 0021).

A well-formed registration always gets the same answer, ``RegistrationReceived``: "if the
registration can go on, the activation link was sent to the address you gave". What happens
behind it depends on what is taken, and only people who read the e-mail of an address learn it:

- NIK and e-mail free: an account waiting for activation is made (``activated_at`` empty) and
  the link goes to the address given. Until the link is used it cannot log in (the login says
  "wrong e-mail or password", as for any unknown address) and it gives way to any newer
  registration of its NIK or address; unused, it is deleted when the link expires.
- NIK or e-mail of an account: nothing is made; that account's owner is told by e-mail (the
  NIK masked), and nothing goes to the address given.

Well-formed registrations are counted per NIK, per e-mail address and per source address,
and refused with 429 past the limits; counting and checking hold per-NIK and per-source
advisory locks, so parallel requests cannot slip past the counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.accounts import repository
from simpul.accounts.models import AccountKind, RegistrationAttempt, User
from simpul.accounts.nik import NikError, mask_nik, parse_nik
from simpul.accounts.schemas import CitizenRegistration
from simpul.accounts.service import (
    audit_own_action,
    discard_pending_registrations,
    email_hash,
    nik_hash,
    normalise_email,
    normalise_phone,
    password_problem,
)
from simpul.applications import notices
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound, TooManyRequests
from simpul.core.i18n import _, ngettext
from simpul.core.models import Region, utcnow
from simpul.core.security import client_source, derived_key, encrypt, hash_password
from simpul.core.settings import get_settings
from simpul.core.text import unsafe_text_error


@dataclass(frozen=True)
class RegistrationReceived:
    """The one answer to a well-formed registration, whatever was taken."""

    #: The address the activation link goes to if the registration can go on.
    email: str
    #: How long the link works.
    hours: int

    def message(self) -> str:
        return _(
            "Bila pendaftaran dapat dilanjutkan, tautan aktivasi dikirim ke alamat e-mail yang "
            "Anda berikan. Buka tautan itu dalam %(hours)d jam untuk mengaktifkan akun."
        ) % {"hours": self.hours}


@dataclass(frozen=True)
class _Registration:
    nik: str
    full_name: str
    email: str
    phone: str


def _validated(data: CitizenRegistration) -> _Registration:
    """The registration with every field checked for form only (never against stored
    accounts); every problem is reported per field."""
    errors: list[dict[str, str]] = []

    def fail(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    nik = ""
    try:
        nik = parse_nik(data.nik).nik
    except NikError as exc:
        fail("nik", str(exc))
    name = " ".join(data.full_name.split())
    hidden_name = unsafe_text_error(name, field="full_name", label=_("Nama lengkap"))
    if hidden_name:
        fail(**hidden_name)
    elif len(name) < 2:
        fail("full_name", _("Nama lengkap wajib diisi sesuai KTP-el."))
    email = ""
    try:
        email = normalise_email(data.email)
    except ValueError as exc:
        fail("email", str(exc))
    phone = ""
    try:
        phone = normalise_phone(data.phone)
    except ValueError as exc:
        fail("phone", str(exc))
    problem = password_problem(data.password, email or data.email, data.password_confirm)
    if problem:
        fail(*problem)
    if not data.consent:
        fail("consent", _("Anda perlu menyetujui pemrosesan data pribadi untuk membuat akun."))
    if errors:
        raise InvalidInput(_("Periksa kembali isian yang ditandai."), details=errors)
    return _Registration(nik=nik, full_name=name, email=email, phone=phone)


def register_citizen(
    session: Session, region: Region, data: CitizenRegistration, *, client: str | None
) -> RegistrationReceived:
    """Take a citizen's registration from the client address ``client`` (see the module's
    docstring). Raises ``InvalidInput`` for malformed fields, ``TooManyRequests`` past the
    limits; otherwise answers the same whatever is taken."""
    settings = get_settings()
    form = _validated(data)
    now = utcnow()
    hashed_nik = nik_hash(region, form.nik)
    hashed_email = email_hash(region, form.email)
    source = client_source(client)
    _check_throttle(session, region, hashed_nik, hashed_email, source, now)
    repository.add_registration_attempt(
        session,
        RegistrationAttempt(
            region_id=region.id,
            source=source,
            nik_hash=hashed_nik,
            email_hash=hashed_email,
            at=now,
        ),
    )
    repository.delete_registration_attempts_before(session, now - timedelta(days=1))
    hours = settings.registration_activation_hours
    received = RegistrationReceived(email=form.email, hours=hours)
    discard_pending_registrations(
        session,
        region,
        repository.delete_pending_registrations(
            session, region.id, created_before=now - timedelta(hours=hours)
        ),
    )
    # The password is hashed whatever happens next, so every answer takes the same time.
    password_hash = hash_password(data.password)
    nik_owner = repository.get_user_by_nik_hash(session, region.id, hashed_nik)
    email_owner = repository.get_user_by_email(session, region.id, form.email)
    if nik_owner is not None or email_owner is not None:
        _tell_owners(session, region, form, nik_owner, email_owner)
        return received
    discard_pending_registrations(
        session,
        region,
        repository.delete_pending_registrations(
            session, region.id, email=form.email, nik_hash=hashed_nik
        ),
    )
    user = User(
        region_id=region.id,
        kind=AccountKind.CITIZEN,
        email=form.email,
        full_name=form.full_name,
        phone=form.phone,
        password_hash=password_hash,
        nik_hash=hashed_nik,
        nik_encrypted=encrypt("nik", form.nik),
        activated_at=None,
    )
    try:
        with session.begin_nested():
            repository.add_user(session, user)
    except IntegrityError:
        # A registration of the same NIK or address made at the same moment won; it has its
        # own link. The answer stays the same.
        return received
    notices.notify_account(session, user, "account_activation", region=region.name, hours=hours)
    return received


def _tell_owners(
    session: Session,
    region: Region,
    form: _Registration,
    nik_owner: User | None,
    email_owner: User | None,
) -> None:
    """Tell the owners of a taken NIK or address, by e-mail, that someone tried to register
    with it (the NIK masked); keep the attempt in the audit trail."""
    if nik_owner is not None:
        notices.notify_account(
            session,
            nik_owner,
            "registration_attempt_nik",
            region=region.name,
            nik=mask_nik(form.nik),
        )
    if email_owner is not None and email_owner is not nik_owner:
        notices.notify_account(
            session, email_owner, "registration_attempt_email", region=region.name
        )
    for owner, matched in ((nik_owner, "nik"), (email_owner, "email")):
        if owner is not None:
            record_audit_event(
                session,
                region_id=region.id,
                actor_id=None,
                actor_label="registration",
                action="account.registration_attempt",
                target_type="user",
                target_id=str(owner.id),
                details={"matched": matched},
            )


def _retry_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Terlalu banyak pendaftaran dalam waktu singkat. Coba lagi dalam %(n)d menit.",
        "Terlalu banyak pendaftaran dalam waktu singkat. Coba lagi dalam %(n)d menit.",
        minutes,
    ) % {"n": minutes}


def _check_throttle(
    session: Session,
    region: Region,
    hashed_nik: bytes,
    hashed_email: bytes,
    source: str,
    now: datetime,
) -> None:
    """Refuse a registration past the limits per NIK, per e-mail address (in the region) and
    per source address (anywhere). Takes the NIK's and the source's advisory locks first, so
    the counts cannot be read by two registrations at once; one that finds them held is
    refused at once rather than holding a connection while it waits."""
    if not (
        repository.try_lock(session, "registration-nik", hashed_nik)
        and repository.try_lock(session, "registration-source", source.encode())
    ):
        raise TooManyRequests(
            _("Pendaftaran lain sedang diproses. Coba lagi sebentar lagi."),
            retry_after_seconds=2,
        )
    settings = get_settings()
    window = timedelta(minutes=settings.registration_window_minutes)
    since = now - window
    counts = (
        (
            repository.registrations_since(
                session, since, region_id=region.id, nik_hash=hashed_nik
            ),
            settings.registration_max_per_nik,
        ),
        (
            repository.registrations_since(
                session, since, region_id=region.id, email_hash=hashed_email
            ),
            settings.registration_max_per_email,
        ),
        (
            repository.registrations_since(session, since, source=source),
            settings.registration_max_per_ip,
        ),
    )
    blocked_until = max(
        (first + window for (count, first), limit in counts if count >= limit and first),
        default=None,
    )
    if blocked_until is not None and blocked_until > now:
        seconds = int((blocked_until - now).total_seconds()) + 1
        raise TooManyRequests(_retry_message(seconds), retry_after_seconds=seconds)


# -- the activation link --------------------------------------------------------------------


def activation_code(user: User) -> str:
    """The secret part of the account's activation link: an HMAC of its id, so nothing is
    stored and a deleted registration's link opens nothing."""
    digest = hmac.new(
        derived_key("account-activation"), f"{user.region_id}:{user.id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def activation_url(user: User, region: Region, public_url: str) -> str:
    """The link in the activation e-mail."""
    base = public_url.rstrip("/")
    return f"{base}/{region.slug}/daftar/aktifkan/{user.id}/{activation_code(user)}"


def _linked_account(session: Session, region: Region, user_id: uuid.UUID, code: str) -> User:
    user = repository.get_user_by_id(session, region.id, user_id)
    if user is None or not hmac.compare_digest(activation_code(user), code):
        raise _link_not_valid()
    return user


def _link_not_valid() -> NotFound:
    return NotFound(
        _(
            "Tautan aktivasi ini tidak berlaku atau sudah kedaluwarsa. Silakan daftar lagi; "
            "tautan yang baru dikirim ke e-mail Anda."
        )
    )


def _expired(user: User, now: datetime) -> bool:
    hours = get_settings().registration_activation_hours
    return user.created_at + timedelta(hours=hours) <= now


def activation_pending(session: Session, region: Region, user_id: uuid.UUID, code: str) -> bool:
    """Whether the link can still open its account (False: it was opened already). Raises
    ``NotFound`` for a wrong, expired or replaced link."""
    user = _linked_account(session, region, user_id, code)
    if user.activated_at is not None:
        return False
    if _expired(user, utcnow()):
        raise _link_not_valid()
    return True


def activate(session: Session, region: Region, user_id: uuid.UUID, code: str) -> User | None:
    """Open the account of an activation link: the owner of the address has it. Returns None
    when the link was used already; raises ``NotFound`` for a wrong, expired or replaced
    link."""
    _linked_account(session, region, user_id, code)
    user = repository.get_pending_registration(session, region.id, user_id)
    if user is None:
        return None
    now = utcnow()
    if _expired(user, now):
        raise _link_not_valid()
    user.activated_at = now
    user.email_verified_at = now  # the link reached the address
    audit_own_action(session, user, "account.register", "user", user.id)
    notices.mark_all_read(session, region, user.id)  # the activation message is done with
    return user

"""Account recovery and verification: a password reset by e-mail, a change of e-mail address
proved by a link sent to the new address, and a phone number proved by a code sent to it.

No answer tells a stranger whether an address has an account: a reset request always gets the
same page and does the same work (the link goes only to an account's own address), and an
e-mail change to an address another account holds tells that account's owner instead.

A link's token and a phone code are derived (HMAC under the server's key) from their row's id,
so the delivery worker can word the message without the secret ever being stored; the row
keeps only a digest of the token or a keyed hash of the code. Requests that send something are
counted per source address and per subject (the address' keyed hash, or the account) in
``recovery_attempt``, under advisory locks so parallel requests cannot slip past the counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.accounts import recovery_repository, repository
from simpul.accounts.models import (
    AccountLink,
    AccountLinkPurpose,
    PhoneVerification,
    RecoveryAttempt,
    User,
)
from simpul.accounts.service import (
    audit_own_action,
    discard_pending_registrations,
    email_hash,
    normalise_email,
    normalise_phone,
    password_problem,
)
from simpul.applications import notices
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound, TooManyRequests
from simpul.core.i18n import _, ngettext
from simpul.core.models import Region, utcnow
from simpul.core.security import (
    client_source,
    derived_key,
    hash_password,
    keyed_hash,
    token_digest,
    verify_password,
)
from simpul.core.settings import get_settings
from simpul.identity import service as identity_service

#: The longest token a link can carry (ours are 43 characters).
MAX_TOKEN = 100


def link_token(link_id: uuid.UUID, region_id: uuid.UUID) -> str:
    """The secret of a link, derived from its row (only its digest is stored)."""
    digest = hmac.new(
        derived_key("account-link"), f"{region_id}:{link_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def phone_code(verification_id: uuid.UUID, region_id: uuid.UUID) -> str:
    """The six digits of a phone verification (only their keyed hash is stored)."""
    digest = hmac.new(
        derived_key("phone-code"), f"{region_id}:{verification_id}".encode(), hashlib.sha256
    ).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _code_hash(verification_id: uuid.UUID, code: str) -> bytes:
    return keyed_hash("phone-code-check", f"{verification_id}:{code}")


def reset_url(region: Region, public_url: str, token: str) -> str:
    """The link in the reset e-mail: always the configured public URL, never a request's
    Host. The token is in the query, which no log line carries."""
    return f"{public_url.rstrip('/')}/{region.slug}/lupa-sandi/atur?t={token}"


def email_change_url(region: Region, public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/{region.slug}/akun/kontak/email?t={token}"


# -- the words of the messages (``notify.messages``) ------------------------------------


@dataclass(frozen=True)
class MessageParts:
    """What a recovery notice's message adds to its text: the link and its label, and (the
    phone code) a body that carries the code."""

    url: str
    link_label: str
    body: str | None = None


#: The notice kinds of this module whose message needs a link of its own.
LINKED_KINDS = frozenset({"password_reset", "email_change_confirm", "phone_code"})


def message_parts(
    kind: str, params: dict[str, Any], region: Region, public_url: str
) -> MessageParts | None:
    """The link (and body) of a recovery notice, in the current locale; None for others."""
    base = public_url.rstrip("/")
    if kind == "password_reset":
        token = link_token(uuid.UUID(str(params["link_id"])), region.id)
        return MessageParts(reset_url(region, base, token), _("Pasang kata sandi baru"))
    if kind == "email_change_confirm":
        token = link_token(uuid.UUID(str(params["link_id"])), region.id)
        return MessageParts(email_change_url(region, base, token), _("Pastikan alamat e-mail"))
    if kind == "phone_code":
        code = phone_code(uuid.UUID(str(params["verification"])), region.id)
        body = _(
            "Kode verifikasi nomor HP Anda di layanan daring %(region)s: %(code)s. Berlaku "
            "%(minutes)s menit. Jangan berikan kode ini kepada siapa pun, termasuk petugas."
        ) % {"region": region.name, "code": code, "minutes": params.get("minutes", "")}
        return MessageParts(f"{base}/{region.slug}/akun/kontak", _("Buka halaman akun"), body)
    return None


# -- throttling ---------------------------------------------------------------------------


def _throttle(
    session: Session, region: Region, action: str, subject: bytes, client: str | None
) -> None:
    """Count a request that sends something, refusing it past the limits per subject (in the
    region) and per source (anywhere)."""
    source = client_source(client)
    if not (
        repository.try_lock(session, f"recovery-{action}", subject)
        and repository.try_lock(session, "recovery-source", source.encode())
    ):
        raise TooManyRequests(
            _("Permintaan lain sedang diproses. Coba lagi sebentar lagi."), retry_after_seconds=2
        )
    settings = get_settings()
    now = utcnow()
    window = timedelta(minutes=settings.recovery_window_minutes)
    since = now - window
    counts = (
        (
            recovery_repository.attempts_since(
                session, action, since, region_id=region.id, subject_hash=subject
            ),
            settings.recovery_max_per_subject,
        ),
        (
            recovery_repository.attempts_since(session, action, since, source=source),
            settings.recovery_max_per_ip,
        ),
    )
    blocked = max(
        (first + window for (count, first), limit in counts if count >= limit and first),
        default=None,
    )
    if blocked is not None and blocked > now:
        seconds = int((blocked - now).total_seconds()) + 1
        minutes = max(1, -(-seconds // 60))
        raise TooManyRequests(
            ngettext(
                "Terlalu banyak permintaan dalam waktu singkat. Coba lagi dalam %(n)d menit.",
                "Terlalu banyak permintaan dalam waktu singkat. Coba lagi dalam %(n)d menit.",
                minutes,
            )
            % {"n": minutes},
            retry_after_seconds=seconds,
        )
    recovery_repository.add(
        session,
        RecoveryAttempt(
            region_id=region.id, action=action, source=source, subject_hash=subject, at=now
        ),
    )
    recovery_repository.delete_attempts_before(session, now - timedelta(days=1))


def _new_link(
    session: Session, user: User, purpose: AccountLinkPurpose, lifetime: timedelta, **extra: str
) -> AccountLink:
    now = utcnow()
    recovery_repository.retire_links(session, user.id, purpose, now)
    link_id = uuid.uuid4()
    link = AccountLink(
        id=link_id,
        region_id=user.region_id,
        user_id=user.id,
        purpose=purpose,
        token_hash=token_digest(link_token(link_id, user.region_id)),
        created_at=now,
        expires_at=now + lifetime,
        **extra,
    )
    recovery_repository.add(session, link)
    return link


def _open_link(
    session: Session, region: Region, token: str, purpose: AccountLinkPurpose
) -> tuple[AccountLink, User]:
    """The unused, unexpired link of ``token`` in the region (locked) and its account; raises
    ``NotFound`` otherwise (the same for wrong, used, expired and other regions' tokens)."""
    token = token.strip()[:MAX_TOKEN]
    link = (
        recovery_repository.link_by_token_hash(session, region.id, token_digest(token), purpose)
        if token
        else None
    )
    user = repository.get_user_by_id(session, region.id, link.user_id) if link else None
    if (
        link is None
        or user is None
        or link.used_at is not None
        or link.expires_at <= utcnow()
        or not user.is_active
        or user.activated_at is None
    ):
        raise NotFound(_("Tautan ini tidak berlaku: salah, sudah dipakai, atau kedaluwarsa."))
    return link, user


# -- password reset -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResetRequested:
    """The one answer to a reset request, whatever the address."""

    email: str
    minutes: int


def request_password_reset(
    session: Session, region: Region, raw_email: str, *, client: str | None
) -> ResetRequested:
    """Send a reset link to the account with this address, if there is one. Raises
    ``InvalidInput`` for a malformed address and ``TooManyRequests`` past the limits;
    otherwise answers the same (see the module's docstring)."""
    try:
        email = normalise_email(raw_email)
    except ValueError as exc:
        raise InvalidInput(
            _("Periksa kembali isian yang ditandai."),
            details=[{"field": "email", "message": str(exc)}],
        ) from None
    settings = get_settings()
    minutes = settings.password_reset_minutes
    _throttle(session, region, "password_reset", email_hash(region, email), client)
    recovery_repository.delete_expired_links(session, utcnow() - timedelta(days=1))
    user = repository.get_user_by_email(session, region.id, email)
    if user is None or not user.is_active:
        # The same work as for an account: a token derived and digested.
        token_digest(link_token(uuid.uuid4(), region.id))
        return ResetRequested(email, minutes)
    link = _new_link(session, user, AccountLinkPurpose.PASSWORD_RESET, timedelta(minutes=minutes))
    notices.notify_account(
        session,
        user,
        "password_reset",
        region=region.name,
        minutes=minutes,
        link_id=str(link.id),
    )
    audit_own_action(session, user, "account.password_reset_request", "user", user.id)
    return ResetRequested(email, minutes)


def check_reset_link(session: Session, region: Region, token: str) -> None:
    """Raise ``NotFound`` unless the reset link still works."""
    _open_link(session, region, token, AccountLinkPurpose.PASSWORD_RESET)


def reset_password(session: Session, region: Region, token: str, *, new: str, confirm: str) -> User:
    """Set a new password through a reset link: the link is spent, every login, API token
    and app token of the account ends, and the owner is told by e-mail."""
    link, user = _open_link(session, region, token, AccountLinkPurpose.PASSWORD_RESET)
    problem = password_problem(new, user.email, confirm)
    if problem:
        field = "new_password_confirm" if problem[0] == "password_confirm" else "new_password"
        raise InvalidInput(
            _("Kata sandi belum diganti."), details=[{"field": field, "message": problem[1]}]
        )
    now = utcnow()
    link.used_at = now
    user.password_hash = hash_password(new)
    if user.email_verified_at is None:
        user.email_verified_at = now  # the link reached the account's address
    repository.delete_other_sessions(session, user.id, None)
    revoked = recovery_repository.revoke_api_tokens(session, user.id, now)
    app_tokens = identity_service.revoke_all_tokens(session, user, reason="password_reset")
    audit_own_action(
        session,
        user,
        "account.password_reset",
        "user",
        user.id,
        details={"api_tokens_revoked": len(revoked), "app_tokens_revoked": app_tokens},
    )
    notices.notify_account(session, user, "password_reset_done", region=region.name)
    return user


# -- e-mail change ------------------------------------------------------------------------


def _masked_email(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:2]}•••@{domain}"


def request_email_change(
    session: Session,
    region: Region,
    user: User,
    *,
    password: str,
    new_email: str,
    client: str | None,
) -> str:
    """Send a link to ``new_email`` that makes it the account's address when opened; tell
    the current address. If another account holds the address, its owner is told instead
    and the answer is the same. Returns the normalised new address."""
    errors: list[dict[str, str]] = []
    if not verify_password(user.password_hash, password):
        errors.append({"field": "password", "message": _("Kata sandi saat ini salah.")})
    email = ""
    try:
        email = normalise_email(new_email)
    except ValueError as exc:
        errors.append({"field": "new_email", "message": str(exc)})
    if email and email == user.email:
        errors.append({"field": "new_email", "message": _("Ini sudah alamat e-mail akun Anda.")})
    if errors:
        raise InvalidInput(_("Alamat e-mail belum diganti."), details=errors)
    _throttle(session, region, "email_change", keyed_hash("account", str(user.id)), client)
    hours = get_settings().email_change_hours
    holder = repository.get_user_by_email(session, region.id, email)
    if holder is not None:
        notices.notify_account(session, holder, "email_change_taken", region=region.name)
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=user.id,
            actor_label=user.email,
            action="account.email_change_taken",
            target_type="user",
            target_id=str(holder.id),
            details={},
        )
    else:
        link = _new_link(
            session,
            user,
            AccountLinkPurpose.EMAIL_CHANGE,
            timedelta(hours=hours),
            new_email=email,
        )
        notices.notify_account(
            session,
            user,
            "email_change_confirm",
            channel="email",
            recipient=email,
            region=region.name,
            hours=hours,
            link_id=str(link.id),
        )
    notices.notify_account(
        session, user, "email_change_requested", region=region.name, new=_masked_email(email)
    )
    audit_own_action(session, user, "account.email_change_request", "user", user.id)
    return email


def check_email_change_link(session: Session, region: Region, token: str) -> str:
    """The new address a still-working change link confirms; ``NotFound`` otherwise."""
    link, _user = _open_link(session, region, token, AccountLinkPurpose.EMAIL_CHANGE)
    return link.new_email


def _address_taken() -> NotFound:
    return NotFound(_("Alamat e-mail ini sudah dipakai akun lain, jadi tidak diganti."))


def confirm_email_change(session: Session, region: Region, token: str) -> User:
    """Make the link's address the account's (verified now); tell the old address."""
    link, user = _open_link(session, region, token, AccountLinkPurpose.EMAIL_CHANGE)
    now = utcnow()
    link.used_at = now
    if repository.get_user_by_email(session, region.id, link.new_email) is not None:
        raise _address_taken()
    # A registration still waiting for activation gives way to the owner who proved the
    # address (as to an account an administrator makes).
    discard_pending_registrations(
        session,
        region,
        repository.delete_pending_registrations(session, region.id, email=link.new_email),
    )
    old = user.email
    try:
        with session.begin_nested():
            user.email = link.new_email
            user.email_verified_at = now
            session.flush()
    except IntegrityError:
        # Another account took the address at the same moment.
        raise _address_taken() from None
    notices.notify_account(
        session,
        user,
        "email_change_done",
        channel="email",
        recipient=old,
        region=region.name,
        new=_masked_email(link.new_email),
    )
    audit_own_action(session, user, "account.email_change", "user", user.id)
    return user


# -- phone verification -------------------------------------------------------------------


def request_phone_code(
    session: Session, region: Region, user: User, raw_phone: str, *, client: str | None
) -> str:
    """Send a six-digit code to the number by the messaging channel (its earlier codes stop
    working). Returns the normalised number."""
    try:
        phone = normalise_phone(raw_phone[:30])
    except ValueError as exc:
        raise InvalidInput(
            _("Nomor HP tidak valid."), details=[{"field": "phone", "message": str(exc)}]
        ) from None
    settings = get_settings()
    now = utcnow()
    latest = recovery_repository.latest_phone_verification(session, region.id, user.id)
    wait = timedelta(seconds=settings.phone_code_resend_seconds)
    if latest is not None and latest.created_at + wait > now:
        seconds = int((latest.created_at + wait - now).total_seconds()) + 1
        raise TooManyRequests(
            _("Kode baru saja dikirim. Tunggu %(n)d detik sebelum meminta kode lagi.")
            % {"n": seconds},
            retry_after_seconds=seconds,
        )
    _throttle(session, region, "phone_code", keyed_hash("account", str(user.id)), client)
    recovery_repository.retire_phone_verifications(session, user.id, now)
    verification_id = uuid.uuid4()
    minutes = settings.phone_code_minutes
    recovery_repository.add(
        session,
        PhoneVerification(
            id=verification_id,
            region_id=region.id,
            user_id=user.id,
            phone=phone,
            code_hash=_code_hash(verification_id, phone_code(verification_id, region.id)),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        ),
    )
    notices.notify_account(
        session,
        user,
        "phone_code",
        channel="whatsapp",
        recipient=phone,
        region=region.name,
        phone=phone,
        minutes=minutes,
        verification=str(verification_id),
    )
    audit_own_action(session, user, "account.phone_code_sent", "user", user.id)
    return phone


def pending_phone(session: Session, region: Region, user: User) -> str | None:
    """The number a code was sent to and can still be entered for, if any."""
    latest = recovery_repository.latest_phone_verification(session, region.id, user.id)
    if latest is None or latest.expires_at <= utcnow():
        return None
    if latest.tries >= get_settings().phone_code_max_tries:
        return None
    return latest.phone


class CodeRefused(InvalidInput):
    """A wrong code (committed: the try counts)."""


def verify_phone(session: Session, region: Region, user: User, code: str) -> str:
    """Check the code; on success the number becomes the account's, verified. A wrong code
    counts a try (the caller commits it); past the limit, or expired, a new code is needed."""
    latest = recovery_repository.latest_phone_verification(session, region.id, user.id)
    max_tries = get_settings().phone_code_max_tries
    code = "".join(ch for ch in code[:20] if not ch.isspace())

    def refuse(message: str) -> CodeRefused:
        return CodeRefused(message, details=[{"field": "code", "message": message}])

    if latest is None or latest.expires_at <= utcnow() or latest.tries >= max_tries:
        raise refuse(_("Kode tidak berlaku lagi. Minta kode baru."))
    latest.tries += 1
    if not (code.isdigit() and hmac.compare_digest(_code_hash(latest.id, code), latest.code_hash)):
        left = max_tries - latest.tries
        if left <= 0:
            raise refuse(_("Kode salah terlalu sering. Minta kode baru."))
        raise refuse(
            ngettext("Kode salah. Sisa %(n)d percobaan.", "Kode salah. Sisa %(n)d percobaan.", left)
            % {"n": left}
        )
    now = utcnow()
    latest.used_at = now
    user.phone = latest.phone
    user.phone_verified_at = now
    audit_own_action(session, user, "account.phone_verified", "user", user.id)
    return latest.phone


def whatsapp_is_offered() -> bool:
    """Whether this deployment can send a code (the WhatsApp channel is configured)."""
    from simpul.notify import service as notify_service  # notify imports this module

    return notify_service.whatsapp_offered()

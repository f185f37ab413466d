"""Second factors (TOTP with recovery codes), the login's second step, and a user's
sessions and devices (issue 18).

A code is accepted for the current 30-second step or one either side, and each step only
once (``last_used_step``). Wrong codes are counted on the factor's row, which every check
locks, so parallel guesses are counted one after the other. Recovery codes are random,
stored as keyed hashes and used up atomically.
"""

from __future__ import annotations

import base64
import hmac
import io
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import pyotp
import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts
from simpul.accounts.auth import SECOND_FACTOR_METHODS
from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound, TooManyRequests
from simpul.core.i18n import _, ngettext
from simpul.core.models import Region, utcnow
from simpul.core.security import (
    client_source,
    decrypt,
    encrypt,
    keyed_hash,
    new_token,
    token_digest,
    verify_password,
)
from simpul.core.settings import get_settings
from simpul.identity import mfa_repository as repository
from simpul.identity import passkeys
from simpul.identity import service as identity_service
from simpul.identity.mfa_models import PendingLogin, RecoveryCode, TotpFactor

STEP_SECONDS: Final = 30
RECOVERY_CODES: Final = 10
PENDING_MINUTES: Final = 5
#: The cookie naming a pending login (path ``/{region}``, five minutes).
PENDING_COOKIE: Final = "simpul_pending_login"
_SECRET_PURPOSE: Final = "mfa-totp"  # noqa: S105 - a key-derivation label, not a secret
_RECOVERY_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "message": message}])


def _audit(session: Session, user: User, action: str, **details: object) -> None:
    record_audit_event(
        session,
        region_id=user.region_id,
        actor_id=user.id,
        actor_label=user.email,
        action=action,
        target_type="user",
        target_id=str(user.id),
        details=dict(details) or None,
    )


# -- who must have one ----------------------------------------------------------------------


def must_have_second_factor(session: Session, user: User) -> bool:
    """Region admins and officers who sign (penandatangan in any agency)."""
    if user.kind is AccountKind.REGION_ADMIN:
        return True
    if user.kind is not AccountKind.STAFF:
        return False
    return repository.holds_role(
        session,
        user.region_id,
        user.id,
        StaffRoleName.PENANDATANGAN,
    )


def has_totp(session: Session, user: User) -> bool:
    factor = repository.totp_of(session, user.region_id, user.id)
    return factor is not None and factor.confirmed_at is not None


def has_second_factor(session: Session, user: User) -> bool:
    """A confirmed authenticator app or a passkey."""
    return has_totp(session, user) or passkeys.has_passkey(session, user)


def proven(amr: Sequence[str] | None) -> bool:
    """Whether a login's methods include a second factor."""
    return bool(amr) and not SECOND_FACTOR_METHODS.isdisjoint(amr or ())


# -- TOTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """What the user's authenticator app needs: the secret as text, URI and QR code."""

    secret: str
    uri: str
    qr_data_uri: str


def _secret_of(factor: TotpFactor) -> str:
    secret = decrypt(_SECRET_PURPOSE, factor.secret_encrypted)
    if secret is None:
        raise LookupError("the TOTP secret does not decrypt under this deployment's key")
    return secret


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def enrolment_of(region: Region, user: User, factor: TotpFactor) -> Enrolment:
    secret = _secret_of(factor)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=f"Simpul {region.name}")
    return Enrolment(secret, uri, _qr_svg(uri))


def start_enrolment(
    session: Session, region: Region, user: User, *, secret: str | None = None
) -> TotpFactor:
    """A new, unconfirmed secret for the user (replacing an unconfirmed one); refused when
    the user already has a confirmed factor (disable it first)."""
    existing = repository.totp_of(session, region.id, user.id, for_update=True)
    if existing is not None and existing.confirmed_at is not None:
        raise InvalidInput(_("Verifikasi dua langkah sudah aktif."))
    if existing is not None:
        return existing
    factor = TotpFactor(
        region_id=region.id,
        user_id=user.id,
        secret_encrypted=encrypt(_SECRET_PURPOSE, secret or pyotp.random_base32()),
    )
    repository.add(session, factor)
    return factor


def pending_enrolment(session: Session, region: Region, user: User) -> TotpFactor | None:
    factor = repository.totp_of(session, region.id, user.id)
    return factor if factor is not None and factor.confirmed_at is None else None


def _throttle(factor: TotpFactor, now: datetime) -> None:
    settings = get_settings()
    window = timedelta(minutes=settings.mfa_window_minutes)
    if factor.failures_since is None or factor.failures_since + window <= now:
        factor.failures, factor.failures_since = 0, None
        return
    if factor.failures >= settings.mfa_max_failures:
        seconds = int((factor.failures_since + window - now).total_seconds()) + 1
        minutes = max(1, -(-seconds // 60))
        raise TooManyRequests(
            ngettext(
                "Terlalu banyak kode yang salah. Coba lagi dalam %(n)d menit.",
                "Terlalu banyak kode yang salah. Coba lagi dalam %(n)d menit.",
                minutes,
            )
            % {"n": minutes},
            retry_after_seconds=seconds,
        )


def _failed(factor: TotpFactor, now: datetime) -> None:
    factor.failures_since = factor.failures_since or now
    factor.failures += 1


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (after is None or step > after):
            return step
    return None


def _clean_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").lower()[:40]


def check_code(
    session: Session, user: User, raw: str, *, allow_recovery: bool, confirmed: bool = True
) -> str:
    """Check a TOTP code (or, with ``allow_recovery``, a recovery code) of the user; returns
    the method used (``otp`` or ``recovery``). A wrong code is counted (the caller commits:
    routes render the refusal, they do not raise it) and raises ``InvalidInput``;
    ``TooManyRequests`` once too many were wrong."""
    factor = repository.totp_of(session, user.region_id, user.id, for_update=True)
    if factor is None or (confirmed and factor.confirmed_at is None):
        raise _field_error("code", _("Verifikasi dua langkah belum aktif untuk akun ini."))
    now = utcnow()
    _throttle(factor, now)
    code = _clean_code(raw)
    if code.isdigit() and len(code) == 6:
        step = _matching_step(_secret_of(factor), code, now, factor.last_used_step)
        if step is not None:
            factor.last_used_step = step
            factor.failures, factor.failures_since = 0, None
            return "otp"
    elif (
        allow_recovery
        and len(code) == 10
        and repository.use_recovery_code(
            session,
            user.region_id,
            user.id,
            _recovery_hash(user, code),
            now,
        )
    ):
        factor.failures, factor.failures_since = 0, None
        left = repository.unused_recovery_codes(session, user.region_id, user.id)
        _audit(session, user, "mfa.recovery_code_used", left=left)
        return "recovery"
    _failed(factor, now)
    raise _field_error(
        "code",
        _("Kode salah, sudah dipakai, atau sudah kedaluwarsa. Periksa aplikasi autentikator Anda."),
    )


def _recovery_hash(user: User, code: str) -> bytes:
    return keyed_hash("mfa-recovery", f"{user.id}:{code}")


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones (shown once)."""
    repository.delete_recovery_codes(session, user.region_id, user.id)
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(10))
        for _n in range(RECOVERY_CODES)
    ]
    for code in codes:
        repository.add(
            session,
            RecoveryCode(
                region_id=user.region_id, user_id=user.id, code_hash=_recovery_hash(user, code)
            ),
        )
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Activate the user's new secret with a first code; returns the recovery codes."""
    check_code(session, user, code, allow_recovery=False, confirmed=False)
    factor = repository.totp_of(session, user.region_id, user.id)
    assert factor is not None
    factor.confirmed_at = utcnow()
    _audit(session, user, "mfa.totp_enrolled")
    return new_recovery_codes(session, user)


def regenerate_recovery_codes(session: Session, user: User, code: str) -> list[str]:
    check_code(session, user, code, allow_recovery=False)
    _audit(session, user, "mfa.recovery_codes_renewed")
    return new_recovery_codes(session, user)


def disable(session: Session, user: User, *, password: str, code: str) -> None:
    """Remove the user's authenticator: needs the password and a code."""
    if not verify_password(user.password_hash, password):
        raise _field_error("password", _("Kata sandi salah."))
    check_code(session, user, code, allow_recovery=True)
    repository.delete_totp(session, user.region_id, user.id)
    repository.delete_recovery_codes(session, user.region_id, user.id)
    _audit(session, user, "mfa.totp_disabled")


def reset(session: Session, region: Region, user: User, *, actor_label: str) -> bool:
    """An operator's reset for a user who lost their device (``simpul user reset-mfa``):
    the authenticator, the recovery codes and the passkeys go."""
    had = repository.totp_of(session, region.id, user.id) is not None
    repository.delete_totp(session, region.id, user.id)
    repository.delete_recovery_codes(session, region.id, user.id)
    removed_passkeys = passkeys.forget_user(session, user)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="mfa.reset",
        target_type="user",
        target_id=str(user.id),
        details={"had_factor": had, "passkeys": removed_passkeys},
    )
    return had


def current_code(session: Session, user: User) -> str | None:
    """The code the user's authenticator shows now (the demo's ``simpul demo totp``)."""
    factor = repository.totp_of(session, user.region_id, user.id)
    return pyotp.TOTP(_secret_of(factor)).now() if factor is not None else None


def seed_confirmed(session: Session, user: User, secret: str) -> None:
    """Give the user a confirmed authenticator with a known secret (the demo's accounts)."""
    repository.delete_totp(session, user.region_id, user.id)
    repository.add(
        session,
        TotpFactor(
            region_id=user.region_id,
            user_id=user.id,
            secret_encrypted=encrypt(_SECRET_PURPOSE, secret),
            confirmed_at=utcnow(),
        ),
    )


def forget_user(session: Session, user: User) -> int:
    """Delete every second factor of the user (closing the account): the authenticator, the
    recovery codes, the passkeys and any pending login; returns how many passkeys went."""
    repository.delete_totp(session, user.region_id, user.id)
    repository.delete_recovery_codes(session, user.region_id, user.id)
    repository.delete_pending_logins(session, user.region_id, user.id)
    return passkeys.forget_user(session, user)


def unused_recovery_codes(session: Session, user: User) -> int:
    return repository.unused_recovery_codes(session, user.region_id, user.id)


# -- the login's second step ----------------------------------------------------------------


def begin_second_step(
    session: Session, region: Region, user: User, *, required: bool, target: str
) -> str | None:
    """After a correct password: the pending-login token when a second step is due (a code
    for a user with a factor; enrolment for one who must have a factor), else None."""
    if has_second_factor(session, user):
        purpose = "verify"
    elif required and must_have_second_factor(session, user):
        purpose = "enrol"
    else:
        return None
    now = utcnow()
    repository.delete_expired_pending_logins(session, user.id, now)
    token = new_token()
    repository.add(
        session,
        PendingLogin(
            region_id=region.id,
            user_id=user.id,
            token_hash=token_digest(token),
            purpose=purpose,
            target=target[:500],
            expires_at=now + timedelta(minutes=PENDING_MINUTES),
        ),
    )
    return token


@dataclass(frozen=True)
class Pending:
    row: PendingLogin
    user: User


def pending_of(session: Session, region: Region, token: str | None) -> Pending:
    """The pending login the cookie names; ``NotFound`` when missing, expired, forged, used
    or of another region."""
    row = (
        repository.pending_login(session, region.id, token_digest(token[:200]), utcnow())
        if token
        else None
    )
    user = accounts.user_by_id(session, region, row.user_id) if row else None
    if row is None or user is None or not user.is_active:
        raise NotFound(
            _("Waktu masuk sudah habis. Silakan masuk lagi dengan e-mail dan kata sandi.")
        )
    return Pending(row, user)


def finish_second_step(session: Session, pending: Pending) -> None:
    """Use up the pending login (single use)."""
    if not repository.delete_pending_login(session, pending.row.id):
        raise NotFound(
            _("Waktu masuk sudah habis. Silakan masuk lagi dengan e-mail dan kata sandi.")
        )


# -- sessions and devices -------------------------------------------------------------------


def session_details(user_agent: str | None, client: str | None) -> dict[str, str]:
    """What a new session records of its device: the user agent cut to 300, the address."""
    return {"user_agent": (user_agent or "")[:300], "source": client_source(client)}


@dataclass(frozen=True)
class Device:
    id: uuid.UUID
    browser: str
    system: str
    source: str
    created_at: datetime
    last_seen_at: datetime | None
    current: bool
    second_factor: bool


_BROWSERS: Final = (
    ("Edg/", "Microsoft Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS: Final = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def summarise_agent(agent: str) -> tuple[str, str]:
    """Browser and operating system named in a User-Agent (or a plain fallback)."""
    browser = next((name for key, name in _BROWSERS if key in agent), "")
    system = next((name for key, name in _SYSTEMS if key in agent), "")
    return browser or _("Peramban tidak dikenal"), system or _("sistem tidak dikenal")


def devices(session: Session, user: User, current_token: str | None) -> list[Device]:
    current_hash = token_digest(current_token) if current_token else None
    rows = repository.sessions_of(session, user.region_id, user.id, utcnow())
    result = []
    for row in rows:
        browser, system = summarise_agent(row.user_agent)
        result.append(
            Device(
                row.id,
                browser,
                system,
                row.source,
                row.created_at,
                row.last_seen_at,
                current_hash is not None and hmac.compare_digest(row.token_hash, current_hash),
                proven(row.amr),
            )
        )
    return result


def revoke_session(session: Session, region: Region, user: User, session_id: uuid.UUID) -> None:
    """End one of the user's own sessions, and the apps' tokens got through it; 404 for
    anyone else's."""
    rows = [
        row
        for row in repository.sessions_of_user_except(session, user.region_id, user.id, None)
        if row.id == session_id
    ]
    if not rows:
        raise NotFound(_("Sesi tidak ditemukan."))
    identity_service.devices_ended(session, region, rows)
    repository.delete_session_of(session, user.region_id, user.id, session_id)
    _audit(session, user, "session.revoked")


def revoke_other_sessions(
    session: Session, region: Region, user: User, current_token: str | None
) -> int:
    """End every session of the user but ``current_token``'s, and the apps' tokens got
    through them; returns how many sessions ended."""
    current = accounts.session_for_token(session, region, current_token) if current_token else None
    keep = current.id if current is not None and current.user_id == user.id else None
    rows = repository.sessions_of_user_except(session, user.region_id, user.id, keep)
    identity_service.devices_ended(session, region, rows)
    ended = repository.delete_sessions_except(session, user.region_id, user.id, keep)
    _audit(session, user, "session.others_revoked", ended=len(ended))
    return len(ended)


def prove_current_session(
    session: Session, region: Region, user: User, current_token: str | None
) -> None:
    """Record that the login ``current_token`` names has just proven a second factor (a code
    confirmed on the security page), so it may sign without logging in again."""
    row = accounts.session_for_token(session, region, current_token) if current_token else None
    if row is not None and row.user_id == user.id and not proven(row.amr):
        row.amr = [*row.amr, "otp"]

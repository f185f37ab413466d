"""Account rules: accounts made by administrators, login with throttling, sessions, passwords
and tokens. Citizens' own registration is in ``registration.py``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from simpul.accounts import repository
from simpul.accounts.models import (
    AccountKind,
    ApiToken,
    LoginAttempt,
    StaffRole,
    StaffRoleName,
    User,
    UserSession,
)
from simpul.accounts.nik import NikError, mask_nik, parse_nik
from simpul.applications import notices
from simpul.catalogue import service as catalogue
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from simpul.core.i18n import _, ngettext
from simpul.core.models import Region, utcnow
from simpul.core.security import (
    client_source,
    decrypt,
    encrypt,
    hash_password,
    keyed_hash,
    new_token,
    password_needs_rehash,
    token_digest,
    verify_password,
)
from simpul.core.settings import get_settings
from simpul.core.text import unsafe_text_error

PHONE = re.compile(r"^(\+62|62|0)8[0-9]{8,12}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "spl_"  # noqa: S105 - a visible prefix, not a secret
#: A token's last use is written at most this often, not on every request.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def nik_hash(region: Region, nik: str) -> bytes:
    return keyed_hash("nik", f"{region.id}:{nik}")


def email_hash(region: Region, email: str) -> bytes:
    return keyed_hash("login-email", f"{region.id}:{email.strip().lower()}")


def nik_of(user: User) -> str | None:
    return decrypt("nik", user.nik_encrypted) if user.nik_encrypted else None


def masked_nik_of(user: User) -> str | None:
    nik = nik_of(user)
    return mask_nik(nik) if nik else None


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(_("Alamat e-mail tidak valid, contoh: nama@contoh.id.")) from exc


def normalise_phone(raw: str) -> str:
    phone = re.sub(r"[\s\-().]", "", raw)
    if not PHONE.match(phone):
        raise ValueError(_("Nomor HP harus diawali 08 atau +628 dan berisi 10-14 digit."))
    if phone.startswith("+62"):
        return "0" + phone[3:]
    if phone.startswith("62"):
        return "0" + phone[2:]
    return phone


def password_problem(password: str, email: str, confirm: str | None) -> tuple[str, str] | None:
    """The field at fault and why, or None when the password is acceptable."""
    if len(password) < MIN_PASSWORD:
        return "password", _("Kata sandi minimal %(n)d karakter.") % {"n": MIN_PASSWORD}
    if password.strip().lower() == email.lower():
        return "password", _("Kata sandi tidak boleh sama dengan e-mail.")
    if confirm is not None and confirm != password:
        return "password_confirm", _("Konfirmasi kata sandi tidak sama.")
    return None


@dataclass(frozen=True)
class RoleGrant:
    agency_slug: str
    role: StaffRoleName


def create_user(
    session: Session,
    region: Region,
    *,
    email: str,
    full_name: str,
    password: str,
    kind: AccountKind,
    nik: str | None = None,
    phone: str = "",
    roles: Sequence[RoleGrant] = (),
    actor_label: str = "cli",
) -> User:
    """Create any account (staff, region admin, or a citizen with NIK) for administrators."""
    errors: list[dict[str, str]] = []
    try:
        email = normalise_email(email)
    except ValueError as exc:
        errors.append({"field": "email", "message": str(exc)})
    hidden_name = unsafe_text_error(full_name, field="full_name", label=_("Nama lengkap"))
    errors.extend(e for e in (hidden_name,) if e is not None)
    problem = password_problem(password, email, None)
    if problem:
        errors.append({"field": problem[0], "message": problem[1]})
    parsed_nik = None
    if kind is AccountKind.CITIZEN or nik:
        try:
            parsed_nik = parse_nik(nik or "").nik
        except NikError as exc:
            errors.append({"field": "nik", "message": str(exc)})
    if kind is AccountKind.STAFF and not roles:
        errors.append(
            {"field": "roles", "message": _("Petugas harus punya minimal satu peran di instansi.")}
        )
    agencies = {}
    for grant in roles:
        agency = catalogue.find_agency(session, region, grant.agency_slug)
        if agency is None:
            errors.append(
                {
                    "field": "agency",
                    "message": _("Instansi %(slug)s tidak ada di wilayah ini.")
                    % {"slug": grant.agency_slug},
                }
            )
        else:
            agencies[grant.agency_slug] = agency
    if errors:
        raise InvalidInput(_("Data akun tidak valid."), details=errors)
    # An administrator's tool: it may say what is taken (the caller is no stranger).
    if repository.get_user_by_email(session, region.id, email) is not None:
        raise Conflict(
            _("E-mail ini sudah dipakai akun lain."), details=[{"field": "email", "message": email}]
        )
    hashed_nik = nik_hash(region, parsed_nik) if parsed_nik else None
    if hashed_nik and repository.get_user_by_nik_hash(session, region.id, hashed_nik):
        raise Conflict(
            _("NIK ini sudah terdaftar."),
            details=[{"field": "nik", "message": _("NIK ini sudah terdaftar.")}],
        )
    # Registrations still waiting for activation give way to an account an administrator makes.
    discard_pending_registrations(
        session,
        region,
        repository.delete_pending_registrations(
            session, region.id, email=email, nik_hash=hashed_nik
        ),
    )
    user = User(
        region_id=region.id,
        kind=kind,
        email=email,
        full_name=" ".join(full_name.split()) or email,
        phone=phone,
        password_hash=hash_password(password),
        nik_hash=hashed_nik,
        nik_encrypted=encrypt("nik", parsed_nik) if parsed_nik else None,
        activated_at=utcnow(),
    )
    repository.add_user(session, user)
    for grant in roles:
        repository.add_staff_role(
            session,
            StaffRole(
                region_id=region.id,
                user_id=user.id,
                agency_id=agencies[grant.agency_slug].id,
                role=grant.role,
            ),
        )
    session.flush()
    session.refresh(user, ["roles"])
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="account.create",
        target_type="user",
        target_id=str(user.id),
        details={"kind": kind.value, "roles": [f"{g.agency_slug}:{g.role.value}" for g in roles]},
    )
    return user


def discard_pending_registrations(
    session: Session, region: Region, user_ids: Sequence[uuid.UUID]
) -> None:
    """Forget registrations that were deleted before activation: their notices too."""
    notices.delete_for_users(session, region, user_ids)


def audit_own_action(
    session: Session,
    user: User,
    action: str,
    target_type: str,
    target_id: object,
    details: dict[str, object] | None = None,
) -> None:
    """Record something a person did to their own account or tokens."""
    record_audit_event(
        session,
        region_id=user.region_id,
        actor_id=user.id,
        actor_label=user.email,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=dict(details or {}),
    )


# -- login --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None


def _retry_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(n)d menit.",
        "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(n)d menit.",
        minutes,
    ) % {"n": minutes}


def _blocked_until(count: int, first: datetime | None, limit: int, window: timedelta) -> datetime:
    """When the oldest of ``count`` counted failures leaves the window (now if under limit)."""
    if count >= limit and first is not None:
        return first + window
    return datetime.min.replace(tzinfo=UTC)


def _check_throttle(
    session: Session, region: Region, hashed_email: bytes, source: str, now: datetime
) -> None:
    """Refuse a login the counts forbid: failures of this account from this source, of this
    account from anywhere (a higher ceiling), and of this source for any account."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window

    def after_success(last_ok: datetime | None) -> datetime:
        return max(since, last_ok) if last_ok is not None else since

    pair_since = after_success(
        repository.last_successful_login(session, region.id, hashed_email, source)
    )
    account_since = after_success(
        repository.last_successful_login(session, region.id, hashed_email)
    )
    blocked_until = max(
        _blocked_until(
            *repository.failed_logins_since(session, region.id, hashed_email, pair_since, source),
            settings.login_max_failures,
            window,
        ),
        _blocked_until(
            *repository.failed_logins_since(session, region.id, hashed_email, account_since),
            settings.login_max_failures_per_account,
            window,
        ),
        _blocked_until(
            *repository.failed_logins_from_ip_since(session, source, since),
            settings.login_max_failures_per_ip,
            window,
        ),
    )
    if blocked_until > now:
        seconds = int((blocked_until - now).total_seconds()) + 1
        raise TooManyRequests(_retry_message(seconds), retry_after_seconds=seconds)


def login(
    session: Session, region: Region, *, email: str, password: str, client: str | None
) -> LoginResult:
    """Check a login from the client address ``client``. A failure is recorded (and so must be
    committed), not raised.

    The count comes first and is atomic per account: the transaction holds the account's
    advisory lock from before counting until it commits the attempt, so parallel guesses
    cannot all read the same count. A guess that finds the lock held is refused at once.
    Raises ``TooManyRequests`` then, and when the counts forbid the login.
    """
    now = utcnow()
    hashed_email = email_hash(region, email)
    if not repository.try_lock(session, "login", hashed_email):
        raise TooManyRequests(
            _("Akun ini sedang diperiksa untuk percobaan masuk lain. Coba lagi sebentar lagi."),
            retry_after_seconds=2,
        )
    source = client_source(client)
    _check_throttle(session, region, hashed_email, source, now)
    user = repository.get_user_by_email(session, region.id, email.strip())
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    repository.add_login_attempt(
        session,
        LoginAttempt(region_id=region.id, email_hash=hashed_email, ip=source, succeeded=ok, at=now),
    )
    # Attempts older than a day no longer count for throttling (the window is shorter).
    repository.delete_login_attempts_before(
        session, region.id, hashed_email, now - timedelta(days=1)
    )
    if not ok or user is None:
        return LoginResult(None, _("E-mail atau kata sandi salah."))
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return LoginResult(user)


def start_session(
    session: Session,
    user: User,
    *,
    amr: Sequence[str] = ("pwd",),
    user_agent: str = "",
    source: str = "",
) -> tuple[str, datetime]:
    """Create a browser session proven by ``amr`` (RFC 8176) on the device ``user_agent``
    (cut to 300) from ``source``; returns the cookie value and its expiry."""
    token = new_token()
    now = utcnow()
    expires = now + timedelta(days=get_settings().session_days)
    repository.delete_expired_sessions_of_user(session, user.id, now)
    repository.add_user_session(
        session,
        UserSession(
            region_id=user.region_id,
            user_id=user.id,
            token_hash=token_digest(token),
            expires_at=expires,
            amr=list(amr),
            user_agent=user_agent[:300],
            source=source[:45],
            last_seen_at=now,
        ),
    )
    return token, expires


def end_session(session: Session, token: str) -> None:
    repository.delete_user_session(session, token_digest(token))


def user_for_session(session: Session, region: Region, token: str) -> User | None:
    found = login_for_session(session, region, token)
    return found[0] if found else None


def login_for_session(
    session: Session, region: Region, token: str
) -> tuple[User, UserSession] | None:
    """The user and the session a cookie names; marks the session seen (at most every
    ``TOKEN_TOUCH_INTERVAL``, so most requests write nothing)."""
    now = utcnow()
    found = repository.get_user_for_session_token(session, region.id, token_digest(token), now)
    if found is not None:
        seen = found[1].last_seen_at
        if seen is None or now - seen >= TOKEN_TOUCH_INTERVAL:
            found[1].last_seen_at = now
    return found


def session_for_token(session: Session, region: Region, token: str) -> UserSession | None:
    """The live browser session a cookie token names (its id, login time and ``amr``)."""
    found = login_for_session(session, region, token)
    return found[1] if found else None


def active_api_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens that still work (the password form asks which of them to keep)."""
    return repository.list_active_api_tokens(session, user.id)


def change_password(
    session: Session,
    user: User,
    *,
    current: str,
    new: str,
    confirm: str,
    keep_session_token: str | None = None,
    keep_token_ids: Collection[uuid.UUID] = (),
) -> int:
    """Change the password after checking the current one. Every other login ends, and every
    API token except the user's own ``keep_token_ids``: whoever may have taken the old
    password may have made or copied them. Returns how many tokens were revoked."""
    errors: list[dict[str, str]] = []
    if not verify_password(user.password_hash, current):
        errors.append({"field": "current_password", "message": _("Kata sandi saat ini salah.")})
    problem = password_problem(new, user.email, confirm)
    if problem:
        field = "new_password_confirm" if problem[0] == "password_confirm" else "new_password"
        errors.append({"field": field, "message": problem[1]})
    if errors:
        raise InvalidInput(_("Kata sandi belum diganti."), details=errors)
    user.password_hash = hash_password(new)
    keep = token_digest(keep_session_token) if keep_session_token else None
    repository.delete_other_sessions(session, user.id, keep)
    active = repository.list_active_api_tokens(session, user.id)
    revoked = [token for token in active if token.id not in keep_token_ids]
    for token in revoked:
        _revoke(session, user, token, reason="password_change")
    audit_own_action(
        session,
        user,
        "account.password_change",
        "user",
        user.id,
        details={"api_tokens_revoked": len(revoked), "api_tokens_kept": len(active) - len(revoked)},
    )
    return len(revoked)


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def account_for_export(session: Session, region: Region, user: User) -> dict[str, object]:
    """What the accounts domain holds about the user, for its owner (UU 27/2022, hak akses):
    the account (NIK in full: it is theirs), staff roles, API tokens (never their secrets),
    browser logins, and their own activity in the audit trail (what, when, on what kind of
    thing; not the other party an officer's action concerned)."""
    now = utcnow()
    return {
        "region": {"slug": region.slug, "name": region.name},
        "account": {
            "id": str(user.id),
            "kind": user.kind.value,
            "full_name": user.full_name,
            "email": user.email,
            "email_verified": user.email_verified_at is not None,
            "email_verified_at": _at(user.email_verified_at),
            "phone": user.phone,
            "phone_verified": user.phone_verified_at is not None,
            "phone_verified_at": _at(user.phone_verified_at),
            "nik": nik_of(user),
            "nip": user.nip,
            "position": user.position,
            "locale": user.locale,
            "is_active": user.is_active,
            "created_at": user.created_at.isoformat(),
            "activated_at": _at(user.activated_at),
            "last_login_at": _at(user.last_login_at),
        },
        "staff_roles": [{"agency_id": str(r.agency_id), "role": r.role.value} for r in user.roles],
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": _at(t.last_used_at),
                "revoked_at": _at(t.revoked_at),
            }
            for t in repository.list_api_tokens(session, user.id)
        ],
        "sessions": [
            {
                "created_at": s.created_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "active": s.expires_at > now,
                "last_seen_at": _at(s.last_seen_at),
                "device": s.user_agent,
                "address": s.source,
                "methods": list(s.amr or []),
            }
            for s in repository.list_sessions_of_user(session, user.id)
        ],
        "activity": [
            {"at": e.at.isoformat(), "action": e.action, "target_type": e.target_type}
            for e in repository.list_audit_events_of_actor(session, region.id, user.id)
        ],
    }


def export_personal_data(session: Session, region: Region, user: User) -> dict[str, object]:
    """The account part of the user's data, for the API (``GET /me/data``); the page
    ``/{region}/akun/data-saya`` gives everything, files too (identity.rights)."""
    audit_own_action(session, user, "account.data_export", "user", user.id, {"via": "api"})
    session.flush()
    return account_for_export(session, region, user)


def confirm_password(
    session: Session, region: Region, user: User, password: str, *, client: str | None
) -> bool:
    """Whether ``password`` is the signed-in user's: checked like a login (same throttle,
    recorded as an attempt, so a stolen session cannot guess it). Raises
    ``TooManyRequests`` when the counts forbid another try; a failure must be committed."""
    result = login(session, region, email=user.email, password=password, client=client)
    return result.user is not None and result.user.id == user.id


def users_by_ids(
    session: Session, region: Region, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, User]:
    """The region's accounts with these ids (others are left out)."""
    found = repository.list_users_by_ids(session, region.id, sorted(set(user_ids)))
    return {u.id: u for u in found}


def users_with_email(session: Session, email: str, region: Region | None) -> Sequence[User]:
    """The activated accounts with this e-mail: in ``region``, or in every region when it is None
    (for operators' tools, never for pages)."""
    if region is None:
        return repository.list_users_with_email(session, email)
    user = repository.get_user_by_email(session, region.id, email)
    return [user] if user is not None else []


# -- API tokens ---------------------------------------------------------------------------


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the raw token is returned once and never stored."""
    name = " ".join(name.split())
    hidden_name = unsafe_text_error(name, field="name", label=_("Nama token"))
    if hidden_name:
        raise InvalidInput(hidden_name["message"], details=[hidden_name])
    if not name or len(name) > 100:
        raise InvalidInput(
            _("Nama token wajib diisi (maksimal 100 karakter)."),
            details=[{"field": "name", "message": _("Beri nama, misalnya 'skrip laporan'.")}],
        )
    raw = new_token(TOKEN_PREFIX)
    token = repository.add_api_token(
        session,
        ApiToken(
            region_id=user.region_id,
            user_id=user.id,
            name=name,
            prefix=raw[:10],
            token_hash=token_digest(raw),
        ),
    )
    audit_own_action(
        session,
        user,
        "api_token.create",
        "api_token",
        token.id,
        details={"name": name, "prefix": token.prefix},
    )
    return token, raw


def list_api_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    return repository.list_api_tokens(session, user.id)


def revoke_api_token(session: Session, user: User, token_id: uuid.UUID) -> ApiToken:
    token = repository.get_api_token_of_user(session, user.id, token_id)
    if token is None:
        raise NotFound(_("Token tidak ditemukan."))
    if token.revoked_at is None:
        _revoke(session, user, token, reason="owner")
    return token


def _revoke(session: Session, user: User, token: ApiToken, *, reason: str) -> None:
    token.revoked_at = utcnow()
    audit_own_action(
        session, user, "api_token.revoke", "api_token", token.id, details={"reason": reason}
    )


def user_for_api_token(session: Session, region: Region, raw: str) -> User | None:
    found = repository.get_active_api_token(session, region.id, token_digest(raw))
    if found is None:
        return None
    token, user = found
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
    return user


def count_accounts(session: Session, region: Region) -> dict[AccountKind, int]:
    return repository.count_users_by_kind(session, region.id)


def list_staff(session: Session, region: Region) -> Sequence[User]:
    return repository.list_staff(session, region.id)


def officers_with_role(
    session: Session, region: Region, agency_id: uuid.UUID, role: str
) -> Sequence[User]:
    """Active staff holding ``role`` in the agency, by name (for assigning tasks)."""
    return repository.list_officers_with_role(session, region.id, agency_id, role)


def user_by_id(session: Session, region: Region, user_id: uuid.UUID | None) -> User | None:
    """An account of the region by id (None for None or another region's id)."""
    return repository.get_user_by_id(session, region.id, user_id) if user_id else None


# -- closing an account (UU PDP, hak penghapusan; identity.closure) -------------------------

#: A closed account's e-mail is ``closed-<id>@`` this: unique, and never delivered (RFC 2606
#: reserves ``.invalid``).
CLOSED_EMAIL_DOMAIN: Final = "closed.invalid"
_CLOSED_NIK_PURPOSE: Final = "closed-account-nik"


def pseudonym_of(user_id: uuid.UUID) -> str:
    """The name a closed account goes by in the records the region keeps (stored, so in the
    region's language, not the reader's)."""
    return f"Pengguna terhapus {user_id.hex[:8]}"


def password_matches(user: User, password: str) -> bool:
    return verify_password(user.password_hash, password)


def lock_account(session: Session, user: User) -> User | None:
    """The account re-read with its row locked (two closures of it wait for each other)."""
    return repository.lock_user(session, user.region_id, user.id)


@dataclass(frozen=True)
class AccountClosure:
    sessions_ended: int
    api_tokens_revoked: int


def close_account(session: Session, user: User) -> AccountClosure:
    """Erase the account's personal data and end every way into it, in the caller's
    transaction: name, e-mail, phone, NIK, password, NIP and position are replaced by
    placeholders (the row stays: the records the law keeps point at it), every browser
    session is deleted and every API token revoked. The NIK hash becomes a keyed hash of a
    random value (``citizen_has_nik`` holds; the real NIK may register again)."""
    now = utcnow()
    pseudonym = pseudonym_of(user.id)
    user.full_name = pseudonym
    user.email = f"closed-{user.id.hex}@{CLOSED_EMAIL_DOMAIN}"
    user.phone = ""
    user.nik_hash = keyed_hash(_CLOSED_NIK_PURPOSE, new_token())
    user.nik_encrypted = None
    user.nip = ""
    user.position = ""
    user.password_hash = hash_password(new_token())
    user.email_verified_at = None
    user.phone_verified_at = None
    user.is_active = False
    user.closed_at = now
    sessions = repository.delete_sessions_of(session, user.id)
    tokens = repository.revoke_api_tokens_of(session, user.id, now)
    record_audit_event(
        session,
        region_id=user.region_id,
        actor_id=user.id,
        actor_label=pseudonym,
        action="account.closed",
        target_type="user",
        target_id=str(user.id),
        details={"sessions_ended": sessions, "api_tokens_revoked": tokens},
    )
    session.flush()
    return AccountClosure(sessions, tokens)


def closed_accounts(
    session: Session, region: Region, closed_before: datetime | None = None
) -> Sequence[User]:
    """The region's closed accounts (closed before ``closed_before``), oldest first."""
    return repository.list_closed_users(session, region.id, closed_before)


def accounts_by_ids(
    session: Session, region: Region, user_ids: Collection[uuid.UUID]
) -> Sequence[User]:
    return repository.list_users_by_ids(session, region.id, list(user_ids))


def accounts_active_between(
    session: Session, region: Region, since: datetime | None, until: datetime | None
) -> Sequence[User]:
    """Open accounts made before ``until`` and changed since ``since`` (a breach's scope)."""
    return repository.list_users_created_between(session, region.id, since, until)

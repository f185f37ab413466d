"""Passkeys (WebAuthn, with py_webauthn): registering one on the security page and proving
the login's second step with one (issue 18).

The relying party is the deployment's public address: the RP ID is the host of
``SIMPUL_PUBLIC_URL`` and the expected origin its scheme, host and port, so a passkey works
only for the address it was made on (changing the domain invalidates every passkey).
Challenges are random, stored as SHA-256 digests, bound to the user, the region and the
purpose, five minutes long and used up by the first answer, right or wrong. Attestation is
``none``: Simpul trusts the key, not the maker of the authenticator. User verification is
preferred, not required (a security key without a PIN still proves possession, which is the
second factor after the password).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from simpul.accounts import service as accounts
from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.security import verify_password
from simpul.core.settings import get_settings
from simpul.identity import mfa_repository as repository
from simpul.identity.mfa_models import WebauthnChallenge, WebauthnCredential

CHALLENGE_MINUTES: Final = 5
#: A user may keep this many passkeys (phone, laptop, a security key or two...).
MAX_PASSKEYS: Final = 10
NAME_LENGTH: Final = 60
#: An answer from the browser larger than this is refused before it is parsed.
MAX_RESPONSE_BYTES: Final = 16_000
_TRANSPORTS: Final = frozenset(t.value for t in AuthenticatorTransport)


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": "passkey", "message": message}])


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


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the RP ID (a host name) and the origin pages come from."""

    id: str
    origin: str


def relying_party() -> RelyingParty:
    parts = urlsplit(get_settings().public_url)
    return RelyingParty(parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}")


@dataclass(frozen=True)
class Passkey:
    """What the security page and the data export show of a passkey (never the key)."""

    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    synced: bool


def passkeys(session: Session, user: User) -> list[Passkey]:
    return [
        Passkey(row.id, row.name, row.created_at, row.last_used_at, row.backed_up)
        for row in repository.passkeys_of(session, user.region_id, user.id)
    ]


def has_passkey(session: Session, user: User) -> bool:
    return repository.has_passkey(session, user.region_id, user.id)


# -- challenges -------------------------------------------------------------------------------


def _new_challenge(
    session: Session, user: User | None, purpose: str, region_id: uuid.UUID | None = None
) -> bytes:
    now = utcnow()
    region = user.region_id if user is not None else region_id
    assert region is not None
    owner = user.id if user is not None else None
    repository.delete_stale_challenges(session, region, owner, now)
    challenge = secrets.token_bytes(32)
    repository.add(
        session,
        WebauthnChallenge(
            region_id=region,
            user_id=owner,
            challenge_hash=hashlib.sha256(challenge).digest(),
            purpose=purpose,
            expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
        ),
    )
    return challenge


def _parse(raw: object) -> dict[str, Any]:
    """The browser's answer as a dict, refused when not a credential or too large."""
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if len(text) > MAX_RESPONSE_BYTES:
        raise _refused(_("Jawaban passkey terlalu besar."))
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("response"), dict):
        raise _refused(_("Jawaban passkey tidak sah. Coba lagi."))
    return value


def _take_challenge(
    session: Session,
    user: User | None,
    purpose: str,
    credential: dict[str, Any],
    region_id: uuid.UUID | None = None,
) -> bytes:
    """The challenge the signed client data names, used up; refused when it is not one this
    user was given for ``purpose`` (expired, used, forged, another user's)."""
    try:
        client_data = parse_client_data_json(
            base64url_to_bytes(str(credential["response"].get("clientDataJSON", "")))
        )
        challenge = client_data.challenge
    except (WebAuthnException, ValueError, TypeError):
        raise _refused(_("Jawaban passkey tidak sah. Coba lagi.")) from None
    region = user.region_id if user is not None else region_id
    assert region is not None
    taken = repository.take_challenge(
        session,
        region,
        user.id if user is not None else None,
        purpose,
        hashlib.sha256(challenge).digest(),
        utcnow(),
    )
    if not taken:
        raise _refused(_("Waktu untuk passkey sudah habis atau sudah dipakai. Coba lagi."))
    return challenge


# -- registering ------------------------------------------------------------------------------


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput(
            _("Beri nama passkey ini."),
            details=[{"field": "name", "message": _("Beri nama passkey ini.")}],
        )
    if len(name) > NAME_LENGTH:
        message = _("Nama passkey paling panjang %(n)d karakter.") % {"n": NAME_LENGTH}
        raise InvalidInput(message, details=[{"field": "name", "message": message}])
    return name


def registration_options(session: Session, region: Region, user: User) -> str:
    """The options for ``navigator.credentials.create`` (JSON), with a new challenge."""
    existing = repository.passkeys_of(session, user.region_id, user.id)
    if len(existing) >= MAX_PASSKEYS:
        raise _refused(_("Anda sudah punya %(n)d passkey. Hapus satu dulu.") % {"n": MAX_PASSKEYS})
    rp = relying_party()
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=f"Simpul {region.name}",
        user_id=user.id.bytes,
        user_name=user.email,
        user_display_name=user.full_name or user.email,
        challenge=_new_challenge(session, user, "register"),
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=row.credential_id) for row in existing
        ],
    )
    return options_to_json(options)


def register(
    session: Session, region: Region, user: User, *, name: str, credential: object
) -> Passkey:
    """Verify the browser's answer to the registration options and keep the passkey."""
    label = clean_name(name)
    answer = _parse(credential)
    challenge = _take_challenge(session, user, "register", answer)
    rp = relying_party()
    try:
        verified = verify_registration_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except WebAuthnException:
        _audit(session, user, "passkey.registration_refused")
        raise _refused(_("Passkey tidak dapat diverifikasi. Coba lagi.")) from None
    if repository.passkey_by_credential_id(session, region.id, verified.credential_id):
        raise _refused(_("Passkey ini sudah terdaftar."))
    transports = answer["response"].get("transports")
    row = WebauthnCredential(
        region_id=region.id,
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[
            str(t) for t in (transports if isinstance(transports, list) else []) if t in _TRANSPORTS
        ],
        aaguid=verified.aaguid,
        name=label,
        backup_eligible=verified.credential_device_type is CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )
    repository.add(session, row)
    _audit(session, user, "passkey.registered", passkey=str(row.id))
    return Passkey(row.id, row.name, row.created_at, row.last_used_at, row.backed_up)


def rename(session: Session, user: User, passkey_id: uuid.UUID, name: str) -> None:
    row = repository.passkey_of(session, user.region_id, user.id, passkey_id)
    if row is None:
        raise NotFound(_("Passkey tidak ditemukan."))
    row.name = clean_name(name)


def remove(session: Session, user: User, passkey_id: uuid.UUID, *, password: str) -> None:
    """Delete one of the user's passkeys: needs the password (as turning off the
    authenticator does), so a browser left logged in cannot strip the account's factors."""
    row = repository.passkey_of(session, user.region_id, user.id, passkey_id)
    if row is None:
        raise NotFound(_("Passkey tidak ditemukan."))
    if not verify_password(user.password_hash, password):
        raise InvalidInput(
            _("Kata sandi salah."),
            details=[{"field": "password", "message": _("Kata sandi salah.")}],
        )
    repository.delete_passkey(session, row)
    _audit(session, user, "passkey.removed", passkey=str(passkey_id))


# -- signing in -------------------------------------------------------------------------------


def authentication_options(session: Session, user: User) -> str:
    """The options for ``navigator.credentials.get`` naming the user's passkeys (JSON)."""
    rows = repository.passkeys_of(session, user.region_id, user.id)
    if not rows:
        raise _refused(_("Akun ini belum punya passkey."))
    options = generate_authentication_options(
        rp_id=relying_party().id,
        challenge=_new_challenge(session, user, "login"),
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        allow_credentials=[
            PublicKeyCredentialDescriptor(
                id=row.credential_id,
                transports=[AuthenticatorTransport(t) for t in row.transports],
            )
            for row in rows
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def _verify_assertion(
    session: Session,
    user: User,
    row: WebauthnCredential,
    answer: dict[str, Any],
    challenge: bytes,
    *,
    require_uv: bool,
) -> bool:
    """Check the assertion against ``row`` (the library: signature, origin, RP ID,
    challenge, flags), then the counter; record the use. Returns whether the user was
    verified."""
    rp = relying_party()
    try:
        # The counter is compared below, after the signature proved the answer is the key's.
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=row.public_key,
            credential_current_sign_count=0,
            require_user_verification=require_uv,
        )
    except WebAuthnException:
        _audit(session, user, "passkey.assertion_refused", passkey=str(row.id))
        raise _refused(_("Passkey tidak dapat diverifikasi. Coba lagi.")) from None
    if (verified.new_sign_count > 0 or row.sign_count > 0) and (
        verified.new_sign_count <= row.sign_count
    ):
        _audit(
            session,
            user,
            "passkey.sign_count_regression",
            passkey=str(row.id),
            stored=row.sign_count,
            received=verified.new_sign_count,
        )
        raise _refused(
            _(
                "Passkey ini ditolak karena mungkin telah digandakan. Masuk dengan cara lain "
                "dan periksa passkey Anda di halaman Keamanan akun."
            )
        )
    row.sign_count = verified.new_sign_count
    row.last_used_at = utcnow()
    row.backed_up = verified.credential_backed_up
    return verified.user_verified


def authenticate(session: Session, user: User, credential: object) -> bool:
    """Verify the browser's assertion for ``user``; returns whether the authenticator
    verified the user (PIN or biometric). Refuses (``InvalidInput``, the caller commits the
    audit record and the used-up challenge) a passkey of another user or region, a wrong
    signature, origin or RP ID, a used challenge, and a signature counter that did not grow
    (a cloned authenticator)."""
    answer = _parse(credential)
    challenge = _take_challenge(session, user, "login", answer)
    try:
        raw_id = base64url_to_bytes(str(answer.get("rawId") or answer.get("id") or ""))
    except (ValueError, TypeError):
        raw_id = b""
    row = repository.passkey_by_credential_id(session, user.region_id, raw_id) if raw_id else None
    if row is None or row.user_id != user.id:
        _audit(session, user, "passkey.unknown_credential")
        raise _refused(_("Passkey ini tidak terdaftar untuk akun Anda."))
    return _verify_assertion(session, user, row, answer, challenge, require_uv=False)


def signin_options(session: Session, region: Region) -> str:
    """Options for signing in with a passkey alone (a discoverable credential names the
    account): no credentials listed, user verification required."""
    options = generate_authentication_options(
        rp_id=relying_party().id,
        challenge=_new_challenge(session, None, "signin", region.id),
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def signin(session: Session, region: Region, credential: object) -> User:
    """The account a passkey alone proves (with user verification: PIN or biometric, so
    possession and knowledge or inherence: multi-factor). Refused like ``authenticate``, and
    when the passkey's user handle is not its account's or the account cannot log in."""
    answer = _parse(credential)
    challenge = _take_challenge(session, None, "signin", answer, region.id)
    try:
        raw_id = base64url_to_bytes(str(answer.get("rawId") or answer.get("id") or ""))
        handle = base64url_to_bytes(str(answer["response"].get("userHandle") or ""))
    except (ValueError, TypeError):
        raw_id, handle = b"", b""
    row = repository.passkey_by_credential_id(session, region.id, raw_id) if raw_id else None
    user = accounts.user_by_id(session, region, row.user_id) if row is not None else None
    if row is None or user is None or handle != user.id.bytes:
        raise _refused(_("Passkey ini tidak terdaftar di wilayah ini."))
    if not user.is_active or user.closed_at is not None:
        raise _refused(_("Akun ini tidak dapat masuk."))
    _verify_assertion(session, user, row, answer, challenge, require_uv=True)
    user.last_login_at = utcnow()
    _audit(session, user, "passkey.signin", passkey=str(row.id))
    return user


def forget_user(session: Session, user: User) -> int:
    """Delete the user's passkeys and challenges (closing the account); returns how many."""
    repository.delete_challenges(session, user.region_id, user.id)
    return repository.delete_passkeys(session, user.region_id, user.id)

"""Passwords, random tokens, keyed hashes and encryption of personal data.

All keys derive from the deployment's secret key with HKDF, one key per purpose, so a leak
of one derived key does not expose the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from functools import lru_cache

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from simpul.core.settings import get_settings

#: Argon2id as RFC 9106 recommends where memory is scarce (t=3, m=64 MiB, p=4): about 50 ms a
#: hash on one core of the reference machine. Hashes made with other parameters are upgraded at
#: the next login (``password_needs_rehash``).
PASSWORD_PARAMETERS: Parameters = profiles.RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(PASSWORD_PARAMETERS)
# A real hash of a random password: verifying against it when the account does not exist
# keeps the time of a failed login the same whether or not the e-mail is registered.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def use_password_parameters(parameters: Parameters) -> None:
    """Hash with ``parameters`` from now on, in this process. Only the test suite calls it (with
    argon2's CHEAPEST profile: its thousands of accounts would otherwise spend minutes hashing);
    servers always use ``PASSWORD_PARAMETERS``."""
    global _hasher, _DUMMY_HASH  # noqa: PLW0603 - the process's one hasher, replaced whole
    _hasher = PasswordHasher.from_parameters(parameters)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash, spend the same time and return False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(prefix: str = "") -> str:
    """A random, URL-safe token with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    """SHA-256 of a high-entropy token: enough to store it, no salt or stretching needed."""
    return hashlib.sha256(token.encode()).digest()


def hmac_equal(a: bytes, b: bytes) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(a, b)


@lru_cache
def derived_key(purpose: str) -> bytes:
    secret = get_settings().resolved_secret_key().encode()
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"simpul:" + purpose.encode())
    return hkdf.derive(secret)


def keyed_hash(purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of ``value``: equal inputs match, the input cannot be read back."""
    return hmac.new(derived_key(purpose), value.encode(), hashlib.sha256).digest()


def _fernet(purpose: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derived_key(purpose)))


def encrypt(purpose: str, value: str) -> str:
    return _fernet(purpose).encrypt(value.encode()).decode()


def decrypt(purpose: str, token: str) -> str | None:
    """Decrypt, or None where the data was encrypted under another key."""
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def csrf_token_for(binding: str) -> str:
    """The form token for a CSRF binding (the session, or before login the CSRF cookie)."""
    return hmac.new(derived_key("csrf"), binding.encode(), hashlib.sha256).hexdigest()


def csrf_token_matches(binding: str | None, submitted: str | None) -> bool:
    if not binding or not submitted:
        return False
    return hmac.compare_digest(csrf_token_for(binding), submitted)


def client_source(host: str | None) -> str:
    """The unit throttles count a client by: its IPv4 address, or its IPv6 /64 network (one
    subscriber usually gets a whole /64, so its addresses are one source)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:45]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)

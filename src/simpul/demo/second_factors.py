"""The demo's authenticators: the region admin and every officer who signs must have a second
factor (``mfa_required``), so each gets a fixed, published TOTP secret. Demo only: anyone who
reads the README can make their codes (``simpul user demo-totp EMAIL`` prints the current one).
"""

from __future__ import annotations

import base64
import hashlib

import pyotp
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.models import Region
from simpul.identity import mfa


def demo_totp_secret(email: str) -> str:
    """The account's fixed demo secret (base32), the same on every install."""
    digest = hashlib.sha256(b"simpul-demo-totp:" + email.encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def demo_accounts_with_totp() -> list[str]:
    """E-mails of the demo accounts that must have a second factor."""
    from simpul.demo.seed import DEMO_ACCOUNTS

    return [
        a.email
        for a in DEMO_ACCOUNTS
        if a.kind is AccountKind.REGION_ADMIN or StaffRoleName.PENANDATANGAN in a.roles
    ]


def demo_totp_code(email: str) -> str | None:
    """The code a demo account's authenticator shows now; None for any other e-mail."""
    if email not in demo_accounts_with_totp():
        return None
    return pyotp.TOTP(demo_totp_secret(email)).now()


def seed_demo_second_factors(session: Session, region: Region) -> int:
    """Give each demo account that must have one its fixed authenticator (once)."""
    added = 0
    for email in demo_accounts_with_totp():
        user = accounts_service.users_with_email(session, email, region)
        if user and not mfa.has_second_factor(session, user[0]):
            mfa.seed_confirmed(session, user[0], demo_totp_secret(email))
            added += 1
    return added

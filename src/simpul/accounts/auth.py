"""Who is asking: session cookies for pages, bearer tokens for the API. Deny unless granted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from simpul.accounts import service
from simpul.accounts.models import AccountKind, User
from simpul.core.database import DbSession
from simpul.core.errors import Forbidden, Unauthorized
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.web.middleware import SESSION_COOKIE

_bearer = HTTPBearer(auto_error=False, description="A personal API token: `Bearer spl_...`")


@dataclass(frozen=True)
class UserView:
    """What the layout shows of the logged-in user; stays readable after a rollback."""

    id: uuid.UUID
    kind: str
    full_name: str
    email: str
    phone: str

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.id, user.kind.value, user.full_name, user.email, user.phone)


def page_user(request: Request, session: DbSession, region: CurrentRegion) -> User | None:
    """The user logged in through the browser for this region, if any (pages only)."""
    token = request.cookies.get(SESSION_COOKIE)
    found = service.login_for_session(session, region, token) if token else None
    user = found[0] if found else None
    request.state.user = UserView.of(user) if user else None
    #: How this login was proven (RFC 8176): signing needs a second factor among them.
    request.state.login_amr = tuple(found[1].amr) if found else ()
    return user


def api_user(
    request: Request,
    session: DbSession,
    region: CurrentRegion,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The user a bearer token belongs to, if one was sent; a bad token is refused outright."""
    if credentials is None:
        return None
    user = service.user_for_api_token(session, region, credentials.credentials)
    if user is None:
        raise Unauthorized(
            _("Token API tidak valid, sudah dicabut, atau bukan untuk wilayah ini."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


#: RFC 8176 methods that prove a second factor (one-time code, hardware key or passkey).
SECOND_FACTOR_METHODS = frozenset({"otp", "hwk"})


def second_factor_for_signing(request: Request) -> bool | None:
    """For signing (``workflow.act_on_task``): None where the deployment requires no second
    factors, else whether this browser login was proven with one."""
    if not request.app.state.settings.mfa_required:
        return None
    return not SECOND_FACTOR_METHODS.isdisjoint(getattr(request.state, "login_amr", ()))


PageUser = Annotated[User | None, Depends(page_user)]
ApiUser = Annotated[User | None, Depends(api_user)]


def require_page_user(user: PageUser) -> User:
    if user is None:
        raise Unauthorized(_("Silakan masuk terlebih dahulu."))
    return user


async def require_api_user(user: ApiUser) -> User:  # no I/O: no thread hop
    if user is None:
        raise Unauthorized(
            _("Kirim token API di header Authorization: Bearer <token>."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def require_page_staff(user: Annotated[User, Depends(require_page_user)]) -> User:
    if user.kind is AccountKind.CITIZEN:
        raise Forbidden(_("Halaman ini hanya untuk petugas."))
    return user


def require_page_admin(user: Annotated[User, Depends(require_page_user)]) -> User:
    if user.kind is not AccountKind.REGION_ADMIN:
        raise Forbidden(_("Halaman ini hanya untuk admin wilayah."))
    return user


CurrentPageUser = Annotated[User, Depends(require_page_user)]
CurrentApiUser = Annotated[User, Depends(require_api_user)]
CurrentPageStaff = Annotated[User, Depends(require_page_staff)]
CurrentPageAdmin = Annotated[User, Depends(require_page_admin)]

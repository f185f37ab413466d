"""Closing one's account (UU PDP hak penghapusan): ``/{region}/akun/tutup`` lists what is
erased and what the law keeps (with legal basis and retention), then asks for the password
and an explicit confirmation. The work is ``identity.closure``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from simpul.accounts.auth import CurrentPageUser
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
from simpul.core.regions import CurrentRegion
from simpul.identity import closure
from simpul.web.csrf import csrf_protect
from simpul.web.middleware import SESSION_COOKIE
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


@router.get("/{region}/akun/tutup", response_class=HTMLResponse, name="close_account")
def close_form(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    return _form(request, session, region, user, {})


def _form(
    request: Request,
    session: DbSession,
    region: CurrentRegion,
    user: CurrentPageUser,
    extra: dict[str, object],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "identity/close_account.html",
        {"preview": closure.preview(session, region, user), "errors": {}, **extra},
        status_code=status,
    )


@router.post("/{region}/akun/tutup", response_class=HTMLResponse)
def close(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        result = closure.close_account(
            session, region, user, password=password[:200], confirmed=confirm == "ya"
        )
    except InvalidInput as exc:
        return _form(
            request,
            session,
            region,
            user,
            {"errors": exc.field_errors(), "message": exc.message},
            exc.status_code,
        )
    response = render(request, "identity/account_closed.html", {"result": result})
    response.delete_cookie(SESSION_COOKIE, path=f"/{region.slug}")
    return response

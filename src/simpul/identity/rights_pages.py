"""The citizen's data-rights pages: "Data saya" (``/{region}/akun/data-saya``): download
everything (one ZIP, after the password is entered again) and who saw the data."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from simpul.accounts import service as accounts_service
from simpul.accounts.auth import CurrentPageUser
from simpul.accounts.models import User
from simpul.core.database import DbSession
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.core.storage import Storage
from simpul.identity import rights
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def _page(
    request: Request,
    session: DbSession,
    region: Region,
    user: User,
    page: int,
    extra: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    access = rights.access_page(session, region, user, page)
    return render(
        request,
        "identity/my_data.html",
        {
            "access": access,
            "tz": ZoneInfo(region.timezone),
            "format_version": rights.FORMAT_VERSION,
            **(extra or {}),
        },
        status_code,
    )


@router.get("/{region}/akun/data-saya", response_class=HTMLResponse, name="my_data")
def my_data(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    halaman: Annotated[int, Query(ge=1, le=rights.ACCESS_MAX_PAGES)] = 1,
) -> HTMLResponse:
    return _page(request, session, region, user, halaman)


@router.get("/{region}/akun/data-saya/akses", response_class=HTMLResponse, name="my_data_access")
def my_data_access(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    halaman: Annotated[int, Query(ge=1, le=rights.ACCESS_MAX_PAGES)] = 1,
) -> HTMLResponse:
    """The same page, opened at "Siapa yang melihat data saya"."""
    return _page(request, session, region, user, halaman, {"focus_access": True})


@router.post("/{region}/akun/data-saya/unduh", name="my_data_download")
def my_data_download(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    storage: Annotated[Storage, Depends(_storage)],
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The ZIP of everything, once the password is entered again (a session left open on a
    shared phone must not hand out the whole file). A wrong password counts as a failed
    login (same throttle) and is committed with the page that says so."""
    client = request.client.host if request.client else None
    if not password or not accounts_service.confirm_password(
        session, region, user, password, client=client
    ):
        return _page(
            request,
            session,
            region,
            user,
            1,
            {"password_error": _("Kata sandi salah. Masukkan kata sandi akun Anda.")},
            400,
        )
    archive, size = rights.build_archive(session, region, user, storage)
    return StreamingResponse(
        rights.chunks_of(archive),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{rights.archive_name(region)}"',
            "Content-Length": str(size),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )

"""The region admin's Open311 keys page at ``/{region}/admin/open311``: list, issue, revoke."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.complaints import service
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


def _page(
    request: Request,
    session: DbSession,
    region: CurrentRegion,
    *,
    new_key: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "complaints/admin_open311.html",
        {
            "keys": service.open311_keys(session, region),
            "new_key": new_key,
            "errors": errors or {},
            "endpoint": f"/open311/{region.slug}/v2/discovery.json",
        },
        status_code=status_code,
    )


@router.get("/{region}/admin/open311", response_class=HTMLResponse, name="open311_keys")
def keys_page(
    request: Request, region: CurrentRegion, session: DbSession, admin: CurrentPageAdmin
) -> Response:
    return _page(request, session, region)


@router.post("/{region}/admin/open311", response_class=HTMLResponse)
def issue_key(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    admin: CurrentPageAdmin,
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Issue a key: the page shows it once (it is not kept)."""
    try:
        key = service.issue_open311_key(session, region, name, admin.email, actor_id=admin.id)
    except InvalidInput as error:
        return _page(request, session, region, errors={"name": error.message}, status_code=422)
    response = _page(request, session, region, new_key=key)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/{region}/admin/open311/{key_id}/cabut")
def revoke_key(
    region: CurrentRegion, session: DbSession, admin: CurrentPageAdmin, key_id: str
) -> Response:
    try:
        wanted = uuid.UUID(key_id)
    except ValueError:
        raise NotFound(_("Kunci tidak ditemukan.")) from None
    service.revoke_open311_key(session, region, wanted, admin.email, actor_id=admin.id)
    return RedirectResponse(f"/{region.slug}/admin/open311", status_code=303)

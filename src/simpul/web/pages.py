"""Pages that belong to no region: the deployment's front page and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from simpul.core.database import DbSession
from simpul.core.i18n import LOCALES
from simpul.core.regions import list_active_regions
from simpul.web.middleware import LOCALE_COOKIE
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(route_class=CommittingRoute, include_in_schema=False)


@router.get("/", name="root")
def root(request: Request, session: DbSession) -> Response:
    """One region: go straight to it. Several: let the visitor choose. Only active regions:
    a test copy or a region that left is not offered to the public (its own address still
    answers)."""
    regions = list_active_regions(session)
    if len(regions) == 1:
        return RedirectResponse(f"/{regions[0].slug}", status_code=307)
    return render(request, "regions.html", {"regions": regions})


@router.get("/lang/{code}", name="set_language")
def set_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the chosen language in a cookie and go back where the visitor was."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in LOCALES:
        secure = not request.app.state.settings.debug
        response.set_cookie(
            LOCALE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    return response


@router.get("/healthz", name="health")
async def health(request: Request) -> Response:
    """For load balancers: 200 when the database answers, 503 when it does not. Never queued
    behind other requests, and cheap under any load (``core.database.DatabaseProbe``)."""
    if await request.app.state.database_probe.answers(request.app.state.session_factory):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)

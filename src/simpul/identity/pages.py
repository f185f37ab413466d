"""The citizen's "Aplikasi terhubung": the apps they let sign them in through Simpul, what
each may receive, when it last did, and a button that disconnects it (ending its tokens).
Staff accounts have the same page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from simpul.accounts.auth import CurrentPageUser
from simpul.catalogue import service as catalogue
from simpul.core.database import DbSession
from simpul.core.errors import NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.regions import CurrentRegion
from simpul.identity import service as identity
from simpul.identity.models import SCOPES
from simpul.inventory import service as inventory
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

NOTICES: Final = {
    "diputus": lazy(
        "Aplikasi sudah diputus. Aplikasi itu tidak lagi menerima data Anda; bila Anda masuk "
        "ke aplikasi itu lagi lewat Simpul, Anda akan ditanya persetujuan lagi."
    ),
}

#: The scope whose release the page marks as sensitive.
SENSITIVE_SCOPE: Final = "nik"


@dataclass(frozen=True)
class ScopeLine:
    scope: str
    text: str
    sensitive: bool


@dataclass(frozen=True)
class AppRow:
    """One app as the page shows it."""

    consent_id: uuid.UUID
    name: str
    agency: str
    scopes: list[ScopeLine]
    since: datetime
    last_release: datetime | None
    revoked_at: datetime | None


def _scope_lines(scopes: list[str]) -> list[ScopeLine]:
    return [
        ScopeLine(scope, _(SCOPES[scope]), scope == SENSITIVE_SCOPE)
        for scope in identity.known_scopes(scopes)
    ]


@router.get("/{region}/akun/aplikasi", response_class=HTMLResponse, name="connected_apps")
def connected_apps_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """The apps connected to the account, and those disconnected before."""
    agencies = {a.id: a.name for a in catalogue.all_agencies(session, region)}
    app_agency = {
        app.id: agencies.get(app.agency_id, "") for app in inventory.list_all_apps(session, region)
    }
    last = identity.last_release_per_client(session, user)
    rows = [
        AppRow(
            consent_id=row.consent.id,
            name=row.client.name,
            agency=app_agency.get(row.client.app_id, ""),
            scopes=_scope_lines(row.consent.scopes),
            since=row.consent.granted_at,
            last_release=last.get(row.client.id),
            revoked_at=row.consent.revoked_at,
        )
        for row in identity.connected_apps(session, user, include_revoked=True)
    ]
    response = render(
        request,
        "identity/connected_apps.html",
        {
            "active": [r for r in rows if r.revoked_at is None],
            "history": sorted(
                (r for r in rows if r.revoked_at is not None),
                key=lambda r: r.revoked_at or r.since,
                reverse=True,
            ),
            "notice": notice_text(NOTICES, pesan),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/{region}/akun/aplikasi/{consent_id}/putus", response_class=HTMLResponse)
def disconnect_app(
    region: CurrentRegion, session: DbSession, user: CurrentPageUser, consent_id: str
) -> RedirectResponse:
    """Revoke the user's consent to an app: its tokens end at once."""
    try:
        parsed = uuid.UUID(consent_id)
    except ValueError:
        raise NotFound(_("Aplikasi terhubung ini tidak ditemukan atau sudah diputus.")) from None
    identity.revoke_consent(session, user, parsed)
    return RedirectResponse(
        with_notice(f"/{region.slug}/akun/aplikasi", "diputus"), status_code=303
    )

"""The region admin's "Login terpadu (OpenID Connect)" of an inventory app: register the app
as a relying party, change it, renew its secret (shown once), switch it off or on.

The pages hang under the inventory app's own URL (``/{region}/aplikasi/{code}/oidc``), so an
app's OIDC client is found from its inventory entry. A refused form keeps nothing and shows
each problem under its field; a secret appears only in the response to the POST that made it,
never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession, Session
from simpul.core.errors import DomainError, InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.identity import service as identity
from simpul.identity.models import SCOPES, OidcClient, SubjectType
from simpul.inventory import service as inventory
from simpul.inventory.models import App
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

T = TypeVar("T")

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: Room for twenty addresses of 500 characters, one a line; more is refused by the form.
MAX_URI_LIST: Final = 10_600
UriList = Annotated[str, Form(max_length=MAX_URI_LIST)]
Uri = Annotated[str, Form(max_length=MAX_URI_LIST)]
Short = Annotated[str, Form(max_length=200)]
Flag = Annotated[str | None, Form(max_length=10)]

NOTICES: Final = {
    "dibuat": lazy("Klien OIDC dibuat."),
    "disimpan": lazy("Perubahan klien OIDC disimpan."),
    "nonaktif": lazy(
        "Klien OIDC dinonaktifkan: aplikasi tidak dapat memakai login terpadu dan semua "
        "tokennya dicabut."
    ),
    "aktif": lazy("Klien OIDC diaktifkan kembali."),
}

#: The scopes offered as ordinary checkboxes; ``nik`` has its own, with a warning.
PLAIN_SCOPES: Final = tuple(scope for scope in SCOPES if scope != "nik")


def _app_or_404(session: Session, region: Region, code: str) -> App:
    app = inventory.get_app_by_code(session, region, code) if len(code) <= 100 else None
    if app is None:
        raise NotFound(_("Aplikasi tidak ditemukan di inventaris wilayah ini."))
    return app


def _client_or_404(session: Session, region: Region, app: App) -> OidcClient:
    client = identity.client_of_app(session, region, app.id)
    if client is None:
        raise NotFound(_("Aplikasi ini belum punya klien OIDC."))
    return client


def _base(region: Region, app: App) -> str:
    return f"/{region.slug}/aplikasi/{app.code}/oidc"


def _attempt(session: Session, change: Callable[[], T]) -> T | DomainError:
    """Run a change in a savepoint: a refused one keeps nothing and is returned to show."""
    try:
        with session.begin_nested():
            return change()
    except DomainError as exc:
        return exc


def _errors(exc: DomainError | None) -> dict[str, str]:
    """Each field's messages, joined (a field may have several problems)."""
    errors: dict[str, list[str]] = {}
    for detail in exc.details if exc else []:
        if "field" in detail:
            errors.setdefault(str(detail["field"]), []).append(str(detail["message"]))
    return {field: " ".join(messages) for field, messages in errors.items()}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _values_of(client: OidcClient | None, app: App) -> dict[str, Any]:
    """What the form shows before any submission."""
    if client is None:
        return {
            "client_id": app.code.lower(),
            "name": app.name,
            "client_type": "confidential",
            "redirect_uris": "",
            "post_logout_redirect_uris": "",
            "backchannel_logout_uri": "",
            "scopes": ["openid", "profile"],
            "nik_legal_basis": False,
            "subject_type": SubjectType.PAIRWISE.value,
        }
    return {
        "client_id": client.client_id,
        "name": client.name,
        "client_type": "public" if client.is_public else "confidential",
        "redirect_uris": "\n".join(client.redirect_uris),
        "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "scopes": list(client.allowed_scopes),
        "nik_legal_basis": "nik" in client.allowed_scopes,
        "subject_type": client.subject_type.value,
    }


def _page(
    request: Request,
    session: Session,
    region: Region,
    app: App,
    *,
    error: DomainError | None = None,
    values: dict[str, Any] | None = None,
    secret: str | None = None,
    notice: str | None = None,
) -> Response:
    client = identity.client_of_app(session, region, app.id)
    response = render(
        request,
        "identity/oidc_client.html",
        {
            "app": app,
            "client": client,
            "base": _base(region, app),
            "values": values or _values_of(client, app),
            "message": error.message if error else None,
            "errors": _errors(error),
            "secret": secret,
            "notice": notice,
            "scopes": SCOPES,
            "plain_scopes": PLAIN_SCOPES,
            "issuer_path": f"/{region.slug}",
        },
        status_code=error.status_code if error else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@router.get("/{region}/aplikasi/{code}/oidc", response_class=HTMLResponse, name="app_oidc_client")
def oidc_client_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    code: str,
    pesan: NoticeCode = None,
) -> Response:
    """The app's OIDC client, or the form to make one."""
    app = _app_or_404(session, region, code)
    return _page(request, session, region, app, notice=notice_text(NOTICES, pesan))


def _registration(
    session: Session,
    region: Region,
    app: App,
    client: OidcClient | None,
    values: dict[str, Any],
) -> identity.ClientRegistration:
    """The registration the form asks for; every problem (the form's own and the service's
    checks) raised at once as InvalidInput naming its field."""
    problems: list[dict[str, str]] = []
    if values["client_type"] not in {"confidential", "public"}:
        message = _("Jenis klien: pilih rahasia (server) atau publik (aplikasi ponsel/peramban).")
        problems.append({"field": "client_type", "message": message})
    if values["subject_type"] not in {s.value for s in SubjectType}:
        message = _("Tanda pengenal pengguna: pilih berbeda per aplikasi atau sama.")
        problems.append({"field": "subject_type", "message": message})
    scopes: list[str] = values["scopes"]
    if "nik" in scopes and not values["nik_legal_basis"]:
        message = _(
            "NIK: centang pernyataan bahwa aplikasi ini punya dasar hukum untuk menerima NIK, "
            "atau jangan pilih NIK."
        )
        problems.append({"field": "nik_legal_basis", "message": message})
    registration = identity.ClientRegistration(
        client_id=values["client_id"],
        name=values["name"],
        is_public=values["client_type"] == "public",
        redirect_uris=_lines(values["redirect_uris"]),
        allowed_scopes=scopes,
        post_logout_redirect_uris=_lines(values["post_logout_redirect_uris"]),
        backchannel_logout_uri=values["backchannel_logout_uri"],
        subject_type=(
            SubjectType.PUBLIC if values["subject_type"] == "public" else SubjectType.PAIRWISE
        ),
    )
    if problems:
        problems += identity.registration_problems(
            session, region, registration, app_id=app.id, client=client
        )
        raise InvalidInput(_("Periksa isian yang ditandai."), details=problems)
    return registration


def _form_values(
    client_id: str,
    name: str,
    client_type: str,
    redirect_uris: str,
    post_logout_redirect_uris: str,
    backchannel_logout_uri: str,
    scopes: list[str],
    nik_legal_basis: str | None,
    subject_type: str,
) -> dict[str, Any]:
    return {
        "client_id": client_id.strip(),
        "name": name.strip(),
        "client_type": client_type,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris,
        "backchannel_logout_uri": backchannel_logout_uri.strip(),
        # Each distinct value once, and no more of them than there are scopes to choose.
        "scopes": list(dict.fromkeys(scopes))[: len(SCOPES) + 1],
        "nik_legal_basis": nik_legal_basis is not None,
        "subject_type": subject_type,
    }


ScopeList = Annotated[list[str], Form(max_length=len(SCOPES) * 2)]


@router.post("/{region}/aplikasi/{code}/oidc", response_class=HTMLResponse)
def create_oidc_client(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    code: str,
    client_id: Short = "",
    name: Short = "",
    client_type: Short = "",
    redirect_uris: UriList = "",
    post_logout_redirect_uris: UriList = "",
    backchannel_logout_uri: Uri = "",
    scopes: ScopeList = [],  # noqa: B006 - FastAPI copies the default
    nik_legal_basis: Flag = None,
    subject_type: Short = "",
) -> Response:
    """Register the app as a relying party; a confidential client's secret is shown once."""
    app = _app_or_404(session, region, code)
    values = _form_values(
        client_id,
        name,
        client_type,
        redirect_uris,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        scopes,
        nik_legal_basis,
        subject_type,
    )

    def change() -> tuple[OidcClient, str | None]:
        registration = _registration(session, region, app, None, values)
        return identity.register_client(
            session, region, app_id=app.id, registration=registration, actor=user
        )

    result = _attempt(session, change)
    if isinstance(result, DomainError):
        return _page(request, session, region, app, error=result, values=values)
    _client, secret = result
    if secret is None:
        return RedirectResponse(with_notice(_base(region, app), "dibuat"), status_code=303)
    return _page(request, session, region, app, secret=secret, notice=_(NOTICES["dibuat"]))


@router.post("/{region}/aplikasi/{code}/oidc/ubah", response_class=HTMLResponse)
def change_oidc_client(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    code: str,
    client_id: Short = "",
    name: Short = "",
    client_type: Short = "",
    redirect_uris: UriList = "",
    post_logout_redirect_uris: UriList = "",
    backchannel_logout_uri: Uri = "",
    scopes: ScopeList = [],  # noqa: B006 - FastAPI copies the default
    nik_legal_basis: Flag = None,
    subject_type: Short = "",
) -> Response:
    """Change the app's client; made confidential, it gets a secret shown once."""
    app = _app_or_404(session, region, code)
    client = _client_or_404(session, region, app)
    values = _form_values(
        client_id,
        name,
        client_type,
        redirect_uris,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        scopes,
        nik_legal_basis,
        subject_type,
    )

    def change() -> tuple[OidcClient, str | None]:
        registration = _registration(session, region, app, client, values)
        return identity.update_client(
            session, region, client, registration=registration, actor=user
        )

    result = _attempt(session, change)
    if isinstance(result, DomainError):
        session.refresh(client)  # the savepoint was rolled back: show what is stored
        return _page(request, session, region, app, error=result, values=values)
    _client, secret = result
    if secret is None:
        return RedirectResponse(with_notice(_base(region, app), "disimpan"), status_code=303)
    return _page(request, session, region, app, secret=secret, notice=_(NOTICES["disimpan"]))


@router.post("/{region}/aplikasi/{code}/oidc/rahasia", response_class=HTMLResponse)
def renew_oidc_secret(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    code: str,
) -> Response:
    """A new client secret, shown in this response only; the old one stops working."""
    app = _app_or_404(session, region, code)
    client = _client_or_404(session, region, app)
    result = _attempt(
        session, lambda: identity.renew_client_secret(session, region, client, actor=user)
    )
    if isinstance(result, DomainError):
        return _page(request, session, region, app, error=result)
    notice = _("Rahasia klien diganti. Rahasia lama tidak berlaku lagi.")
    return _page(request, session, region, app, secret=result, notice=notice)


@router.post("/{region}/aplikasi/{code}/oidc/status", response_class=HTMLResponse)
def set_oidc_client_status(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    code: str,
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Switch the client off (its tokens end) or on again."""
    app = _app_or_404(session, region, code)
    client = _client_or_404(session, region, app)
    if enabled not in {"0", "1"}:
        message = _("Status: pilih aktifkan atau nonaktifkan.")
        raise InvalidInput(message, details=[{"field": "enabled", "message": message}])
    identity.set_client_enabled(session, region, client, enabled=enabled == "1", actor=user)
    code_ = "aktif" if enabled == "1" else "nonaktif"
    return RedirectResponse(with_notice(_base(region, app), code_), status_code=303)

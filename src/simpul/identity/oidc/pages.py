"""The provider's browser pages: the authorization endpoint with its consent screen, and
RP-initiated logout.

Two routers: ``endpoints`` takes what a relying party sends the browser to (GET, or a POST
from the app's own page, which carries no CSRF token of ours; neither changes anything the
person has not already allowed), ``router`` takes the person's own answers (consent, logout
confirmation) and checks CSRF like every form.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts import service as accounts
from simpul.accounts.auth import PageUser
from simpul.accounts.models import User, UserSession
from simpul.core.database import DbSession
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.identity import service as identity
from simpul.identity.oidc import service as provider
from simpul.web.csrf import csrf_protect
from simpul.web.middleware import SESSION_COOKIE
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)
endpoints = APIRouter(route_class=CommittingRoute, include_in_schema=False)

#: Form fields longer than this are cut before they are checked (the checks then refuse).
_FIELD_LIMIT = 2000


async def _params(request: Request) -> dict[str, str]:
    """The request's parameters: the query, or the form of a POST (first value of each)."""
    if request.method == "POST":
        form = await request.form()
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        items = list(request.query_params.multi_items())
    params: dict[str, str] = {}
    for key, value in items[:50]:
        params.setdefault(key, value[:_FIELD_LIMIT])
    return params


Params = Annotated[dict[str, str], Depends(_params)]


def _browser_session(request: Request, session: DbSession, region: Region) -> UserSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    return accounts.session_for_token(session, region, token) if token else None


def _end_browser_session(request: Request, session: DbSession, region: Region) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        identity.end_app_sessions(session, region, token)
        accounts.end_session(session, token)


def _forget_cookie(response: Response, region: Region) -> Response:
    response.delete_cookie(SESSION_COOKIE, path=f"/{region.slug}")
    return response


def _error_page(request: Request, message: str, status: int = 400) -> HTMLResponse:
    response = render(request, "identity/oidc_error.html", {"message": message}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _to_client(request: Request, location: str) -> Response:
    """Send the browser back to the client's (verified) redirect URI. A browser that came
    here from one of our own forms (the consent screen, or the login form through a redirect)
    gets a page that moves on by itself: the pages' CSP (``form-action 'self'``) would stop a
    form's navigation from being redirected to another site."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        response = render(request, "identity/oidc_continue.html", {"location": location})
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    return RedirectResponse(location, status_code=303)


def _login_redirect(region: Region, params: dict[str, str]) -> RedirectResponse:
    """To the region's login page, coming back to this authorization request afterwards."""
    again = dict(params)
    prompt = [p for p in again.pop("prompt", "").split() if p != "login"]
    if prompt:
        again["prompt"] = " ".join(prompt)
    again.pop("max_age", None)  # the new login is fresh
    target = f"/{region.slug}/oidc/authorize?{urlencode(again)}"
    return RedirectResponse(f"/{region.slug}/masuk?next={quote(target, safe='')}", status_code=303)


def _consent_page(
    request: Request,
    session: DbSession,
    checked: provider.AuthorizationRequest,
    user: User,
) -> HTMLResponse:
    response = render(
        request,
        "identity/consent.html",
        {
            "client": checked.client,
            "app_name": checked.client.name,
            "agency_name": provider.agency_of(session, checked.client),
            "choices": provider.consent_choices(checked),
            "params": checked.params(),
            "person": user,
        },
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _authorize(
    request: Request, region: Region, session: DbSession, user: User | None, params: dict[str, str]
) -> Response:
    try:
        checked = provider.check_authorization_request(session, region, params)
        user_session = _browser_session(request, session, region) if user else None
        outcome = provider.decide(session, region, checked, user, user_session)
    except provider.HumanError as error:
        return _error_page(request, error.message)
    except provider.RedirectError as error:
        return _to_client(request, error.location)
    if outcome.location:
        return _to_client(request, outcome.location)
    if outcome.login:
        response = _login_redirect(region, params)
        if outcome.reauthenticate:
            _end_browser_session(request, session, region)
            _forget_cookie(response, region)
        return response
    assert user is not None
    return _consent_page(request, session, checked, user)


@endpoints.get("/{region}/oidc/authorize", name="oidc_authorize")
def authorize(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, params: Params
) -> Response:
    return _authorize(request, region, session, user, params)


@endpoints.post("/{region}/oidc/authorize")
def authorize_post(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, params: Params
) -> Response:
    return _authorize(request, region, session, user, params)


@router.post("/{region}/oidc/authorize/consent", name="oidc_consent")
def consent(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, params: Params
) -> Response:
    decision, nik = params.get("decision", ""), params.get("nik", "")
    try:
        checked = provider.check_authorization_request(session, region, params)
        user_session = _browser_session(request, session, region) if user else None
        if user is None or user_session is None:
            return _login_redirect(region, params)
        location = provider.answer_consent(
            session,
            region,
            checked,
            user,
            user_session,
            allow=decision == "izinkan",
            nik=nik == "ya",
        )
    except provider.HumanError as error:
        return _error_page(request, error.message)
    except provider.RedirectError as error:
        return _to_client(request, error.location)
    return _to_client(request, location)


# -- RP-initiated logout -----------------------------------------------------------------


def _logged_out(request: Request, region: Region, target: str | None) -> Response:
    response: Response
    if target:
        response = _to_client(request, target)
    else:
        response = render(request, "identity/oidc_logged_out.html", {})
    return _forget_cookie(response, region)


def _logout(
    request: Request, region: Region, session: DbSession, user: User | None, params: dict[str, str]
) -> Response:
    checked = provider.check_logout_request(session, region, params)
    if user is None or provider.hint_names(user, checked):
        _end_browser_session(request, session, region)
        return _logged_out(request, region, provider.after_logout(checked))
    # No valid hint about this person: ask before ending their session (a link from
    # anywhere must not log people out).
    return render(
        request,
        "identity/oidc_logout.html",
        {
            "app_name": checked.client.name if checked.client else None,
            "params": {
                k: v
                for k, v in {
                    "client_id": checked.client.client_id if checked.client else None,
                    "post_logout_redirect_uri": checked.post_logout_redirect_uri,
                    "state": checked.state,
                }.items()
                if v
            },
        },
    )


@endpoints.get("/{region}/oidc/logout", name="oidc_logout")
def logout(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, params: Params
) -> Response:
    return _logout(request, region, session, user, params)


@endpoints.post("/{region}/oidc/logout")
def logout_post(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, params: Params
) -> Response:
    return _logout(request, region, session, user, params)


@router.post("/{region}/oidc/logout/confirm", name="oidc_logout_confirm")
def logout_confirm(
    request: Request, region: CurrentRegion, session: DbSession, params: Params
) -> Response:
    checked = provider.check_logout_request(session, region, params)
    _end_browser_session(request, session, region)
    return _logged_out(request, region, provider.after_logout(checked))

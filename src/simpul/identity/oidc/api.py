"""The provider's machine endpoints: discovery, JWKS, token, userinfo, revocation (RFC 7009)
and introspection (RFC 7662). Answers are JSON, errors in OAuth's shape, never cached."""

from __future__ import annotations

# The endpoints answer OAuth errors as values (the route returns them, so what a refused
# request revoked is still committed): raising inside the try is the clearest way to say it.
# ruff: noqa: TRY301
import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from simpul.core.database import DbSession
from simpul.core.regions import CurrentRegion
from simpul.identity.oidc import keys
from simpul.identity.oidc import service as provider
from simpul.web.routing import CommittingRoute

router = APIRouter(route_class=CommittingRoute, include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_BODY_FIELDS = 30
_FIELD_LIMIT = 8000


class _Form:
    """The form of a POST (or the query of a GET), with repeated parameters noted."""

    def __init__(self, values: dict[str, str], repeated: set[str]) -> None:
        self.values = values
        self.repeated = repeated

    def get(self, name: str) -> str | None:
        return self.values.get(name)


async def _form(request: Request) -> _Form:
    if request.method == "POST":
        form = await request.form(max_fields=_MAX_BODY_FIELDS, max_files=0)
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        items = list(request.query_params.multi_items())[:_MAX_BODY_FIELDS]
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in items:
        if key in values:
            repeated.add(key)
        values.setdefault(key, value[:_FIELD_LIMIT])
    return _Form(values, repeated)


FormValues = Annotated[_Form, Depends(_form)]


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**_NO_STORE, **(headers or {})})


def _error(error: provider.OAuthError) -> JSONResponse:
    return _json(error.body(), error.status, error.headers)


def _credentials(request: Request, form: _Form) -> provider.ClientCredentials:
    """Client authentication: HTTP Basic (RFC 6749 2.3.1, form-encoded parts) or the form;
    both at once is refused."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        if form.get("client_secret") is not None:
            raise provider.OAuthError("invalid_request", "use one client authentication method")
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise provider.OAuthError(
                "invalid_client", "malformed Basic credentials", 401
            ) from None
        client_id, _sep, secret = raw.partition(":")
        client_id, secret = unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
        if form.get("client_id") not in (None, client_id):
            raise provider.OAuthError("invalid_request", "client_id does not match")
        return provider.ClientCredentials(client_id, secret, "client_secret_basic")
    posted = form.get("client_secret")
    if posted is not None:
        return provider.ClientCredentials(form.get("client_id"), posted, "client_secret_post")
    return provider.ClientCredentials(form.get("client_id"), None, "none")


@router.get("/{region}/.well-known/openid-configuration", name="oidc_discovery")
def discovery(region: CurrentRegion) -> JSONResponse:
    return JSONResponse(provider.discovery(region), headers={"Cache-Control": "max-age=300"})


@router.get("/{region}/oidc/jwks", name="oidc_jwks")
def jwks(region: CurrentRegion, session: DbSession) -> JSONResponse:
    return JSONResponse(
        {"keys": keys.published_keys(session, region)},
        headers={"Cache-Control": "max-age=300"},
    )


@router.post("/{region}/oidc/token", name="oidc_token")
def token(
    request: Request, region: CurrentRegion, session: DbSession, form: FormValues
) -> JSONResponse:
    try:
        if form.repeated:
            raise provider.OAuthError("invalid_request", "a parameter was sent more than once")
        grant_type = form.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise provider.OAuthError(
                "unsupported_grant_type", "use authorization_code or refresh_token"
            )
        client = provider.authenticate_client(
            session, region, _credentials(request, form), public_allowed=True
        )
        if grant_type == "authorization_code":
            body = provider.redeem_code(
                session,
                region,
                client,
                code=form.get("code") or "",
                redirect_uri=form.get("redirect_uri") or "",
                code_verifier=form.get("code_verifier"),
            )
        else:
            body = provider.refresh(
                session,
                region,
                client,
                token=form.get("refresh_token") or "",
                scope=form.get("scope"),
            )
    except provider.OAuthError as error:
        return _error(error)  # returned, not raised: what it revoked is committed
    return _json(body)


def _bearer(request: Request, form: _Form) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return form.get("access_token") if request.method == "POST" else None


def _userinfo(
    request: Request, region: CurrentRegion, session: DbSession, form: _Form
) -> JSONResponse:
    try:
        raw = _bearer(request, form)
        if not raw:
            raise provider.OAuthError(
                "invalid_token",
                "send the access token as Bearer",
                401,
                {"WWW-Authenticate": "Bearer"},
            )
        return _json(provider.userinfo(session, region, raw))
    except provider.OAuthError as error:
        return _error(error)


@router.get("/{region}/oidc/userinfo", name="oidc_userinfo")
def userinfo(
    request: Request, region: CurrentRegion, session: DbSession, form: FormValues
) -> JSONResponse:
    return _userinfo(request, region, session, form)


@router.post("/{region}/oidc/userinfo")
def userinfo_post(
    request: Request, region: CurrentRegion, session: DbSession, form: FormValues
) -> JSONResponse:
    return _userinfo(request, region, session, form)


@router.post("/{region}/oidc/revoke", name="oidc_revoke")
def revoke(
    request: Request, region: CurrentRegion, session: DbSession, form: FormValues
) -> JSONResponse:
    try:
        client = provider.authenticate_client(
            session, region, _credentials(request, form), public_allowed=True
        )
        if not form.get("token"):
            raise provider.OAuthError("invalid_request", "token is required")
        provider.revoke(session, region, client, form.get("token") or "")
    except provider.OAuthError as error:
        return _error(error)
    return _json({})


@router.post("/{region}/oidc/introspect", name="oidc_introspect")
def introspect(
    request: Request, region: CurrentRegion, session: DbSession, form: FormValues
) -> JSONResponse:
    try:
        caller = provider.authenticate_client(
            session, region, _credentials(request, form), public_allowed=False
        )
        if not form.get("token"):
            raise provider.OAuthError("invalid_request", "token is required")
        answer = provider.introspect(session, region, caller, form.get("token") or "")
    except provider.OAuthError as error:
        return _error(error)
    return _json({k: v for k, v in answer.items() if v is not None})

"""The web application: pages and JSON API of every region, assembled from the domains."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from simpul.core import audit
from simpul.core.database import (
    ClientGone,
    DatabaseProbe,
    SessionGate,
    get_engine,
    make_session_factory,
    overloaded,
)
from simpul.core.errors import DomainError, Unauthorized
from simpul.core.i18n import _
from simpul.core.requestid import HEADER, STATE_KEY, current_request_id, new_request_id
from simpul.core.settings import Settings, get_settings
from simpul.web import api_errors
from simpul.web.inputs import refuse_nul_characters, validation_message
from simpul.web.middleware import DropAbandoned, HeadAsGet, RequestId, WebMiddleware
from simpul.web.static_files import STATIC_DIR, FingerprintedFiles, htmx_dir, leaflet_dir
from simpul.web.templating import render
from simpul.wiring import subscribe_all

log = logging.getLogger(__name__)

API_DESCRIPTION = """
JSON API of every region hosted by this Simpul deployment, under `/api/{region}/`.

Scripts and integrated apps authenticate with `Authorization: Bearer <token>`: create a
personal token on your profile page (`/{region}/akun`) or with `simpul user token EMAIL`.
Errors have the shape `{"error": {"code", "message", "details"}}`; `details` lists
`{"field", "message"}` for each invalid field. Messages follow `Accept-Language` (id, en).
The GovStack Registration API (`/api/{region}/registration/`) answers errors as its
specification does (`systemError`: `traceId`, `code`, `message`, `localizedMessage`, plus
`details`), 400 for invalid input; its own document, with the specification's paths, is at
`/api/{region}/registration/openapi.json`. Every answer carries `X-Request-Id`.
"""


#: Worker threads beyond the admitted requests' (``/healthz``, static files, pages without a
#: session): each admitted request runs at most one blocking step at a time.
SPARE_THREADS = 8


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Make sure every request the gate admits can get a worker thread at once: a request
    holding a connection must never wait for a thread held by one waiting for a connection."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    wanted = app.state.session_gate.limit + SPARE_THREADS
    limiter.total_tokens = max(limiter.total_tokens, wanted)
    # The log tables are partitioned by month: a deployment with no ``simpul worker`` running
    # must still have next month's partition of the audit trail before the month turns.
    await anyio.to_thread.run_sync(_ensure_log_partitions, app)
    yield


def _ensure_log_partitions(app: FastAPI) -> None:
    try:
        with app.state.session_factory() as session:
            audit.ensure_log_partitions(session)
            session.commit()
    except SQLAlchemyError:  # the database is down: pages say so; the worker retries hourly
        log.exception("could not make the coming months' log partitions")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    subscribe_all()  # the domains' event handlers (simpul.wiring)
    app = FastAPIOffline(
        lifespan=_lifespan,
        title="Simpul",
        version="0.1.0",
        description=API_DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        static_url="/static/api-docs",
        # Before every route: no NUL in any parameter or field (see web.inputs).
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.session_factory = make_session_factory(engine or get_engine())
    app.state.session_gate = SessionGate(
        settings.concurrent_requests(), settings.request_queue_seconds
    )
    app.state.database_probe = DatabaseProbe()
    from simpul.applications.uploads import storage_from_settings

    app.state.storage = storage_from_settings(settings)

    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(
        WebMiddleware, secure_cookies=not settings.debug, tile_url=settings.map_tile_url
    )
    app.add_middleware(DropAbandoned)
    app.add_middleware(RequestId)  # the id is there for everything inside
    # Outermost: a HEAD request is answered as the GET it stands for, without the body, so
    # every page and file answers HEAD (FastAPI's routes are GET-only).
    app.add_middleware(HeadAsGet)

    app.mount("/static/app", FingerprintedFiles(directory=STATIC_DIR), name="static")
    if leaflet_dir().is_dir():  # the complaint maps (decision 0056)
        app.mount("/static/leaflet", FingerprintedFiles(directory=leaflet_dir()), name="leaflet")
    if htmx_dir().is_dir():
        app.mount("/static/htmx", FingerprintedFiles(directory=htmx_dir()), name="htmx")
    else:
        log.warning("htmx is not installed (run `npm ci`): pages work without live updates")

    _add_error_handlers(app)

    routers = _routers()
    for router in routers:
        app.include_router(router)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_json(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Any = None,
) -> JSONResponse:
    """Simpul's error shape, or the GovStack ``systemError`` under the Registration API."""
    if api_errors.speaks_govstack(request.url.path):
        status = api_errors.govstack_status(status)
        trace_id = request.scope.get("state", {}).get(STATE_KEY) or new_request_id()
        body = api_errors.system_error(status, code, message, trace_id, details or [])
        # Handlers outside the request id middleware (500) set the header themselves.
        headers = {**(headers or {}), HEADER: trace_id}
    else:
        body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    from simpul.complaints import open311_api  # Open311 answers errors in its own format

    app.add_exception_handler(open311_api.Open311Failure, open311_api.failure_response)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if _wants_json(request):
            return _error_json(
                request, exc.status_code, exc.code, exc.message, exc.details, exc.headers
            )
        region = getattr(request.state, "region", None)
        if isinstance(exc, Unauthorized) and region is not None and request.method == "GET":
            target = f"/{region.slug}/masuk?next={request.url.path}"
            return RedirectResponse(target, status_code=303)
        page = render(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.message, "details": exc.details},
            status_code=exc.status_code,
        )
        return _with_headers(page, exc.headers)

    @app.exception_handler(ClientGone)
    async def client_gone(request: Request, exc: ClientGone) -> Response:
        return Response(status_code=499)  # nobody reads it: the connection is closed

    @app.exception_handler(PoolTimeoutError)
    async def pool_exhausted(request: Request, exc: PoolTimeoutError) -> Response:
        log.warning("no database connection within the pool timeout: %s", request.url.path)
        return await domain_error(request, overloaded())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {
                "field": ".".join(
                    str(p) for p in err["loc"] if p not in ("body", "query", "path", "header")
                ),
                "message": validation_message(err),
            }
            for err in exc.errors()
        ]
        message = _("Data yang dikirim tidak valid.")
        if _wants_json(request):
            return _error_json(request, 422, "invalid_input", message, details)
        return render(
            request, "error.html", {"status": 422, "message": message, "details": details}, 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: _("Halaman tidak ditemukan."),
            405: _("Metode tidak diizinkan untuk alamat ini."),
        }
        message = messages.get(exc.status_code) or str(exc.detail)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if _wants_json(request):
            return _error_json(request, exc.status_code, code, message, headers=exc.headers)
        return render(
            request, "error.html", {"status": exc.status_code, "message": message}, exc.status_code
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Outside the request id middleware: put the id back for the log line.
        token = current_request_id.set(request.scope.get("state", {}).get(STATE_KEY))
        try:
            log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        finally:
            current_request_id.reset(token)
        message = _("Terjadi kesalahan di sisi kami. Data Anda tidak berubah; silakan coba lagi.")
        if _wants_json(request):
            return _error_json(request, 500, "internal_error", message)
        return render(request, "error.html", {"status": 500, "message": message}, 500)

    @app.exception_handler(DataError)
    async def unstorable_text(request: Request, exc: DataError) -> Response:
        """A NUL that reached the database (text fields without a check of their own,
        ``core.text``): PostgreSQL cannot store it, the request rolled back; say so (422)."""
        if "NUL" not in str(exc.orig):
            return await unexpected_error(request, exc)
        message = _(
            "Teks yang dikirim berisi karakter NUL yang tidak dapat disimpan. Hapus karakter itu "
            "lalu kirim lagi; tidak ada yang berubah."
        )
        if _wants_json(request):
            return _error_json(request, 422, "invalid_input", message)
        return render(request, "error.html", {"status": 422, "message": message}, 422)


def _with_headers(response: Response, headers: dict[str, str]) -> Response:
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _routers() -> tuple[APIRouter, ...]:
    """Every domain's routers, in the order their paths are matched."""
    from simpul.accounts import api as accounts_api
    from simpul.accounts import pages as accounts_pages
    from simpul.accounts import recovery_pages, staff_pages
    from simpul.applications import api as applications_api
    from simpul.applications import backoffice, payments_api, registration_api, review_pages
    from simpul.applications import pages as applications_pages
    from simpul.applications.tracking import pages as tracking_pages
    from simpul.catalogue import api as catalogue_api
    from simpul.catalogue import pages as catalogue_pages
    from simpul.catalogue import product_pages
    from simpul.complaints import admin_pages as complaint_admin_pages
    from simpul.complaints import backoffice as complaints_backoffice
    from simpul.complaints import forwarding_pages, inbound_api, open311_api
    from simpul.complaints import pages as complaint_pages
    from simpul.complaints import triage_pages as complaint_triage_pages
    from simpul.documents import api as documents_api
    from simpul.documents import letterhead_pages
    from simpul.documents import pages as documents_pages
    from simpul.evaluation.assessments import pages as assessment_pages
    from simpul.evaluation.comparison import pages as comparison_pages
    from simpul.evaluation.kpis import pages as kpi_pages
    from simpul.evaluation.savings import pages as savings_pages
    from simpul.evaluation.surveys import pages as survey_pages
    from simpul.gateway.monitor import pages as monitor_pages
    from simpul.gateway.registry import pages as registry_pages
    from simpul.identity import client_pages as identity_client_pages
    from simpul.identity import closure_pages, mfa_pages, rights_pages, ropa_pages
    from simpul.identity import pages as identity_pages
    from simpul.identity.oidc import api as oidc_api
    from simpul.identity.oidc import pages as oidc_pages
    from simpul.inventory import import_pages as inventory_import_pages
    from simpul.inventory import pages as inventory_pages
    from simpul.notify import api as notify_api
    from simpul.notify import pages as notify_pages
    from simpul.web import pages as web_pages

    return (
        # First: /healthz (load balancers call it often) is then matched before the ~300
        # other routes; its three paths ("/", "/lang/{code}", "/healthz") overlap no other.
        web_pages.router,
        recovery_pages.router,
        catalogue_api.router,
        accounts_api.router,
        mfa_pages.router,
        applications_api.router,
        registration_api.router,
        documents_api.router,
        payments_api.router,
        notify_api.router,
        open311_api.router,  # with the complaints JSON API and the admin keys page
        accounts_pages.router,
        rights_pages.router,
        oidc_api.router,
        oidc_pages.endpoints,
        oidc_pages.router,
        staff_pages.router,
        identity_pages.router,
        identity_client_pages.router,
        applications_pages.router,
        tracking_pages.router,
        backoffice.router,
        review_pages.router,
        inventory_import_pages.router,
        inventory_pages.router,
        monitor_pages.router,
        registry_pages.router,
        notify_pages.router,
        documents_pages.router,
        letterhead_pages.router,
        product_pages.router,
        savings_pages.router,
        kpi_pages.router,
        comparison_pages.router,
        survey_pages.router,
        assessment_pages.router,
        complaint_pages.router,
        complaint_triage_pages.router,
        complaints_backoffice.router,
        forwarding_pages.router,
        complaint_admin_pages.router,
        inbound_api.router,
        closure_pages.router,
        ropa_pages.router,
        catalogue_pages.router,  # last: its /{region} routes are the broadest
    )

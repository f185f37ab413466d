"""Open311 GeoReport v2 at ``/open311/{region}/v2/``: every endpoint in ``.json`` and ``.xml``.

Errors answer in the specification's shape (``[{"code", "description"}]`` or
``<errors><error>``), not Simpul's: a refused request raises ``Open311Failure`` (so the request
boundary rolls back), which the app's handler for it renders (``failure_response``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from simpul.complaints import api as complaints_api
from simpul.complaints import open311_pages, service
from simpul.core.database import DbSession
from simpul.core.errors import DomainError, InvalidInput, Unauthorized
from simpul.core.i18n import _
from simpul.web.routing import CommittingRoute

PREFIX: Final = "/open311/{region}/v2"
_CONTENT_TYPES: Final = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}

_v2 = APIRouter(prefix=PREFIX, route_class=CommittingRoute, tags=["open311"])


class Open311Failure(Exception):
    """A refused Open311 request, answered in the specification's error format."""

    def __init__(
        self, fmt: str, status: int, descriptions: Sequence[str], headers: Mapping[str, str]
    ):
        super().__init__(status)
        self.fmt = fmt if fmt in _CONTENT_TYPES else "json"
        self.status = status
        self.descriptions = list(descriptions)
        self.headers = dict(headers)


async def failure_response(request: Request, exc: Exception) -> Response:
    """The error body for an ``Open311Failure`` (registered in ``web.app``)."""
    assert isinstance(exc, Open311Failure)
    if exc.fmt == "xml":
        body = service.open311_xml_errors(exc.status, exc.descriptions)
    else:
        body = service.open311_json(
            [{"code": exc.status, "description": d} for d in exc.descriptions]
        )
    return Response(
        body, status_code=exc.status, media_type=_CONTENT_TYPES[exc.fmt], headers=exc.headers
    )


def _status(error: DomainError) -> int:
    if isinstance(error, InvalidInput):
        return 400
    if isinstance(error, Unauthorized):
        return 403
    return error.status_code


def _answer(
    fmt: str,
    produce: Callable[[], Any],
    root: str,
    item: str | None,
    status: int = 200,
) -> Response:
    """Run ``produce`` and write its result in ``fmt``; a domain error in the spec's format."""
    if fmt not in _CONTENT_TYPES:
        raise Open311Failure("json", 404, [_("Format harus json atau xml.")], {})
    try:
        content = produce()
    except DomainError as error:
        descriptions = [str(d["message"]) for d in error.details if "message" in d]
        raise Open311Failure(
            fmt, _status(error), descriptions or [error.message], error.headers
        ) from error
    if fmt == "xml":
        body = service.open311_xml(root, item, content)
    else:
        body = service.open311_json(content)
    return Response(body, status_code=status, media_type=_CONTENT_TYPES[fmt])


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    """The posted form's fields in order, repeated ones included (to refuse them)."""
    form = await request.form()
    pairs = []
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise Open311Failure(
                request.path_params.get("fmt", "json"), 400, [_("File tidak diterima.")], {}
            )
        pairs.append((name, value))
    return pairs


FormPairs = Annotated[list[tuple[str, str]], Depends(_form_pairs)]
Jurisdiction = Annotated[str | None, Query()]


@_v2.get("/discovery.{fmt}", summary="Open311 discovery")
def discovery(
    region: str, fmt: str, session: DbSession, jurisdiction_id: Jurisdiction = None
) -> Response:
    return _answer(
        fmt,
        lambda: service.open311_discovery(service.open311_region(session, region, jurisdiction_id)),
        "discovery",
        None,
    )


@_v2.get("/services.{fmt}", summary="Open311 service list")
def services(
    region: str, fmt: str, session: DbSession, jurisdiction_id: Jurisdiction = None
) -> Response:
    return _answer(
        fmt,
        lambda: service.open311_services(
            session, service.open311_region(session, region, jurisdiction_id)
        ),
        "services",
        "service",
    )


@_v2.get("/services/{service_code}.{fmt}", summary="Open311 service definition")
def service_definition(
    region: str,
    service_code: str,
    fmt: str,
    session: DbSession,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    return _answer(
        fmt,
        lambda: service.open311_service_definition(
            session, service.open311_region(session, region, jurisdiction_id), service_code
        ),
        "service_definition",
        None,
    )


@_v2.post("/requests.{fmt}", summary="Open311 create service request")
def post_request(
    request: Request, region: str, fmt: str, session: DbSession, pairs: FormPairs
) -> Response:
    def produce() -> list[dict[str, str]]:
        jurisdiction = [v for k, v in pairs if k == "jurisdiction_id"]
        found = service.open311_region(session, region, jurisdiction[0] if jurisdiction else None)
        source = request.client.host if request.client else "unknown"
        posted = service.open311_post_request(
            session, found, pairs, state=request.app.state, source=source
        )
        return [
            {
                "service_request_id": posted.service_request_id,
                "token": posted.token,
                "service_notice": posted.service_notice,
                "account_id": posted.account_id,
            }
        ]

    return _answer(fmt, produce, "service_requests", "request", status=201)


@_v2.get("/requests.{fmt}", summary="Open311 get service requests")
def list_requests(
    region: str,
    fmt: str,
    session: DbSession,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[str | None, Query()] = None,
    service_code: Annotated[str | None, Query()] = None,
    start_date: Annotated[str | None, Query()] = None,
    end_date: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
) -> Response:
    query = service.Open311Query(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
    )
    return _answer(
        fmt,
        lambda: service.open311_requests(
            session, service.open311_region(session, region, jurisdiction_id), query
        ),
        "service_requests",
        "request",
    )


@_v2.get("/requests/{service_request_id}.{fmt}", summary="Open311 get service request")
def get_request(
    region: str,
    service_request_id: str,
    fmt: str,
    session: DbSession,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    return _answer(
        fmt,
        lambda: service.open311_request(
            session, service.open311_region(session, region, jurisdiction_id), service_request_id
        ),
        "service_requests",
        "request",
    )


@_v2.get("/tokens/{token}.{fmt}", summary="Open311 get service_request_id from a token")
def token(
    region: str, token: str, fmt: str, session: DbSession, jurisdiction_id: Jurisdiction = None
) -> Response:
    return _answer(
        fmt,
        lambda: service.open311_token_request(
            session, service.open311_region(session, region, jurisdiction_id), token
        ),
        "service_requests",
        "request",
    )


#: What the web app mounts: Open311, the complaints JSON API and the admin's keys page.
router = APIRouter()
router.include_router(_v2)
router.include_router(complaints_api.router)
router.include_router(open311_pages.router)

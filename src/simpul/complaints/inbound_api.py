"""Complaints forwarded in by another region: ``POST /api/{region}/complaints/inbound/{code}``.

The receiving region configures the sender as a forward target with the same code and secret;
the body is the sender's JSON signed as ``complaints.forwarding`` describes (decision 0056).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from simpul.complaints import service as complaints
from simpul.core.database import DbSession
from simpul.core.errors import DomainError, Unauthorized
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.web.api_errors import CLIENT_ERRORS
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}",
    tags=["complaints"],
    route_class=CommittingRoute,
    responses=CLIENT_ERRORS,
)


class InboundTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class ReceivedOut(BaseModel):
    number: str


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent (the signature is over these bytes), read no further than
    64 KB: a larger body is refused before it is buffered."""
    limit = complaints.MAX_INBOUND_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise InboundTooLarge(_("Isi kiriman terlalu besar."))
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > limit:
            raise InboundTooLarge(_("Isi kiriman terlalu besar."))
    return bytes(received)


@router.post("/complaints/inbound/{target_code}", response_model=ReceivedOut, status_code=201)
def receive_complaint(
    region: CurrentRegion,
    session: DbSession,
    target_code: str,
    body: Annotated[bytes, Depends(raw_body)],
    signature: Annotated[str | None, Header(alias="X-Simpul-Signature")] = None,
    timestamp: Annotated[str | None, Header(alias="X-Simpul-Timestamp")] = None,
    delivery: Annotated[str | None, Header(alias="X-Simpul-Delivery")] = None,
) -> ReceivedOut:
    """File a complaint another region forwarded here; answers its new number.

    A missing or wrong signature, or a timestamp more than five minutes off, is 401; a
    delivery already received 409; a body over 64 KB 413.
    """
    if not signature or not timestamp or not delivery:
        raise Unauthorized(_("Tanda tangan kiriman tidak sah."))
    complaint = complaints.receive_forwarded(
        session,
        region,
        target_code,
        body,
        signature=signature,
        timestamp=timestamp,
        delivery_id=delivery,
    )
    return ReceivedOut(number=complaint.number)

"""The payment provider's notifications: ``POST /api/{region}/payments/notifications``.

The body is JSON (``bill`` = the application's tracking number, ``reference``, ``amount`` in
whole rupiah, ``paid_at`` ISO 8601 with a zone), signed with HMAC-SHA256 of the raw body under
the region's secret (``simpul payments secret --region R``) in ``X-Simpul-Signature:
sha256=<hex>``. Decision 0047.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from simpul.applications import payments
from simpul.core.database import DbSession
from simpul.core.errors import DomainError, Unauthorized
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.web.api_errors import CLIENT_ERRORS
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}",
    tags=["payments"],
    route_class=CommittingRoute,
    responses=CLIENT_ERRORS,
)


class NotificationTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class NotificationOut(BaseModel):
    status: str
    bill: str
    reference: str
    current_step: str | None


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent (the signature is over these bytes), read no further than the
    limit: a larger body is refused before it is buffered."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not declared.isdigit() or int(declared) > payments.MAX_NOTIFICATION_BYTES
    ):
        raise NotificationTooLarge(_("Notifikasi pembayaran terlalu besar."))
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > payments.MAX_NOTIFICATION_BYTES:
            raise NotificationTooLarge(_("Notifikasi pembayaran terlalu besar."))
    return bytes(received)


@router.post("/payments/notifications", response_model=NotificationOut)
def payment_notification(
    region: CurrentRegion,
    session: DbSession,
    body: Annotated[bytes, Depends(raw_body)],
    signature: Annotated[
        str | None,
        Header(alias=payments.SIGNATURE_HEADER, description="sha256=<hex> of the raw body"),
    ] = None,
) -> NotificationOut:
    """Record a payment the provider received and approve the task waiting for it.

    Replaying a recorded notification answers ``already_recorded`` and changes nothing. A
    wrong amount (422), an unknown bill (404), an application not waiting for payment or a
    reference used for another payment (409) are refused with nothing changed; a missing or
    wrong signature is 401.
    """
    if signature is None:
        raise Unauthorized(_("Tanda tangan notifikasi tidak sah."))
    result = payments.record_notification(session, region, body, signature)
    return NotificationOut(
        status=result.status,
        bill=result.bill,
        reference=result.reference,
        current_step=result.current_step,
    )

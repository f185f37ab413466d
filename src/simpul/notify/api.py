"""The WhatsApp Business Cloud API's webhook: ``/api/{region}/whatsapp/webhook``.

``GET`` answers Meta's subscription handshake (``hub.mode``, ``hub.verify_token``,
``hub.challenge``); ``POST`` takes the signed status callbacks (``X-Hub-Signature-256``) of
the messages this region sent. Decision 0050.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from simpul.core.database import DbSession
from simpul.core.regions import CurrentRegion
from simpul.notify import whatsapp
from simpul.notify.config import WhatsAppConfig, notify_config
from simpul.web.api_errors import CLIENT_ERRORS
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}",
    tags=["notifications"],
    route_class=CommittingRoute,
    responses=CLIENT_ERRORS,
)


def whatsapp_account() -> WhatsAppConfig | None:
    """The deployment's WhatsApp account (a dependency, so a test can put its own)."""
    return notify_config().whatsapp


WhatsAppAccount = Annotated[WhatsAppConfig | None, Depends(whatsapp_account)]


async def raw_body(request: Request, config: WhatsAppAccount) -> bytes:
    """The body exactly as sent (the signature is over these bytes), read no further than the
    limit: a larger body is refused before it is buffered."""
    limit = whatsapp.require_config(config).max_webhook_bytes
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise whatsapp.PayloadTooLarge("callback too large")
    received = bytearray()
    async for chunk in request.stream():
        received.extend(chunk)
        if len(received) > limit:
            raise whatsapp.PayloadTooLarge("callback too large")
    return bytes(received)


class CallbackOut(BaseModel):
    applied: int
    ignored: int


@router.get("/whatsapp/webhook", response_class=PlainTextResponse)
def whatsapp_verification(
    region: CurrentRegion,
    config: WhatsAppAccount,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=20)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=200)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
) -> PlainTextResponse:
    """Meta's subscription handshake: the challenge back, or 403."""
    return PlainTextResponse(whatsapp.verify_subscription(config, mode, token, challenge))


@router.post("/whatsapp/webhook", response_model=CallbackOut)
def whatsapp_status_callback(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    config: WhatsAppAccount,
    body: Annotated[bytes, Depends(raw_body)],
) -> CallbackOut:
    """Delivery statuses (sent, delivered, read, failed) of this region's WhatsApp messages.

    A missing, duplicated or wrong ``X-Hub-Signature-256`` is 403 and changes nothing; a
    replayed callback, or one about another region's message, is answered 200 and ignored.
    """
    signatures = request.headers.getlist(whatsapp.SIGNATURE_HEADER)
    result = whatsapp.receive_status_callback(session, region, config, signatures, body)
    return CallbackOut(applied=result.applied, ignored=result.ignored)

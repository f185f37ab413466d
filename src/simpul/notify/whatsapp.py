"""The WhatsApp Business Cloud API's webhooks: the subscription handshake and the signed
status callbacks (sent, delivered, read, failed) that update our delivery log.

Meta signs the raw body with the app secret (``X-Hub-Signature-256: sha256=<hex>``). A
callback is believed only with exactly one such header that matches (compared in constant
time); its statuses are applied only to this region's deliveries, and only when they move a
delivery forward, so a replayed or reordered callback changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.core.errors import DomainError, Forbidden, InvalidInput
from simpul.core.models import Region, utcnow
from simpul.notify import repository
from simpul.notify.config import WhatsAppConfig
from simpul.notify.models import AttemptOutcome, Channel, DeliveryAttempt, DeliveryStatus

log = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Hub-Signature-256"

#: How far along each status is; ``failed`` ends the message, whatever came before.
_RANK: Final = {"": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class NotConfigured(DomainError):
    status_code = 404
    code = "not_found"


def signature_of(body: bytes, app_secret: str) -> str:
    """``sha256=<hex>``, as Meta computes it over the raw body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(headers: list[str], body: bytes, app_secret: str) -> bool:
    """Exactly one signature header, and it matches (constant-time)."""
    if len(headers) != 1:
        return False
    return hmac.compare_digest(headers[0].strip().encode(), signature_of(body, app_secret).encode())


def require_config(config: WhatsAppConfig | None) -> WhatsAppConfig:
    if config is None:
        raise NotConfigured("WhatsApp is not configured")
    return config


def verify_subscription(
    config: WhatsAppConfig | None, mode: str | None, token: str | None, challenge: str | None
) -> str:
    """Meta's handshake: echo ``hub.challenge`` when the mode is ``subscribe`` and the verify
    token is ours; refuse otherwise."""
    config = require_config(config)
    expected = config.verify_token.get_secret_value().encode()
    if mode != "subscribe" or token is None or challenge is None:
        raise Forbidden("verification refused")
    if not hmac.compare_digest(token.encode(), expected):
        raise Forbidden("verification refused")
    return challenge


@dataclass(frozen=True)
class CallbackResult:
    #: Statuses that moved one of this region's deliveries forward.
    applied: int
    #: Statuses about messages this region does not know, or that changed nothing.
    ignored: int


def _list(value: Any) -> list[Any]:
    """A JSON array, or nothing: a callback is read defensively, field by field."""
    return value if isinstance(value, list) else []


def _statuses(payload: Any, phone_number_id: str) -> list[dict[str, Any]]:
    """The ``statuses`` of a ``whatsapp_business_account`` callback for our phone number."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise InvalidInput("not a WhatsApp Business Account callback")
    found: list[dict[str, Any]] = []
    for entry in _list(payload.get("entry")):
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict):
                continue
            if str(metadata.get("phone_number_id", "")) != phone_number_id:
                continue
            found.extend(s for s in _list(value.get("statuses")) if isinstance(s, dict))
    return found


def _error_code(status: dict[str, Any]) -> str:
    errors = _list(status.get("errors"))
    if errors and isinstance(errors[0], dict) and errors[0].get("code") is not None:
        return f" (code {str(errors[0]['code'])[:12]})"
    return ""


def receive_status_callback(
    session: Session,
    region: Region,
    config: WhatsAppConfig | None,
    signatures: list[str],
    body: bytes,
) -> CallbackResult:
    """Check a status callback's signature and apply its statuses to this region's
    WhatsApp deliveries (in the caller's transaction). Raises ``Forbidden`` for a missing,
    duplicated or wrong signature and ``InvalidInput`` for a body that is not a callback."""
    config = require_config(config)
    if len(body) > config.max_webhook_bytes:
        raise PayloadTooLarge("callback too large")
    if not signature_is_valid(signatures, body, config.app_secret.get_secret_value()):
        log.warning("WhatsApp callback for region %s refused: bad signature", region.slug)
        raise Forbidden("bad signature")
    try:
        payload = json.loads(body)
    except ValueError:
        raise InvalidInput("the body is not JSON") from None
    applied = ignored = 0
    for status in _statuses(payload, config.phone_number_id):
        name = str(status.get("status", ""))
        message_id = str(status.get("id", ""))[:200]
        delivery = (
            repository.delivery_by_provider_id(session, region.id, Channel.WHATSAPP, message_id)
            if name in _RANK and message_id
            else None
        )
        if delivery is None or _RANK[name] <= _RANK.get(delivery.provider_status, 0):
            ignored += 1
            continue
        if delivery.provider_status == "failed":
            ignored += 1
            continue
        now = utcnow()
        delivery.provider_status = name
        detail = f"WhatsApp: {name}"
        outcome = AttemptOutcome.DELIVERED
        if name == "failed":
            # WhatsApp accepted the message but could not hand it over: for good.
            detail += _error_code(status)
            delivery.status = DeliveryStatus.DEAD
            delivery.last_error = detail
            outcome = AttemptOutcome.FAILED
        repository.add(
            session,
            DeliveryAttempt(
                region_id=delivery.region_id,
                delivery_id=delivery.id,
                number=delivery.attempts,
                at=now,
                outcome=outcome,
                detail=detail[:300],
            ),
        )
        applied += 1
    session.flush()
    return CallbackResult(applied, ignored)

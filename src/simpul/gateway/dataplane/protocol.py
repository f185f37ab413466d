"""``simpul gateway``'s HTTP protocol: the limits of ``core.httpserver`` with the gateway's
body limit (``SIMPUL_GATEWAY_MAX_BODY_BYTES``; a service may set less, which the data plane
checks), refused the way the gateway answers everything it refuses itself: JSON
``{"error": {...}, "request_id"}`` with ``X-Request-Id``. These refusals come before the caller
is identified, so they are not in the message log."""

from __future__ import annotations

import uuid
from dataclasses import replace

from simpul.core.httpserver import (
    HttpLimits,
    LimitedHttpProtocol,
    Refusal,
    RefusalAnswer,
    RequestHead,
    json_error,
)
from simpul.core.settings import Settings


class GatewayHttpProtocol(LimitedHttpProtocol):
    @classmethod
    def http_limits(cls, settings: Settings) -> HttpLimits:
        return replace(
            super().http_limits(settings), max_body_bytes=settings.gateway_max_body_bytes
        )

    def refusal(self, refusal: Refusal, head: RequestHead) -> RefusalAnswer:
        request_id = str(uuid.uuid4())
        return RefusalAnswer(
            "application/json",
            json_error(refusal, request_id=request_id),
            ((b"x-request-id", request_id.encode()),),
        )

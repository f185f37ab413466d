"""The header's bell: how many notifications the signed-in user has not read.

The layout calls ``unread_notifications(request)`` (a Jinja global) once per page; it counts
with one indexed query in the request's own session and remembers the answer on the request.
Pages without a signed-in user, or rendered after the session ended (an error page), show the
bell without a count and cost no query.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request

from simpul.notify import service

log = logging.getLogger(__name__)


def unread_notifications(request: Request) -> int | None:
    """The count for the bell, or None when it cannot be known cheaply."""
    state = request.state
    cached: Any = getattr(state, "unread_notifications", None)
    if isinstance(cached, int):
        return cached
    user = getattr(state, "user", None)
    region = getattr(state, "region", None)
    held = getattr(state, "db", None)
    if user is None or region is None or held is None:
        return None
    try:
        count = service.unread_count(held.session, region.id, user.id)
    except Exception:  # the bell must never break the page it sits on
        log.exception("the bell's unread count failed")
        return None
    state.unread_notifications = count
    return count

"""The request boundary: a route class that commits the request's session before responding.

Services only flush. The handler's return means the work is complete, so it is committed
here, before the response leaves; any exception (cancellation included) rolls everything
back, except a ``DomainError`` marked ``keep_record`` (its service rolled its work back to a
savepoint and kept only the record of the refused attempt). This is the only place in the
web app that commits. Either way the session is closed and its connection and gate slot given
back here, before the response is sent, so a slow client reading its response holds neither
(``core.database.RequestSession``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from simpul.core.database import RequestSession
from simpul.core.errors import DomainError


class CommittingRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except DomainError as exc:
                await _finish(request, commit=exc.keep_record)
                raise
            except BaseException:
                await _finish(request, commit=False)
                raise
            await _finish(request, commit=True)
            return response

        return handle


async def _finish(request: Request, *, commit: bool) -> None:
    held: RequestSession | None = getattr(request.state, "db", None)
    if held is None:
        return
    request.state.db = None
    await held.end(commit=commit)

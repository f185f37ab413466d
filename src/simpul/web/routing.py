"""The request boundary: a route class that commits the request's session before responding.

Services only flush. The handler's return means the work is complete, so it is committed
here, before the response leaves; any exception rolls everything back, except a
``DomainError`` marked ``keep_record`` (its service rolled its work back to a savepoint and
kept only the record of the refused attempt). This is the only place in the web app that
commits.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

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
    session: Session | None = getattr(request.state, "db", None)
    if session is None:
        return
    request.state.db = None
    await run_in_threadpool(session.commit if commit else session.rollback)

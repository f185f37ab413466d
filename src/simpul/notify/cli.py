"""``simpul worker``: deliver queued notifications (e-mail, webhook) until stopped."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from simpul.core.i18n import ngettext

worker_app = typer.Typer(help="Deliver queued notifications (e-mail, webhook).")


@worker_app.callback(invoke_without_command=True)
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then stop.")
    ] = False,
) -> None:
    """Deliver notifications, retrying failed ones; stops cleanly on SIGTERM or Ctrl+C."""
    from simpul.core.database import get_engine
    from simpul.notify.worker import run_worker

    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        count = run_worker(get_engine(), once=once, stop=stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.echo(
        ngettext("%(num)d pengiriman dikerjakan.", "%(num)d pengiriman dikerjakan.", count)
        % {"num": count}
    )

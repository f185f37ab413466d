"""``simpul worker``: deliver queued notifications, issue signed documents and delete
abandoned uploads until stopped."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from simpul.core.i18n import ngettext

worker_app = typer.Typer(
    help="Deliver queued notifications, make signed documents, delete abandoned uploads."
)


@worker_app.callback(invoke_without_command=True)
def worker(
    once: Annotated[bool, typer.Option("--once", help="Do what is due now, then stop.")] = False,
) -> None:
    """Deliver notifications, issue documents and delete uploads never attached, retrying
    failures; stops on SIGTERM/Ctrl+C."""
    from simpul.applications.upload_cleanup import abandoned_uploads_step
    from simpul.applications.uploads import storage_from_settings
    from simpul.complaints.escalation import escalation_step
    from simpul.complaints.forwarding import FORWARD_CHANNEL, forwarding_step
    from simpul.core import file_removals, jobs
    from simpul.core.database import get_engine
    from simpul.core.settings import get_settings
    from simpul.documents.issuing import JOBS_CHANNEL, issue_config, issuing_step
    from simpul.identity.closure import purge_step
    from simpul.identity.oidc.backchannel import BACKCHANNEL_CHANNEL, backchannel_step
    from simpul.notify import config as notify_config_module
    from simpul.notify import repository as notify_repository
    from simpul.notify import worker as notify_worker
    from simpul.notify.channels import senders_from

    engine = get_engine()
    settings = get_settings()
    storage = storage_from_settings(settings)
    config = notify_config_module.notify_config()
    steps = [
        notify_worker.delivery_step(
            engine, config, senders_from(config.smtp, config.webhook_timeout, config.whatsapp)
        ),
        issuing_step(engine, storage, issue_config()),
        # Rows first (their files recorded), then the recorded files: see upload_cleanup.
        abandoned_uploads_step(engine, hours=settings.upload_unattached_hours),
        file_removals.removal_step(engine, storage),
        escalation_step(engine, minutes=settings.complaint_escalation_minutes),
        forwarding_step(engine),
        purge_step(engine),
        backchannel_step(engine),
    ]
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if once:
            count = jobs.run_steps_once(steps)
        else:
            count = jobs.run_loop(
                engine,
                steps,
                [
                    notify_repository.OUTBOX_CHANNEL,
                    JOBS_CHANNEL,
                    FORWARD_CHANNEL,
                    BACKCHANNEL_CHANNEL,
                ],
                poll_seconds=config.poll_seconds,
                stop=stop,
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.echo(
        ngettext("%(num)d pekerjaan dikerjakan.", "%(num)d pekerjaan dikerjakan.", count)
        % {"num": count}
    )

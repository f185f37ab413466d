"""The notification settings, read from ``simpul.core.settings`` with safe defaults.

Each value is read with ``getattr`` so this package works whether or not ``Settings`` declares
the field yet; ``Settings`` documents them (``SIMPUL_SMTP_HOST``, ``SIMPUL_NOTIFY_...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simpul.core.queue import Backoff
from simpul.core.settings import Settings, get_settings


def _get(settings: Settings, name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    return default if value is None else value


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    #: 8025 is where ``python -m aiosmtpd -n`` listens: a real local server for the demo.
    port: int = 8025
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "Simpul <noreply@localhost>"
    timeout: float = 10.0


@dataclass(frozen=True)
class NotifyConfig:
    """How deliveries are sent and retried."""

    smtp: SmtpConfig
    #: The region's messaging gateway adapter (WhatsApp, SMS). A deployment-wide setting for
    #: now, a stop-gap until regions configure their own; unset: no webhook deliveries.
    webhook_url: str | None = None
    webhook_timeout: float = 10.0
    #: Links in messages start with this (the address citizens open Simpul at).
    public_url: str = "http://127.0.0.1:8000"
    max_attempts: int = 8
    #: The first retry waits about this long; each next one twice as long, up to the cap.
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    #: How long a worker may hold a delivery it is sending before another may take it over.
    lease_seconds: float = 300.0
    #: How often an idle worker looks for due retries (NOTIFY wakes it for new deliveries).
    poll_seconds: float = 5.0
    batch_size: int = 20

    @property
    def backoff(self) -> Backoff:
        return Backoff(self.max_attempts, self.retry_base_seconds, self.retry_max_seconds)


def notify_config(settings: Settings | None = None) -> NotifyConfig:
    s = settings or get_settings()
    defaults = NotifyConfig(smtp=SmtpConfig())
    smtp = SmtpConfig(
        host=_get(s, "smtp_host", defaults.smtp.host),
        port=int(_get(s, "smtp_port", defaults.smtp.port)),
        user=_get(s, "smtp_user", None),
        password=_get(s, "smtp_password", None),
        starttls=bool(_get(s, "smtp_starttls", defaults.smtp.starttls)),
        sender=_get(s, "smtp_from", defaults.smtp.sender),
        timeout=float(_get(s, "smtp_timeout_seconds", defaults.smtp.timeout)),
    )
    return NotifyConfig(
        smtp=smtp,
        webhook_url=_get(s, "notify_webhook_url", None) or None,
        public_url=_get(s, "public_url", defaults.public_url),
        max_attempts=int(_get(s, "notify_max_attempts", defaults.max_attempts)),
        retry_base_seconds=float(_get(s, "notify_retry_base_seconds", defaults.retry_base_seconds)),
        retry_max_seconds=float(_get(s, "notify_retry_max_seconds", defaults.retry_max_seconds)),
        lease_seconds=float(_get(s, "notify_lease_seconds", defaults.lease_seconds)),
        poll_seconds=float(_get(s, "notify_poll_seconds", defaults.poll_seconds)),
    )

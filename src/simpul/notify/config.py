"""The notification settings, read from ``simpul.core.settings`` with safe defaults.

Each value is read with ``getattr`` so this package works whether or not ``Settings`` declares
the field yet; ``Settings`` documents them (``SIMPUL_SMTP_HOST``, ``SIMPUL_NOTIFY_...``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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


#: Our notice kinds and the WhatsApp message templates that say them. Each template is
#: approved in Meta's WhatsApp Manager in language ``id`` with two body variables: {{1}} the
#: notification's text, {{2}} the link to the application (decision 0050). ``*``: any other kind.
DEFAULT_WHATSAPP_TEMPLATES: dict[str, str] = {
    "submitted": "simpul_permohonan_diterima",
    "advanced": "simpul_permohonan_lanjut",
    "returned": "simpul_permohonan_dikembalikan",
    "resubmitted": "simpul_perbaikan_diterima",
    "completed": "simpul_permohonan_selesai",
    "document_issued": "simpul_dokumen_terbit",
    "document_revoked": "simpul_dokumen_dicabut",
    "rejected": "simpul_permohonan_ditolak",
    "*": "simpul_pemberitahuan",
}


@dataclass(frozen=True)
class WhatsAppConfig:
    """The WhatsApp Business Cloud API account a deployment sends from. The token and the
    app secret are ``SecretStr``: they print as ``**********`` in logs and tracebacks."""

    phone_number_id: str
    token: SecretStr
    #: Signs the status webhooks Meta posts to us (``X-Hub-Signature-256``).
    app_secret: SecretStr
    #: What we answer Meta's subscription handshake with (``hub.verify_token``).
    verify_token: SecretStr
    api_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    language: str = "id"
    templates: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_WHATSAPP_TEMPLATES))
    timeout: float = 10.0
    #: A status callback larger than this is refused unread (Meta's are a few KiB).
    max_webhook_bytes: int = 64 * 1024

    def template_for(self, kind: str) -> str:
        return self.templates.get(kind) or self.templates.get("*") or "simpul_pemberitahuan"

    @property
    def messages_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/{self.api_version}/{self.phone_number_id}/messages"


class _WhatsAppSettings(BaseSettings):
    """``SIMPUL_WHATSAPP_*``: unset token or phone number id means no WhatsApp channel."""

    model_config = SettingsConfigDict(
        env_prefix="SIMPUL_WHATSAPP_", env_file=".env", extra="ignore"
    )

    phone_number_id: str = ""
    token: SecretStr = SecretStr("")
    app_secret: SecretStr = SecretStr("")
    verify_token: SecretStr = SecretStr("")
    api_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    #: JSON object, kind -> template name, merged over the defaults.
    templates: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0)


@lru_cache
def whatsapp_config() -> WhatsAppConfig | None:
    """The deployment's WhatsApp account, or None when it has none (all four secrets needed)."""
    s = _WhatsAppSettings()
    secrets = (s.token, s.app_secret, s.verify_token)
    if not s.phone_number_id or not all(secret.get_secret_value() for secret in secrets):
        return None
    templates = dict(DEFAULT_WHATSAPP_TEMPLATES)
    if s.templates:
        extra = json.loads(s.templates)
        if not isinstance(extra, dict):
            raise ValueError("SIMPUL_WHATSAPP_TEMPLATES must be a JSON object")
        templates.update({str(k): str(v) for k, v in extra.items()})
    return WhatsAppConfig(
        phone_number_id=s.phone_number_id,
        token=s.token,
        app_secret=s.app_secret,
        verify_token=s.verify_token,
        api_url=s.api_url,
        api_version=s.api_version,
        templates=templates,
        timeout=s.timeout_seconds,
    )


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
    #: The WhatsApp Business account; None: no WhatsApp channel.
    whatsapp: WhatsAppConfig | None = None

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
        whatsapp=whatsapp_config(),
    )

"""The channels a delivery goes through: e-mail over SMTP, a signed JSON webhook, and
WhatsApp template messages through the WhatsApp Business Cloud API.

Each is a ``ChannelSender``: ``send`` returns a short note on success and raises
``DeliveryError`` otherwise, saying whether trying again could help. Neither logs addresses
or message text; their notes carry status codes, never personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, Final, Protocol

from simpul.core.security import derived_key
from simpul.notify.config import SmtpConfig, WhatsAppConfig
from simpul.notify.messages import Message, render_email
from simpul.notify.models import Channel

SIGNATURE_HEADER: Final = "X-Simpul-Signature"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
#: The HKDF purpose of the key that signs webhook bodies (adapters get it from the operator).
WEBHOOK_KEY_PURPOSE: Final = "notify-webhook"
#: Answers after which trying again may succeed; other 4xx answers are final.
_RETRYABLE_STATUS: Final = frozenset({408, 409, 425, 429})


class DeliveryError(Exception):
    """A try failed. ``permanent``: trying again cannot help (the address is refused)."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail[:300]
        self.permanent = permanent


@dataclass(frozen=True)
class Job:
    """One claimed delivery, with everything needed to send it outside the transaction."""

    delivery_id: uuid.UUID
    region_id: uuid.UUID
    attempt: int
    channel: Channel
    recipient: str
    region_slug: str
    event: str
    message: Message
    #: Who it is for, as the webhook adapter needs them (id, name, phone, e-mail).
    person: dict[str, Any] = field(default_factory=dict)


class SentNote(str):
    """What ``send`` returns when the provider gave the message an id of its own (WhatsApp's
    ``wamid``): the worker keeps it, so the provider's status callbacks find the delivery."""

    provider_message_id: str

    def __new__(cls, note: str, provider_message_id: str) -> SentNote:
        made = super().__new__(cls, note)
        made.provider_message_id = provider_message_id
        return made


class ChannelSender(Protocol):
    def send(self, job: Job) -> str: ...


class EmailChannel:
    """Multipart (text and HTML) e-mail through an SMTP server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def build(self, job: Job) -> EmailMessage:
        text, html = render_email(job.message)
        sender_name, sender_address = parseaddr(self.config.sender)
        mail = EmailMessage()
        mail["Subject"] = job.message.title
        mail["From"] = formataddr((sender_name or job.message.region_name, sender_address))
        mail["To"] = job.recipient
        mail["Message-ID"] = make_msgid(idstring=job.delivery_id.hex)
        mail["Content-Language"] = job.message.locale
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
        return mail

    def send(self, job: Job) -> str:
        mail = self.build(job)
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.user:
                    smtp.login(config.user, config.password or "")
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _text in exc.recipients.values()})
            raise DeliveryError(
                f"SMTP refused the recipient ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP error {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable ({type(exc).__name__})") from None
        if refused:
            raise DeliveryError("SMTP refused the recipient", permanent=True)
        return "SMTP 250"


def webhook_signature(body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the body under the deployment's webhook key."""
    digest = hmac.new(derived_key(WEBHOOK_KEY_PURPOSE), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_payload(job: Job) -> dict[str, Any]:
    """The JSON a messaging gateway adapter (WhatsApp, SMS) receives."""
    message = job.message
    return {
        "id": str(job.delivery_id),
        "event": job.event,
        "region": job.region_slug,
        "recipient": job.person,
        "message": {"title": message.title, "body": message.body, "url": message.url},
        "locale": message.locale,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would drop or resend the body: report it as the answer instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookChannel:
    """POST the delivery as signed JSON; the delivery id is the idempotency key."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, job: Job) -> str:
        if not job.recipient.startswith(("https://", "http://")):
            raise DeliveryError("webhook URL must be http(s)", permanent=True)
        body = json.dumps(webhook_payload(job), ensure_ascii=False, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            job.recipient,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                IDEMPOTENCY_HEADER: str(job.delivery_id),
                SIGNATURE_HEADER: webhook_signature(body),
                "User-Agent": "Simpul-Notify/1",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            exc.close()
            status = exc.code
            permanent = 300 <= status < 500 and status not in _RETRYABLE_STATUS
            raise DeliveryError(f"HTTP {status}", permanent=permanent) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook unreachable ({type(reason).__name__})") from None


#: WhatsApp refuses a template variable with new lines, tabs or more than four spaces in a row,
#: and longer than 1,024 characters (a body: 32,768 in all).
_WHATSAPP_PARAMETER_MAX: Final = 1024


def whatsapp_number(phone: str) -> str:
    """An Indonesian number as WhatsApp wants it: digits with the country code (0812... ->
    62812...); empty when it is not a number."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return ""
    if digits.startswith("0"):
        return "62" + digits[1:]
    return digits


def _template_text(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > _WHATSAPP_PARAMETER_MAX:
        flat = flat[: _WHATSAPP_PARAMETER_MAX - 1] + "…"
    return flat


def whatsapp_payload(job: Job, config: WhatsAppConfig) -> dict[str, Any]:
    """The Cloud API's template message: the template our notice kind maps to, in Indonesian,
    with the notification's text and its link as the body's two variables."""
    message = job.message
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": job.recipient,
        "type": "template",
        "template": {
            "name": config.template_for(job.event),
            "language": {"code": config.language},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": _template_text(message.body)},
                        {"type": "text", "text": _template_text(message.url)},
                    ],
                }
            ],
        },
    }


def _graph_error_code(body: bytes) -> str:
    """The Graph API's error code, if the answer carries one (never its message text, which
    may echo the number)."""
    try:
        error = json.loads(body).get("error", {})
        return f" code {int(error.get('code'))}" if error.get("code") is not None else ""
    except (ValueError, TypeError, AttributeError):
        return ""


class WhatsAppChannel:
    """A template message through ``POST /{version}/{phone-number-id}/messages`` with the
    account's bearer token. 5xx, 429 and network errors are tried again; other refusals are
    final. Neither the token nor the number reaches a note or a log."""

    def __init__(self, config: WhatsAppConfig) -> None:
        self.config = config
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, job: Job) -> str:
        if not job.recipient.isdigit():
            raise DeliveryError("no WhatsApp number", permanent=True)
        body = json.dumps(
            whatsapp_payload(job, self.config), ensure_ascii=False, separators=(",", ":")
        ).encode()
        url = self.config.messages_url
        if not url.startswith(("https://", "http://")):
            raise DeliveryError("WhatsApp API URL must be http(s)", permanent=True)
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.config.token.get_secret_value()}",
                "User-Agent": "Simpul-Notify/1",
            },
        )
        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:
                status, answer = response.status, response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read(64 * 1024)
            exc.close()
            retry = status >= 500 or status in _RETRYABLE_STATUS
            raise DeliveryError(
                f"WhatsApp API HTTP {status}{_graph_error_code(answer)}", permanent=not retry
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"WhatsApp API unreachable ({type(reason).__name__})") from None
        try:
            message_id = str(json.loads(answer)["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise DeliveryError(f"WhatsApp API HTTP {status} without a message id") from None
        return SentNote(f"WhatsApp API HTTP {status}", message_id[:200])


def senders_from(
    smtp: SmtpConfig, webhook_timeout: float, whatsapp: WhatsAppConfig | None = None
) -> dict[Channel, ChannelSender]:
    senders: dict[Channel, ChannelSender] = {
        Channel.EMAIL: EmailChannel(smtp),
        Channel.WEBHOOK: WebhookChannel(webhook_timeout),
    }
    if whatsapp is not None:
        senders[Channel.WHATSAPP] = WhatsAppChannel(whatsapp)
    return senders

"""A local server that speaks the WhatsApp Business Cloud API, as Meta documents it, for tests.

``POST /{version}/{phone-number-id}/messages`` checks the bearer token and the template
message's shape the way the Graph API does (401 with ``OAuthException`` code 190 for a bad
token, 400 with code 100 for a malformed message), and answers
``{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}``.
A test can script failures first (``answers``: 503, 429...). ``status_callback`` builds the
signed status webhook Meta would post back (``X-Hub-Signature-256`` over the raw body with the
app secret), and ``post_status`` posts it to us.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/(v\d+\.\d+)/(\d+)/messages$")


@dataclass
class CloudApi:
    """What the fake account accepts and what it received."""

    phone_number_id: str = "106540352242922"
    token: str = "EAAG-test-token-" + uuid.uuid4().hex
    app_secret: str = "app-secret-" + uuid.uuid4().hex
    #: Answers to give before accepting (HTTP statuses), consumed in order.
    answers: list[int] = field(default_factory=list)
    #: The accepted messages: (wamid, payload).
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Every request's Authorization header and path, accepted or not.
    requests: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def status_callback(
        self,
        message_id: str,
        status: str,
        *,
        recipient: str = "6281234567890",
        error_code: int | None = None,
        phone_number_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The webhook Meta posts when a message's status changes, and its signed headers."""
        entry: dict[str, Any] = {
            "id": str(message_id),
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": recipient,
        }
        if error_code is not None:
            entry["errors"] = [
                {
                    "code": error_code,
                    "title": "Message undeliverable",
                    "error_data": {"details": "Message failed to send."},
                }
            ]
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550783881",
                                        "phone_number_id": phone_number_id or self.phone_number_id,
                                    },
                                    "statuses": [entry],
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        digest = hmac.new((secret or self.app_secret).encode(), body, hashlib.sha256).hexdigest()
        return body, {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": f"sha256={digest}",
        }

    def post_status(self, client: Any, url: str, message_id: str, status: str, **kw: Any) -> Any:
        """Post a signed status callback to ``url`` with ``client`` (a TestClient or httpx)."""
        body, headers = self.status_callback(message_id, status, **kw)
        return client.post(url, content=body, headers=headers)


def _graph_error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}
    }


def _problem(payload: Any) -> str | None:
    """Why the Graph API would refuse this template message, or None."""
    if not isinstance(payload, dict) or payload.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if not re.fullmatch(r"\d{8,15}", str(payload.get("to", ""))):
        return "to must be a phone number with its country code"
    if payload.get("type") != "template":
        return "type must be template"
    template = payload.get("template")
    if not isinstance(template, dict) or not re.fullmatch(
        r"[a-z0-9_]{1,512}", template.get("name", "")
    ):
        return "template.name is required"
    if not isinstance(template.get("language"), dict) or not template["language"].get("code"):
        return "template.language.code is required"
    for component in template.get("components", []):
        if component.get("type") != "body":
            return "only body components are expected"
        for parameter in component.get("parameters", []):
            text = parameter.get("text")
            if parameter.get("type") != "text" or not isinstance(text, str) or not text:
                return "parameters must be non-empty text"
            if "\n" in text or "\t" in text or "     " in text or len(text) > 1024:
                return "Param text cannot have new-line/tab characters or more than 4 spaces"
    return None


def _answer(api: CloudApi, path: str, authorization: str, raw: bytes) -> tuple[int, dict[str, Any]]:
    with api.lock:
        api.requests.append((authorization, path))
        scripted = api.answers.pop(0) if api.answers else None
    match = _PATH.match(path)
    if match is None or match.group(2) != api.phone_number_id:
        return _graph_error(400, 100, "Unsupported post request.")
    if not hmac.compare_digest(authorization.encode(), f"Bearer {api.token}".encode()):
        return _graph_error(401, 190, "Invalid OAuth access token.")
    if scripted is not None:
        return _graph_error(scripted, 131000 if scripted >= 500 else 130429, "Scripted failure")
    try:
        payload = json.loads(raw)
    except ValueError:
        return _graph_error(400, 100, "Invalid JSON")
    problem = _problem(payload)
    if problem is not None:
        return _graph_error(400, 100, f"(#100) {problem}")
    wamid = "wamid." + uuid.uuid4().hex.upper()
    with api.lock:
        api.sent.append((wamid, payload))
    return 200, {
        "messaging_product": "whatsapp",
        "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
        "messages": [{"id": wamid, "message_status": "accepted"}],
    }


@contextmanager
def running_cloud_api(api: CloudApi | None = None) -> Iterator[CloudApi]:
    """The fake Graph API on a free loopback port, for the duration of the block."""
    api = api or CloudApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            status, body = _answer(api, self.path, self.headers.get("Authorization", ""), raw)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

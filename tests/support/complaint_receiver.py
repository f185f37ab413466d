"""A real HTTP server on loopback that receives forwarded complaints (the other region, or
a national channel): it checks each delivery's signature as ``inbound_api`` does, records it,
and answers with the next scripted status (or hands the request to a callable, e.g. the
receiving region's app under test)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from simpul.complaints import service as complaints

#: ``(headers, body) -> (status, answer body)``: pass the delivery on (to the app under test).
Relay = Callable[[dict[str, str], bytes], tuple[int, bytes]]


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def payload(self) -> dict[str, object]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


@dataclass
class Receiver:
    secret: str
    url: str = ""
    #: Statuses to answer, in turn (the last one repeats); 201 when empty.
    statuses: list[int] = field(default_factory=list)
    relay: Relay | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        valid = complaints.forward_signature_valid(
            self.secret,
            headers.get("x-simpul-timestamp", ""),
            headers.get("x-simpul-signature", ""),
            body,
        )
        self.deliveries.append(Delivery(headers, body, valid))
        if not valid:
            return 401, b'{"error":"bad signature"}'
        if self.relay is not None:
            return self.relay(headers, body)
        status = 201
        if self.statuses:
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        number = f"REMOTE-{len(self.deliveries)}"
        return status, json.dumps({"number": number}).encode()


@contextmanager
def complaint_receiver(secret: str, *, path: str = "/inbound") -> Iterator[Receiver]:
    receiver = Receiver(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = receiver.answer(headers, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: pytest shows what matters

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

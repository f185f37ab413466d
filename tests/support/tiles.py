"""A tiny real map tile server for browser tests: ``/{z}/{x}/{y}.png`` answers a generated
256×256 PNG (a checkerboard tinted by the tile's position), so Leaflet draws a real map."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw

_TILE = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


@lru_cache(maxsize=512)
def tile_png(z: int, x: int, y: int) -> bytes:
    shade = 200 + (x + y) % 2 * 30
    image = Image.new("RGB", (256, 256), (shade, shade - 10, shade - 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(150, 150, 150))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(80, 80, 80))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        match = _TILE.match(self.path.split("?", 1)[0])
        if not match:
            self.send_error(404)
            return
        body = tile_png(*(int(g) for g in match.groups()))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running_tile_server() -> Iterator[str]:
    """Serve tiles on 127.0.0.1 (a free port) until the block ends; yields the URL template
    Leaflet takes (``http://127.0.0.1:PORT/{z}/{x}/{y}.png``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    finally:
        server.shutdown()
        server.server_close()

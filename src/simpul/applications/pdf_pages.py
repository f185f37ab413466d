"""PDF pages as PNG images, rendered by PDFium in a child process with hard limits.

Officers preview a citizen's PDF as page images (decision 0043): an image shows on every phone
and old browser, and no PDF (nor any script in one) ever reaches the officer's browser. PDFium
parses untrusted input, so it runs in a child process that first caps its own memory, CPU time
and file writes, and is killed when it runs past ``timeout``; whatever the file does, the server
process only ever sees a PNG or a failure.

This file is also the child's program (``python pdf_pages.py PAGE``): it imports nothing from
Simpul, so the child starts fast and never holds the server's settings or secrets.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Final

#: Pages an officer can page through; a longer PDF is downloaded for the rest.
MAX_PAGES: Final = 30
#: Largest rendered image, in pixels: wide enough to read a KTP on a desktop screen.
MAX_WIDTH: Final = 1200
MAX_HEIGHT: Final = 1800
#: Largest zoom: a tiny page is not blown up into a huge image.
MAX_SCALE: Final = 2.0
#: The child's limits: address space, CPU seconds, and the wall clock the parent waits.
MEMORY_BYTES: Final = 768 * 1024 * 1024
CPU_SECONDS: Final = 10
TIMEOUT_SECONDS: Final = 15.0
#: Largest input handed to the child (uploads are far smaller).
MAX_INPUT_BYTES: Final = 64 * 1024 * 1024
#: What the child prints when the page asked for is past the end (the count follows).
_PAST_END_EXIT: Final = 3


class RenderFailed(Exception):
    """The PDF could not be shown as an image (damaged, too heavy, too slow, no such page)."""


@dataclass(frozen=True, slots=True)
class RenderedPage:
    png: bytes
    #: How many pages the PDF has (an officer can page through ``min(pages, MAX_PAGES)``).
    pages: int


def render_page(
    data: bytes, page: int, *, timeout: float = TIMEOUT_SECONDS, cpu_seconds: int = CPU_SECONDS
) -> RenderedPage:
    """Page ``page`` (1-based) of the PDF in ``data`` as a PNG; ``RenderFailed`` otherwise."""
    if not 1 <= page <= MAX_PAGES or len(data) > MAX_INPUT_BYTES:
        raise RenderFailed("page or input out of bounds")
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and this file, no shell
            [sys.executable, "-I", os.path.abspath(__file__), str(page), str(cpu_seconds)],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        raise RenderFailed("timed out") from exc
    head, _, png = done.stdout.partition(b"\n")
    if done.returncode != 0 or not head.isdigit() or not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RenderFailed(f"renderer exit {done.returncode}")
    return RenderedPage(png=png, pages=int(head))


def _limit_myself(cpu_seconds: int) -> None:
    import resource  # POSIX only, and only the child needs it

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(page: int, cpu_seconds: int) -> int:
    """Read a PDF on stdin, write ``<pages>\\n<png>`` on stdout; never run the PDF's scripts."""
    _limit_myself(cpu_seconds)
    data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    import pypdfium2  # type: ignore[import-untyped]  # loaded after the limits are in place

    document = pypdfium2.PdfDocument(data)  # no form environment: no JavaScript runs
    count = len(document)
    if page > count:
        sys.stdout.buffer.write(b"%d\n" % count)
        return _PAST_END_EXIT
    sheet = document[page - 1]
    width, height = sheet.get_size()
    scale = min(MAX_WIDTH / max(width, 1.0), MAX_HEIGHT / max(height, 1.0), MAX_SCALE)
    image = sheet.render(scale=scale, may_draw_forms=False).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    sys.stdout.buffer.write(b"%d\n" % count + out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(int(sys.argv[1]), int(sys.argv[2])))

"""Simpul's own static files and htmx, under fingerprinted names a browser may keep for a year.

``simpul.css`` is linked as ``simpul.<hash>.css``: the hash is the file's content, so a new
release changes the address and a cached copy can be kept without asking again
(``immutable``). The plain name keeps working for pages or scripts that name it, with a short
cache. A name with a hash that is not the file's current one (a page rendered before a
release) gets the current file, with the short cache too.
"""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path

import anyio
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: A fingerprinted file never changes: a year, and no revalidation.
IMMUTABLE = "public, max-age=31536000, immutable"
#: An unfingerprinted (or outdated) name may change with the next release: check every hour.
SHORT = "public, max-age=3600, must-revalidate"

HASH_LENGTH = 12
_FINGERPRINTED = re.compile(
    rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<ext>\.[^./]+)$"
)

_hashes: dict[tuple[str, int, int], str] = {}


def node_modules() -> Path:
    """Browser libraries come from installed npm packages (package.json), never copied in:
    ``node_modules`` of the source checkout, else of the working directory."""
    checkout = Path(__file__).resolve().parents[3] / "node_modules"
    return checkout if checkout.is_dir() else Path.cwd() / "node_modules"


def htmx_dir() -> Path:
    return node_modules() / "htmx.org" / "dist"


def leaflet_dir() -> Path:
    return node_modules() / "leaflet" / "dist"


#: The folders a ``static_url`` may name, by their mount under ``/static``.
FOLDERS: dict[str, Path] = {}


def folders() -> dict[str, Path]:
    if not FOLDERS:
        FOLDERS.update({"app": STATIC_DIR, "htmx": htmx_dir(), "leaflet": leaflet_dir()})
    return FOLDERS


def content_hash(path: Path) -> str:
    """The first hex digits of the file's SHA-256, remembered while size and mtime stay."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _hashes.get(key)
    if found is None:
        found = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
        _hashes[key] = found
    return found


def fingerprinted_name(name: str, folder: Path) -> str:
    """``simpul.css`` -> ``simpul.<hash>.css``; a file that is missing keeps its plain name."""
    path = folder / name
    if not path.is_file():
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return f"{name}.{content_hash(path)}"
    return f"{stem}.{content_hash(path)}.{ext}"


class FingerprintedFiles(StaticFiles):
    """StaticFiles that also answers ``name.<hash>.ext`` and sets ``Cache-Control``.

    The path is resolved by StaticFiles' own ``lookup_path`` (which refuses anything outside
    the folder) both for the plain and the fingerprinted name, so a hash cannot smuggle a
    ``..`` past it."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        cache = SHORT
        match = _FINGERPRINTED.match(path)
        if match:
            plain = match["stem"] + match["ext"]
            full_path, found = await anyio.to_thread.run_sync(self.lookup_path, plain)
            if found is not None and stat.S_ISREG(found.st_mode):
                path = plain
                current = await anyio.to_thread.run_sync(content_hash, Path(full_path))
                if current == match["hash"]:
                    cache = IMMUTABLE
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = cache
        return response

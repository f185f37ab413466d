"""Jinja2 templates shared by every domain's pages, translated through gettext."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from simpul.core import i18n
from simpul.core.text import strip_unsafe_characters
from simpul.web import static_files
from simpul.web.csrf import csrf_token

_PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [
    _PACKAGE / "web" / "templates",
    _PACKAGE / "catalogue" / "templates",
    _PACKAGE / "accounts" / "templates",
    _PACKAGE / "applications" / "templates",
    _PACKAGE / "complaints" / "templates",
    _PACKAGE / "identity" / "templates",
    _PACKAGE / "inventory" / "templates",
    _PACKAGE / "gateway" / "templates",
    _PACKAGE / "notify" / "templates",
    _PACKAGE / "documents" / "templates",
    _PACKAGE / "evaluation" / "savings" / "templates",
    _PACKAGE / "evaluation" / "assessments" / "templates",
    _PACKAGE / "evaluation" / "kpis" / "templates",
    _PACKAGE / "evaluation" / "comparison" / "templates",
    _PACKAGE / "evaluation" / "surveys" / "templates",
]


def rupiah(amount: int) -> str:
    """Rp1.500.000 as Indonesians write it; free services say so."""
    if amount == 0:
        return i18n.gettext("Gratis")
    return "Rp" + f"{amount:,}".replace(",", ".")


def filesize(size: int) -> str:
    """A size people read: "< 1 KB", "240 KB", "1,4 MB" (Indonesian decimal comma)."""
    if size < 1024:
        return "< 1 KB"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def static_url(name: str, folder: str = "app") -> str:
    """The fingerprinted address of a static file: ``static_url('simpul.css')`` ->
    ``/static/app/simpul.<hash>.css`` (Simpul's own, ``web/static``), ``static_url(
    'htmx.min.js', 'htmx')`` -> htmx's; browsers keep them for a year (``web.static_files``)."""
    directory = static_files.folders()[folder]
    return f"/static/{folder}/{static_files.fingerprinted_name(name, directory)}"


def in_language(item: Mapping[str, Any], key: str) -> str:
    """``item[key]`` in the page's language: on English pages the ``<key>_en`` the region wrote
    (a requirement's ``name_en``), else the Indonesian."""
    if i18n.current_locale.get() == "en" and item.get(f"{key}_en"):
        return str(item[f"{key}_en"])
    return str(item.get(key, ""))


def text_block(value: str) -> Markup:
    """Render standard text: lines starting with "- " or "1. " become lists, others paragraphs."""
    html: list[str] = []
    kind = None
    for raw in value.splitlines():
        line = raw.strip()
        if not line:
            continue
        item_kind = None
        content = line
        if line.startswith(("- ", "• ")):
            item_kind, content = "ul", line[2:]
        else:
            head, dot, rest = line.partition(". ")
            if dot and head.isdigit():
                item_kind, content = "ol", rest
        if item_kind != kind:
            if kind:
                html.append(f"</{kind}>")
            if item_kind:
                html.append(f"<{item_kind}>")
            kind = item_kind
        if item_kind:
            html.append(f"<li>{escape(content)}</li>")
        else:
            html.append(f"<p>{escape(content)}</p>")
    if kind:
        html.append(f"</{kind}>")
    return Markup("".join(html))  # noqa: S704 - every piece above is escaped


def shown(value: Any) -> Any:
    """What ``{{ ... }}`` prints: text without NUL or bidirectional controls (``core.text``),
    so a value stored before they were refused cannot turn a page's text around."""
    if isinstance(value, Markup):
        return Markup(strip_unsafe_characters(str(value)))  # noqa: S704 - already markup
    if isinstance(value, str):
        return strip_unsafe_characters(value)
    return value


def _unread_notifications(request: Request) -> int | None:
    """The bell's count (notify); imported late: notify's pages import this module."""
    from simpul.notify.bell import unread_notifications

    return unread_notifications(request)


def _complaints_waiting(request: Request) -> int | None:
    """The staff menu's complaint count; imported late: the complaint pages import this module."""
    from simpul.complaints.backoffice import complaints_waiting

    return complaints_waiting(request)


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
        finalize=shown,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.globals["static_url"] = static_url
    env.filters["rupiah"] = rupiah
    env.filters["text_block"] = text_block
    env.filters["filesize"] = filesize
    env.filters["in_language"] = in_language
    # Dates as people read them, in the page's language: ``{{ d | tanggal }}`` ->
    # "20 November 2026"; ``{{ moment | waktu(tz) }}`` -> "20 November 2026 14.05".
    env.filters["tanggal"] = i18n.format_date
    env.filters["waktu"] = i18n.format_datetime
    env.globals["unread_notifications"] = _unread_notifications
    env.globals["complaints_waiting"] = _complaints_waiting
    return env


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with what every layout needs (locale, CSRF token, user, region)."""
    state = request.state
    region = getattr(state, "region", None)
    full = {
        "request": request,
        "tz": ZoneInfo(region.timezone if region else "Asia/Jakarta"),
        "locale": getattr(state, "locale", i18n.DEFAULT_LOCALE),
        "csrf_token": csrf_token(request),
        "user": getattr(state, "user", None),
        "region": region,
        "htmx": request.headers.get("HX-Request") == "true",
        **(context or {}),
    }
    html = environment().get_template(template).render(full)
    return HTMLResponse(html, status_code=status_code)

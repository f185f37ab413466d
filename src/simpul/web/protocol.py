"""``simpul serve``'s HTTP protocol: the limits of ``core.httpserver``, refused the way the
portal answers errors: JSON (``{"error": ...}``) under ``/api/``, a short page otherwise, in
the visitor's language (the ``simpul_lang`` cookie; the API also honours
``Accept-Language``)."""

from __future__ import annotations

import contextlib
from http.cookies import CookieError, SimpleCookie

from markupsafe import escape

from simpul.core import i18n
from simpul.core.httpserver import (
    LimitedHttpProtocol,
    Refusal,
    RefusalAnswer,
    RequestHead,
    json_error,
)
from simpul.web.middleware import LOCALE_COOKIE

PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status}</title>
<link rel="stylesheet" href="/static/app/simpul.css">
</head>
<body>
<main class="container"><section class="panel error-page" role="alert">
<h1>{title}</h1>
<p>{message}</p>
<p><a href="/">{home}</a></p>
</section></main>
</body>
</html>
"""


class PortalHttpProtocol(LimitedHttpProtocol):
    def locale(self, head: RequestHead) -> str:
        chosen = None
        cookie = head.header(b"cookie")
        if cookie:
            jar: SimpleCookie = SimpleCookie()
            with contextlib.suppress(CookieError):  # a malformed cookie means no choice
                jar.load(cookie.decode("latin-1"))
            chosen = jar[LOCALE_COOKIE].value if LOCALE_COOKIE in jar else None
        accept = head.header(b"accept-language") if head.path().startswith("/api/") else None
        return i18n.pick_locale(chosen, accept.decode("latin-1") if accept else None)

    def refusal(self, refusal: Refusal, head: RequestHead) -> RefusalAnswer:
        if head.path().startswith("/api/"):
            return RefusalAnswer("application/json", json_error(refusal))
        locale = self.locale(head)
        token = i18n.current_locale.set(locale)
        try:
            page = PAGE.format(
                lang=locale,
                status=refusal.status,
                title=escape(i18n.gettext("Permintaan tidak dapat diproses")),
                message=escape(refusal.message),
                home=escape(i18n.gettext("Kembali ke beranda")),
            )
        finally:
            i18n.current_locale.reset(token)
        csp = b"default-src 'none'; style-src 'self'; frame-ancestors 'none'"
        return RefusalAnswer(
            "text/html; charset=utf-8", page.encode(), ((b"content-security-policy", csp),)
        )

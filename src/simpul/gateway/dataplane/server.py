"""The gateway's data plane: ``simpul gateway``, a bare ASGI app on its own port.

A call ``/r1/{instance}/{class}/{member}/{app}/{service}/{path}`` from a client naming itself in
``Information-Mediator-Client`` and proving it with ``X-API-Key`` goes through, in order:

1. one identity (400): at most one ``Information-Mediator-Client``, ``X-GovStack-Client`` and
   ``X-API-Key`` each, in any spelling (``_`` for ``-``), and the two client headers agree;
2. authentication (401): the key is known, unexpired and belongs to the named client;
3. the path (400): read from the raw bytes and made canonical (``gateway.paths``); dot
   segments, backslashes, NUL and control characters, raw or encoded, are refused;
4. the client's rate limit (429 with ``Retry-After``);
5. the address (404): the service exists and the path matches one of its OpenAPI endpoints;
6. access (403): service and endpoint enabled, and an approved grant for the client;
7. the body limit (413), then forwarding with pooled keep-alive connections (``upstream``)
   and the service's timeout
   (502 when the provider cannot be reached, 504 when it is too slow).

The provider gets the canonical path (parameters percent-encoded as they came), the caller's
end-to-end headers, and what only the gateway may say: the authenticated
``Information-Mediator-Client``, ``X-Request-Id``, ``X-Forwarded-For`` (the peer),
``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (the gateway). What a caller sends of those, of
``Forwarded``/``X-Real-IP``, of hop-by-hop headers and of headers that make frameworks rewrite
the method or path (``X-HTTP-Method-Override``, ``X-Original-URL``...) is dropped.

Every exchange of an identified client, refused or answered, is written to the message log
(``gateway.msglog``); values of parameters the service marks personal only as keyed hashes
(``msglog.personal``). A response's last bytes are held back until its record is committed, so
a client never holds a complete answer whose record could still be lost, even if the gateway
is killed. Calls refused before the caller is identified are counted per minute and reason
instead (``msglog.refusals``), and a source address gets only so many of them per minute
(429 with ``Retry-After``), so junk traffic cannot fill the log.

The hot path touches no database: configuration is an immutable ``Snapshot`` replaced when the
region's config version changes (PostgreSQL NOTIFY, with polling as a fallback).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs

import psycopg
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from simpul.core import i18n
from simpul.core.database import database_url, make_engine, ping
from simpul.core.i18n import _
from simpul.core.security import client_source, token_digest
from simpul.core.settings import Settings, get_settings
from simpul.gateway.dataplane import directory
from simpul.gateway.dataplane.config import (
    ClientConf,
    ServiceConf,
    Snapshot,
    SubsystemId,
    current_versions,
    identity_problems,
    load_snapshot,
    parse_subsystem,
)
from simpul.gateway.dataplane.directory_openapi import directory_openapi_bytes
from simpul.gateway.dataplane.health import UpstreamProber
from simpul.gateway.dataplane.metrics import GatewayMetrics
from simpul.gateway.dataplane.paths import PathRefused, canonical_path, shown_raw_path
from simpul.gateway.dataplane.ratelimit import (
    Limiter,
    LocalLimiter,
    RedisLimiter,
    make_limiter,
    retry_after_header,
)
from simpul.gateway.dataplane.upstream import (
    Origin,
    UnsafeRequest,
    UpstreamClient,
    UpstreamFailed,
    UpstreamResponse,
    UpstreamTimeout,
    split_url,
)
from simpul.gateway.dataplane.usertoken import (
    SUBJECT_CLIENT_HEADER,
    SUBJECT_HEADER,
    SUBJECT_SCOPE_HEADER,
    TOKEN_HEADER,
    TokenRefused,
    VerifiedUser,
)
from simpul.gateway.dataplane.usertoken import verify as verify_user_token
from simpul.gateway.msglog import LogWriter, MessageRecord
from simpul.gateway.msglog import repository as msglog_repository
from simpul.gateway.msglog.personal import logged_path
from simpul.gateway.msglog.refusals import RefusalTally, refusal_rows
from simpul.gateway.registry.models import EndUserIdentity
from simpul.identity import service as identity

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CLIENT_HEADER = b"information-mediator-client"
GOVSTACK_CLIENT_HEADER = b"x-govstack-client"
KEY_HEADER = b"x-api-key"
REQUEST_ID_HEADER = "X-Request-Id"
#: RFC 9110 section 7.6.1, plus the gateway's own credential (never sent on to a provider).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
#: The caller's identity headers (and the end user's token): each at most once, in any spelling.
IDENTITY_HEADERS: Final = frozenset(
    {CLIENT_HEADER, GOVSTACK_CLIENT_HEADER, KEY_HEADER, TOKEN_HEADER}
)
#: Headers only the gateway may set, and headers some frameworks take as an instruction to
#: answer another method or path than the one granted: a caller's are never sent on.
GATEWAY_SET_HEADERS: Final = frozenset(
    {
        b"x-request-id",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-prefix",
        b"x-forwarded-server",
        b"x-forwarded-ssl",
        b"forwarded",
        b"x-real-ip",
        b"x-client-ip",
        b"x-http-method-override",
        b"x-http-method",
        b"x-method-override",
        b"x-original-url",
        b"x-rewrite-url",
        b"proxy",  # CGI makes it HTTP_PROXY ("httpoxy")
        # The end user the gateway verified (``usertoken``): a caller must not claim one.
        SUBJECT_HEADER,
        SUBJECT_CLIENT_HEADER,
        SUBJECT_SCOPE_HEADER,
    }
)
_NOT_FORWARDED: Final = (
    HOP_BY_HOP | IDENTITY_HEADERS | GATEWAY_SET_HEADERS | {b"host", b"content-length", b"expect"}
)
#: Error codes of refusals that are counted per minute, not logged one by one.
TOO_MANY_REFUSALS: Final = "too_many_refusals"
METASERVICES = frozenset({"listMethods", "allowedMethods", "getOpenAPI"})
#: Access tokens whose release to a provider is remembered per process (``Gateway._released``).
RELEASES_KEPT: Final = 65536
#: API key digests remembered per process (``Gateway._digest``).
DIGESTS_KEPT: Final = 4096
NOTIFY_CHANNEL = "simpul_gateway_config"


class Refusal(Exception):
    """The gateway answers the call itself with ``status`` and a JSON error body."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class Exchange:
    """What the message log and the metrics need to know about one call."""

    __slots__ = (
        "client",
        "client_label",
        "endpoint",
        "error",
        "identified",
        "method",
        "path",
        "query",
        "region_id",
        "request_body",
        "request_bytes",
        "request_id",
        "response_body",
        "response_bytes",
        "service",
        "service_conf",
        "service_key",
        "service_label",
        "started",
        "status",
        "wants_bodies",
    )

    def __init__(self, method: str) -> None:
        self.request_id = uuid.uuid4()
        self.started = time.perf_counter()
        self.method = method
        self.client = ""
        self.service = ""
        # Metric labels: only identities the gateway resolved, never raw header values (a
        # caller must not be able to create a new time series per request).
        self.client_label = "-"
        self.service_label = "-"
        self.endpoint = ""
        #: Below the service, canonical (or, when refused, the raw path shown safely).
        self.path = ""
        self.query = b""
        #: The address named a service: its five parts, and its configuration once resolved.
        self.service_key: tuple[str, str, str, str, str] | None = None
        self.service_conf: ServiceConf | None = None
        #: The caller is known (a client whose key matched, or a named directory caller):
        #: its exchange is logged one by one, refused or not.
        self.identified = False
        self.region_id: uuid.UUID | None = None
        self.status = 0
        self.error = ""
        self.request_bytes = 0
        self.response_bytes = 0
        self.wants_bodies = False
        self.request_body = b""
        self.response_body = bytearray()


class _Headers:
    """The request's headers, read once: a lookup table, what may be forwarded, and whether the
    caller's identity is ambiguous.

    Built on the hot path, so the common case (no header repeated, no ``_`` in a name, no
    ``Proxy-*``, no ``Connection`` list) costs a ``dict``, a list comprehension and a few
    byte scans; the rest is handled only when present.
    """

    __slots__ = ("ambiguous", "forward", "table")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        table: dict[bytes, bytes] = dict(raw)
        forward = [(k, v) for k, v in raw if k not in _NOT_FORWARDED]
        ambiguous = False
        if len(table) != len(raw):  # a name came twice: an identity header must not
            seen: set[bytes] = set()
            for key, _value in raw:
                if key in IDENTITY_HEADERS and key in seen:
                    ambiguous = True
                seen.add(key)
        names = b" ".join(table)  # one scan of every name for what needs a closer look
        if b"_" in names or b"proxy-" in names:
            # CGI and WSGI read X_API_Key as X-API-Key: judge a name by that spelling too.
            for key in table:
                if b"_" in key and key.replace(b"_", b"-") in IDENTITY_HEADERS:
                    ambiguous = True
            forward = [
                (k, v)
                for k, v in forward
                if k.replace(b"_", b"-") not in _NOT_FORWARDED and not k.startswith(b"proxy-")
            ]
        if b"connection" in table:  # the names it lists are hop-by-hop too
            listed = {
                name.strip().lower()
                for key, value in raw
                if key == b"connection"
                for name in bytes(value).split(b",")
            }
            forward = [(k, v) for k, v in forward if k not in listed]
        if not ambiguous:
            client = table.get(CLIENT_HEADER)
            govstack = table.get(GOVSTACK_CLIENT_HEADER)
            ambiguous = (
                client is not None and govstack is not None and client.strip() != govstack.strip()
            )
        self.table = table
        self.forward = forward
        self.ambiguous = ambiguous


def _headers(scope: Scope) -> _Headers:
    headers: _Headers | None = scope.get("simpul.headers")
    if headers is None:
        headers = scope["simpul.headers"] = _Headers(scope["headers"])
    return headers


def _header(scope: Scope, name: bytes) -> str | None:
    """One request header (the last, if repeated)."""
    value = _headers(scope).table.get(name)
    return None if value is None else bytes(value).decode("latin-1")


def _identity_ambiguous() -> Refusal:
    return Refusal(
        400,
        "identity_ambiguous",
        _(
            "Identitas pemanggil harus satu: kirim tepat satu header "
            "Information-Mediator-Client (X-GovStack-Client, bila dikirim juga, harus sama) "
            "dan tepat satu X-API-Key."
        ),
    )


def _require_directory_client(header: str) -> None:
    """``listMethods``, ``allowedMethods`` and ``getOpenAPI`` need the caller named (the spec
    declares ``X-GovStack-Client`` required): 400 when it is missing or not an identity.

    A well-formed name of a client the gateway does not know is not refused here: the
    directory is not secret, so only ``allowedMethods``, which answers for the caller, needs
    a registered one.
    """
    if not header.strip():
        raise Refusal(
            400,
            "client_missing",
            _(
                "Header X-GovStack-Client (atau Information-Mediator-Client) wajib dikirim: "
                "sebutkan aplikasi pemanggil sebagai INSTANCE/CLASS/MEMBER/APPLICATION, "
                "misalnya kota-bandung/GOV/diskominfo/portal."
            ),
        )
    directory.parse_subsystem_id(header)


def _path_invalid() -> Refusal:
    return Refusal(
        400,
        "path_invalid",
        _(
            "Alamat tidak sah: segmen titik (. atau ..), garis miring terbalik, atau karakter "
            "kendali tidak boleh ada di jalur, juga bila dienkode."
        ),
    )


def _locale(scope: Scope) -> str:
    return i18n.pick_locale(None, _header(scope, b"accept-language"))


class Gateway:
    """The ASGI application; one per process."""

    def __init__(self, settings: Settings, url: str) -> None:
        self.settings = settings
        self.url = url
        self.snapshot = Snapshot(
            versions={},
            instances={},
            services={},
            subsystems={},
            clients={},
            clients_by_id={},
            credentials={},
        )
        self.metrics = GatewayMetrics()
        self.prober = UpstreamProber()
        self._engine: Engine | None = None
        self._writer: LogWriter | None = None
        self._upstream: UpstreamClient | None = None
        self._origins: dict[str, tuple[Origin, str]] = {}
        self._limiter: Limiter | None = None
        #: Buckets per source address of refused unidentified calls (in Redis when the
        #: client limits are; a table of its own otherwise, so a flood cannot evict clients').
        self._source_limiter: Limiter | None = None
        self._refusals = RefusalTally()
        self._forwarded_hosts: dict[tuple[str, int], bytes] = {}
        self._digests: dict[str, bytes] = {}
        #: Subjects passed on since the last flush (jti, when), for ``identity.oidc_release``.
        self._releases: list[tuple[str, datetime]] = []
        self._released: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._reload_lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    async def startup(self) -> None:
        self._engine = make_engine(self.url, self.settings)
        self.snapshot = await asyncio.to_thread(self._load)
        self._writer = LogWriter(_libpq(self.url))
        await self._writer.start()
        self._upstream = UpstreamClient(limit=self.settings.gateway_upstream_connections)
        self._limiter = make_limiter(self.settings.redis_url)
        self._source_limiter = (
            self._limiter if isinstance(self._limiter, RedisLimiter) else LocalLimiter()
        )
        self._tasks = [
            asyncio.create_task(self._listen_for_changes()),
            asyncio.create_task(self._write_refusals_regularly()),
        ]
        self.prober.start(lambda: self.snapshot)

    async def shutdown(self) -> None:
        await self.prober.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._write_refusals()
        await self._write_releases()
        if self._writer is not None:
            await self._writer.close()
        if self._upstream is not None:
            await self._upstream.close()
        if self._limiter is not None:
            await self._limiter.close()
        if self._source_limiter is not None and self._source_limiter is not self._limiter:
            await self._source_limiter.close()
        if self._engine is not None:
            self._engine.dispose()

    def _load(self) -> Snapshot:
        assert self._engine is not None
        with Session(self._engine) as session:
            return load_snapshot(session)

    def _versions(self) -> dict[uuid.UUID, int]:
        assert self._engine is not None
        with Session(self._engine) as session:
            return current_versions(session)

    async def refresh(self) -> bool:
        """Reload the snapshot if any region's config version moved; True if it did."""
        async with self._reload_lock:
            versions = await asyncio.to_thread(self._versions)
            if versions == dict(self.snapshot.versions):
                return False
            self.snapshot = await asyncio.to_thread(self._load)
            self.metrics.set_config_versions(self.snapshot)
            log.info("gateway configuration reloaded")
            for service in identity_problems(self.snapshot):
                log.warning(
                    "service %s asks for user tokens but its region publishes no signing key",
                    service,
                )
            return True

    async def _write_refusals_regularly(self) -> None:
        while True:
            await asyncio.sleep(self.settings.gateway_refusal_flush_seconds)
            await self._write_refusals()
            await self._write_releases()

    async def _write_releases(self) -> None:
        """Record the subjects passed on to providers (``identity.record_gateway_releases``),
        batched off the hot path; kept for the next flush when the database fails."""
        if not self._releases or self._engine is None:
            return
        releases, self._releases = self._releases, []
        try:
            await asyncio.to_thread(self._add_releases, releases)
        except Exception:
            log.warning("subject releases could not be written; keeping them", exc_info=True)
            self._releases = releases + self._releases

    def _add_releases(self, releases: list[tuple[str, datetime]]) -> None:
        assert self._engine is not None
        with Session(self._engine) as session, session.begin():
            identity.record_gateway_releases(session, releases)

    async def _write_refusals(self) -> None:
        """Add the counts of unidentified refusals to ``gateway_refusal``; keep them on failure."""
        if not self._refusals or self._engine is None:
            return
        counts = self._refusals.take()
        try:
            await asyncio.to_thread(self._add_refusal_counts, refusal_rows(counts))
        except Exception:
            log.warning("refusal counts could not be written; keeping them", exc_info=True)
            self._refusals.give_back(counts)

    def _add_refusal_counts(self, rows: list[dict[str, Any]]) -> None:
        assert self._engine is not None
        with Session(self._engine) as session, session.begin():
            msglog_repository.add_refusal_counts(session, rows)

    async def _listen_for_changes(self) -> None:
        """Reload on NOTIFY; poll every ``gateway_refresh_seconds`` in case a notice is lost."""
        interval = self.settings.gateway_refresh_seconds
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    _libpq(self.url), autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    await self.refresh()  # anything changed while we were not listening
                    while True:
                        async for _notice in conn.notifies(timeout=interval, stop_after=1):
                            await asyncio.sleep(0.05)  # let a burst of changes land first
                        await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("configuration listener failed; retrying")
                await asyncio.sleep(min(interval, 2.0))

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("gateway failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The raw path, never the decoded one: %2F must not become a separator.
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        if raw.startswith(b"/r1/"):
            await self._r1(scope, receive, send, raw)
        elif raw == b"/listClients":
            await self._directory_call(scope, send, None, "listClients")
        elif raw == b"/openapi.json":
            await _send_bytes(send, 200, directory_openapi_bytes(), "application/json")
        elif raw in {b"/healthz", b"/health"}:
            await self._health(send)
        elif raw == b"/metrics":
            body, content_type = self.metrics.render()
            await _send_bytes(send, 200, body, content_type)
        else:
            token = i18n.current_locale.set(_locale(scope))
            try:
                await _send_json(
                    send,
                    404,
                    {
                        "error": {
                            "code": "not_found",
                            "details": [],
                            "message": _(
                                "Alamat tidak dikenal. Layanan dipanggil lewat "
                                "/r1/{instance}/{memberClass}/{memberCode}/{applicationCode}/"
                                "{serviceCode}/..."
                            ),
                        },
                    },
                )
            finally:
                i18n.current_locale.reset(token)

    async def _r1(self, scope: Scope, receive: Receive, send: Send, raw: bytes) -> None:
        try:
            path = canonical_path(raw)
        except PathRefused:
            # Still a data call: the caller is identified first, then told the path is wrong.
            await self._data_call(
                scope, receive, send, shown_raw_path(raw)[4:].split("/", 5), path_ok=False
            )
            return
        parts = path[4:].split("/", 5)
        if len(parts) == 5 and parts[4] in METASERVICES:
            provider: SubsystemId = (parts[0], parts[1], parts[2], parts[3])
            await self._directory_call(scope, send, provider, parts[4])
            return
        await self._data_call(scope, receive, send, parts, path_ok=True)

    # -- data calls --------------------------------------------------------------------------

    async def _data_call(
        self, scope: Scope, receive: Receive, send: Send, parts: list[str], *, path_ok: bool
    ) -> None:
        """``parts``: the address below ``/r1/`` split in six; canonical when ``path_ok``."""
        snapshot = self.snapshot
        ex = Exchange(scope["method"])
        ex.client = _header(scope, CLIENT_HEADER) or ""
        ex.query = scope.get("query_string", b"")
        if len(parts) >= 5 and all(parts[:5]):
            ex.service = "/".join(parts[:5])
            ex.service_key = (parts[0], parts[1], parts[2], parts[3], parts[4])
            ex.path = "/" + parts[5] if len(parts) == 6 else "/"
            ex.region_id = snapshot.instances.get(parts[0])
        else:
            ex.path = "/r1/" + "/".join(parts)
        locale_token = i18n.current_locale.set(_locale(scope))
        try:
            try:
                if _headers(scope).ambiguous:
                    raise _identity_ambiguous()
                client = await self._authenticate(snapshot, scope, ex)
                ex.region_id = ex.region_id or client.region_id
                if not path_ok:
                    raise _path_invalid()
                await self._limit(client)
                service = self._resolve(snapshot, ex)
                self._authorise(snapshot, client, service, ex)
                user = self._end_user(snapshot, scope, client, service)
                body = await self._read_body(scope, receive, service, ex)
            except Refusal as refusal:
                await self._refuse(scope, send, ex, refusal)
                return
            await self._forward(scope, send, service, client, body, ex, user)
        finally:
            i18n.current_locale.reset(locale_token)

    async def _authenticate(self, snapshot: Snapshot, scope: Scope, ex: Exchange) -> ClientConf:
        ident = parse_subsystem(ex.client)
        if ident is None:
            raise Refusal(
                401,
                "client_missing",
                _(
                    "Sebutkan aplikasi pemanggil di header Information-Mediator-Client: "
                    "INSTANCE/CLASS/MEMBER/APPLICATION."
                ),
            )
        key = _header(scope, KEY_HEADER)
        if not key:
            raise Refusal(401, "key_missing", _("Kunci API tidak ada: kirim header X-API-Key."))
        credential = snapshot.credentials.get(self._digest(key))
        client = snapshot.clients_by_id.get(credential.client_id) if credential else None
        if credential is None or client is None or client.ident != ident:
            raise _key_invalid()
        if credential.expires_at is not None and credential.expires_at <= datetime.now(UTC):
            raise Refusal(
                401, "key_expired", _("Kunci API sudah kedaluwarsa: pakai kunci yang baru.")
            )
        ex.client_label = client.text
        ex.identified = True
        if not client.enabled:
            raise Refusal(403, "client_disabled", _("Aplikasi pemanggil sedang dinonaktifkan."))
        return client

    def _digest(self, key: str) -> bytes:
        """``token_digest(key)``, remembered: a client sends the same key on every call.

        Bounded: emptied when full, so keys sent at random cannot grow it (they cost a hash
        each, as before).
        """
        digest = self._digests.get(key)
        if digest is None:
            if len(self._digests) >= DIGESTS_KEPT:
                self._digests.clear()
            digest = self._digests[key] = token_digest(key)
        return digest

    async def _limit(self, client: ClientConf) -> None:
        assert self._limiter is not None
        wait = await self._limiter.acquire(client.key, client.rate_limit_per_minute)
        if wait is not None:
            raise Refusal(
                429,
                "rate_limited",
                _("Batas %(n)d permintaan per menit terlampaui. Coba lagi sebentar lagi.")
                % {"n": client.rate_limit_per_minute},
                {"Retry-After": retry_after_header(wait)},
            )

    def _resolve(self, snapshot: Snapshot, ex: Exchange) -> ServiceConf:
        service = None if ex.service_key is None else snapshot.services.get(ex.service_key)
        if service is None:
            raise Refusal(404, "unknown_service", _("Layanan tidak dikenal di alamat ini."))
        ex.service_conf = service
        ex.region_id = service.region_id
        ex.service_label = service.text
        ex.wants_bodies = service.log_bodies
        return service

    def _authorise(
        self, snapshot: Snapshot, client: ClientConf, service: ServiceConf, ex: Exchange
    ) -> None:
        endpoint = service.match(ex.method, ex.path)
        if endpoint is None:
            raise Refusal(
                404,
                "unknown_endpoint",
                _("Layanan ini tidak punya %(method)s %(path)s dalam dokumen OpenAPI-nya.")
                % {"method": ex.method, "path": ex.path},
            )
        ex.endpoint = endpoint.label
        if not service.enabled or not endpoint.enabled:
            raise Refusal(403, "disabled", _("Layanan atau endpoint ini sedang dinonaktifkan."))
        if client.region_id != service.region_id or not snapshot.allowed(
            client.id, service, endpoint
        ):
            raise Refusal(
                403,
                "no_grant",
                _("Aplikasi pemanggil belum diberi akses ke layanan ini. Ajukan hak akses."),
            )

    def _end_user(
        self, snapshot: Snapshot, scope: Scope, client: ClientConf, service: ServiceConf
    ) -> VerifiedUser | None:
        """The verified user of ``X-Simpul-User-Token`` where the service asks for one
        (``usertoken``); a token sent to a service that does not is ignored (and not sent on)."""
        if service.end_user is EndUserIdentity.NONE:
            return None
        token = _header(scope, TOKEN_HEADER)
        if not token:
            if service.end_user is EndUserIdentity.OPTIONAL:
                return None
            raise Refusal(
                401,
                "user_token_missing",
                _(
                    "Layanan ini memerlukan token akses pengguna dari penyedia identitas "
                    "wilayah: kirim header X-Simpul-User-Token."
                ),
            )
        if client.app_id is None:
            raise _user_token_refused(TokenRefused("user_token_invalid", "no app"), service)
        try:
            return verify_user_token(
                token.strip(),
                snapshot.issuers.get(service.region_id),
                caller_app=client.app_id,
                required_scopes=service.end_user_scopes,
            )
        except TokenRefused as refused:
            raise _user_token_refused(refused, service) from None

    def _release(self, user: VerifiedUser) -> None:
        """Remember, once per access token, that its subject went to a provider."""
        if user.jti in self._released:
            return
        if len(self._released) >= RELEASES_KEPT:
            self._released.clear()
        self._released.add(user.jti)
        self._releases.append((user.jti, datetime.now(UTC)))

    async def _read_body(
        self, scope: Scope, receive: Receive, service: ServiceConf, ex: Exchange
    ) -> bytes:
        limit = min(service.max_body_bytes, self.settings.gateway_max_body_bytes)
        too_large = Refusal(
            413,
            "body_too_large",
            _("Isi permintaan melebihi batas %(n)d bita.") % {"n": limit},
        )
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            ex.request_bytes = int(declared)
            raise too_large
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                ex.request_bytes = size
                raise too_large
            if chunk:
                chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ex.request_bytes = len(body)
        if ex.wants_bodies:
            ex.request_body = body[: self.settings.gateway_logged_body_bytes]
        return body

    def _upstream_headers(
        self, scope: Scope, client: ClientConf, ex: Exchange, user: VerifiedUser | None = None
    ) -> list[tuple[bytes, bytes]]:
        """The caller's end-to-end headers, then what only the gateway says."""
        headers = _headers(scope).forward
        headers.append((CLIENT_HEADER, client.header_value))
        if user is not None:
            headers.append((SUBJECT_HEADER, user.subject.encode()))
            headers.append((SUBJECT_CLIENT_HEADER, user.client_id.encode()))
            headers.append((SUBJECT_SCOPE_HEADER, user.scope.encode()))
        headers.append((b"x-request-id", str(ex.request_id).encode()))
        peer = scope.get("client")
        if peer:
            headers.append((b"x-forwarded-for", str(peer[0]).encode()))
        headers.append((b"x-forwarded-proto", b"https" if scope["scheme"] == "https" else b"http"))
        server = scope.get("server")
        if server:
            host = self._forwarded_hosts.get(server)
            if host is None:
                name = f"[{server[0]}]" if ":" in str(server[0]) else str(server[0])
                host = self._forwarded_hosts[server] = f"{name}:{server[1]}".encode()
            headers.append((b"x-forwarded-host", host))
        return headers

    def _origin(self, service: ServiceConf) -> tuple[Origin, str]:
        cached = self._origins.get(service.upstream_url)
        if cached is None:
            cached = self._origins[service.upstream_url] = split_url(service.upstream_url)
        return cached

    async def _forward(
        self,
        scope: Scope,
        send: Send,
        service: ServiceConf,
        client: ClientConf,
        body: bytes,
        ex: Exchange,
        user: VerifiedUser | None = None,
    ) -> None:
        assert self._upstream is not None
        origin, base = self._origin(service)
        target = base + ex.path
        if ex.query:
            target += "?" + ex.query.decode("latin-1")
        timeout = service.timeout_seconds
        try:
            response = await self._upstream.request(
                ex.method,
                origin,
                target,
                self._upstream_headers(scope, client, ex, user),
                body,
                connect_timeout=min(timeout, 10.0),
                read_timeout=timeout,
            )
        except UnsafeRequest:
            await self._refuse(
                scope,
                send,
                ex,
                Refusal(
                    400,
                    "request_invalid",
                    _("Permintaan memuat karakter pemisah baris atau NUL; tidak diteruskan."),
                ),
            )
            return
        except UpstreamTimeout:
            await self._refuse(
                scope,
                send,
                ex,
                Refusal(
                    504,
                    "upstream_timeout",
                    _("Aplikasi penyedia tidak menjawab dalam %(s)s detik.")
                    % {"s": f"{timeout:g}"},
                ),
            )
            return
        except UpstreamFailed as exc:
            log.warning("upstream %s failed: %s", service.text, exc)
            await self._refuse(
                scope,
                send,
                ex,
                Refusal(
                    502,
                    "upstream_unreachable",
                    _("Aplikasi penyedia tidak dapat dihubungi. Coba lagi nanti."),
                ),
            )
            return
        if user is not None:  # the provider has the subject now
            self._release(user)
        try:
            await self._relay(send, response, ex, timeout)
        finally:
            response.release()

    async def _relay(
        self, send: Send, response: UpstreamResponse, ex: Exchange, read_timeout: float
    ) -> None:
        """Stream the provider's answer, holding its last bytes until the record is durable."""
        ex.status = response.status
        headers = [(k, v) for k, v in response.headers if k.lower() not in HOP_BY_HOP]
        headers.append((b"x-request-id", str(ex.request_id).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        held = b""
        keep = ex.wants_bodies
        try:
            async for chunk in response.chunks(read_timeout):
                if held:
                    await send({"type": "http.response.body", "body": held, "more_body": True})
                held = chunk
                ex.response_bytes += len(chunk)
                if keep and len(ex.response_body) < self.settings.gateway_logged_body_bytes:
                    ex.response_body += chunk
        except UpstreamFailed as exc:
            # Headers are gone already: log what happened and cut the response short,
            # so the client sees an incomplete answer rather than a wrong one.
            ex.error = "upstream_timeout" if isinstance(exc, UpstreamTimeout) else "upstream_broke"
            await self._log(ex)
            raise
        await self._log(ex)  # durable before the last bytes leave
        await send({"type": "http.response.body", "body": held, "more_body": False})

    # -- refusals, logging, directory, health ------------------------------------------------

    async def _refuse(self, scope: Scope, send: Send, ex: Exchange, refusal: Refusal) -> None:
        """Answer the call with ``refusal``: logged when the caller is identified; otherwise
        counted (``msglog.refusals``) and limited per source address."""
        if not ex.identified:
            refusal = await self._limit_source(scope, refusal)
        ex.status = refusal.status
        ex.error = refusal.code
        payload = {
            "error": {"code": refusal.code, "message": refusal.message, "details": []},
            "request_id": str(ex.request_id),
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        ex.response_bytes = len(body)
        if ex.wants_bodies:
            ex.response_body += body
        try:
            if ex.identified:
                await self._log(ex)
            else:
                self._count_refusal(ex)
        except Exception:
            log.exception("message log unavailable")
            body = json.dumps(
                {
                    "error": {
                        "code": "log_unavailable",
                        "message": _("Log pesan tidak dapat ditulis; permintaan tidak diproses."),
                        "details": [],
                    },
                    "request_id": str(ex.request_id),
                }
            ).encode()
            await _send_bytes(send, 503, body, "application/json")
            return
        headers = {**refusal.headers, REQUEST_ID_HEADER: str(ex.request_id)}
        await _send_bytes(send, refusal.status, body, "application/json", headers)

    async def _limit_source(self, scope: Scope, refusal: Refusal) -> Refusal:
        """``refusal``, or 429 once the source address has had its share of them this minute."""
        assert self._source_limiter is not None
        peer = scope.get("client")
        source = client_source(str(peer[0]) if peer else None)
        per_minute = self.settings.gateway_unidentified_per_minute
        wait = await self._source_limiter.acquire("refused:" + source, per_minute)
        if wait is None:
            return refusal
        return Refusal(
            429,
            TOO_MANY_REFUSALS,
            _(
                "Terlalu banyak permintaan yang ditolak dari alamat ini (batas %(n)d per menit). "
                "Periksa header Information-Mediator-Client dan X-API-Key, lalu coba lagi nanti."
            )
            % {"n": per_minute},
            {"Retry-After": retry_after_header(wait)},
        )

    def _count_refusal(self, ex: Exchange) -> None:
        self._observe(ex)
        if ex.region_id is not None:  # no region named and no client known: nowhere to count
            self._refusals.count(ex.region_id, ex.error)

    def _observe(self, ex: Exchange) -> float:
        duration = time.perf_counter() - ex.started
        self.metrics.observe(
            ex.service_label,
            ex.client_label,
            ex.status,
            ex.error,
            duration,
            ex.request_bytes,
            ex.response_bytes,
        )
        return duration

    def _logged_path(self, ex: Exchange) -> str:
        """The path as the log keeps it: personal parameters only as keyed hashes."""
        service = ex.service_conf
        if service is None and ex.service_key is not None:
            service = self.snapshot.services.get(ex.service_key)
        if service is None or not service.has_personal:
            return ex.path
        return logged_path(service, ex.method, ex.path, ex.query)

    async def _log(self, ex: Exchange) -> None:
        duration = self._observe(ex)
        if ex.region_id is None:
            return  # no region named and no client known: there is no region's log to write
        assert self._writer is not None
        bodies = None
        if ex.wants_bodies:
            bodies = json.dumps(
                {
                    "request": base64.b64encode(ex.request_body).decode(),
                    "response": base64.b64encode(bytes(ex.response_body)).decode(),
                }
            ).encode()
        await self._writer.append(
            MessageRecord(
                region_id=ex.region_id,
                at=datetime.now(UTC),
                request_id=ex.request_id,
                client=ex.client,
                service=ex.service,
                endpoint=ex.endpoint,
                method=ex.method,
                path=self._logged_path(ex),
                status=ex.status,
                error=ex.error,
                duration_us=int(duration * 1_000_000),
                request_bytes=ex.request_bytes,
                response_bytes=ex.response_bytes,
                bodies=bodies,
            )
        )

    async def _directory_call(
        self, scope: Scope, send: Send, provider: SubsystemId | None, method: str
    ) -> None:
        snapshot = self.snapshot
        ex = Exchange(scope["method"])
        ex.client = _header(scope, GOVSTACK_CLIENT_HEADER) or _header(scope, CLIENT_HEADER) or ""
        ex.path = "/" + method
        ex.service_label = method  # the metaservice: a fixed, small set of labels
        ex.endpoint = f"GET {method}"
        if provider is not None:
            ex.service = "/".join(provider) + "/" + method
            ex.region_id = snapshot.instances.get(provider[0])
        locale_token = i18n.current_locale.set(_locale(scope))
        try:
            if _headers(scope).ambiguous:
                raise _identity_ambiguous()
            if provider is not None:  # the spec requires X-GovStack-Client on these three
                _require_directory_client(ex.client)
            caller = self._directory_caller(snapshot, scope, ex)
            if caller is not None:
                ex.client_label = caller.text
                ex.identified = True
                ex.region_id = ex.region_id or caller.region_id
            body, content_type = self._directory_body(snapshot, scope, provider, method, caller)
        except directory.DirectoryError as exc:
            await self._refuse(scope, send, ex, Refusal(exc.status, exc.code, exc.message))
            return
        except Refusal as refusal:
            await self._refuse(scope, send, ex, refusal)
            return
        finally:
            i18n.current_locale.reset(locale_token)
        ex.status = 200
        ex.response_bytes = len(body)
        await self._log(ex)
        await _send_bytes(send, 200, body, content_type, {REQUEST_ID_HEADER: str(ex.request_id)})

    def _directory_body(
        self,
        snapshot: Snapshot,
        scope: Scope,
        provider: SubsystemId | None,
        method: str,
        caller: ClientConf | None,
    ) -> tuple[bytes, str]:
        """Answer one metaservice; raises ``Refusal`` or ``directory.DirectoryError``."""
        if scope["method"] not in {"GET", "HEAD"}:
            raise Refusal(405, "method_not_allowed", _("Layanan direktori hanya menerima GET."))
        query: dict[str, list[str]] = parse_qs(scope.get("query_string", b"").decode("latin-1"))

        def param(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        if provider is None:  # listClients
            instance = param("instanceId")
            if instance is None and caller is not None:
                instance = caller.ident[0]
            return _json(directory.list_clients(snapshot, instance)), "application/json"
        if method == "listMethods":
            payload = directory.list_methods(snapshot, provider, param("serviceId"))
            return _json(payload), "application/json"
        if method == "allowedMethods":
            if caller is None:
                raise Refusal(
                    400,
                    "client_missing",
                    _("Sebutkan aplikasi pemanggil terdaftar di header X-GovStack-Client."),
                )
            payload = directory.allowed_methods(snapshot, provider, caller, param("serviceId"))
            return _json(payload), "application/json"
        return directory.get_openapi(snapshot, provider, param("serviceCode") or "")

    def _directory_caller(
        self, snapshot: Snapshot, scope: Scope, ex: Exchange
    ) -> ClientConf | None:
        """The named caller, if it is a known client; a key, when sent, must be its own."""
        ident = parse_subsystem(ex.client)
        caller = snapshot.clients.get(ident) if ident else None
        key = _header(scope, KEY_HEADER)
        if key is not None:
            credential = snapshot.credentials.get(self._digest(key))
            if credential is None or caller is None or credential.client_id != caller.id:
                raise _key_invalid()
        return caller

    async def _health(self, send: Send) -> None:
        try:
            assert self._engine is not None
            await asyncio.wait_for(asyncio.to_thread(self._ping), timeout=3.0)
            database_ok = True
        except Exception:  # noqa: BLE001 - any failure means the database is not usable
            database_ok = False
        status, payload = self.prober.report(self.snapshot, database_ok)
        await _send_json(send, status, payload)

    def _ping(self) -> None:
        assert self._engine is not None
        with Session(self._engine) as session:
            ping(session)


def _key_invalid() -> Refusal:
    return Refusal(
        401,
        "key_invalid",
        _("Kunci API tidak dikenal, sudah dicabut, atau bukan milik aplikasi pemanggil."),
    )


def _user_token_refused(refused: TokenRefused, service: ServiceConf) -> Refusal:
    """401 for a token that is not valid for this caller; 403 when it lacks a scope (RFC
    6750 3.1). The message never repeats the token."""
    if refused.code == "user_token_scope":
        return Refusal(
            403,
            refused.code,
            _("Token akses pengguna tidak memuat cakupan yang diperlukan layanan ini: %(s)s.")
            % {"s": " ".join(sorted(service.end_user_scopes))},
        )
    if refused.code == "user_token_expired":
        message = _("Token akses pengguna sudah kedaluwarsa: minta token baru.")
    elif refused.code == "user_token_revoked":
        message = _("Token akses pengguna sudah dicabut.")
    else:
        message = _(
            "Token akses pengguna tidak sah untuk aplikasi pemanggil ini: tanda tangan, "
            "penerbit, jenis, masa berlaku, atau aplikasi penerimanya tidak cocok."
        )
    return Refusal(401, refused.code, message)


def _json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


async def _send_bytes(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    raw = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_json(send: Send, status: int, payload: object) -> None:
    await _send_bytes(send, status, _json(payload), "application/json")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_gateway() -> Gateway:
    """The uvicorn factory (``simpul gateway``): settings from the environment."""
    settings = get_settings()
    return Gateway(settings, database_url(settings))

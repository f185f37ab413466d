"""What the ``simpul gateway`` commands share: the transaction, refusals, lookups by code.

A refusal exits with code 2 and a message on stderr. The main CLI's helpers (``simpul.cli``)
are imported inside functions: ``simpul.cli`` mounts this package, so a module-level import
would be a cycle.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.core.errors import NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.gateway.registry import repository
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroup,
    GatewayCredential,
    GatewayEndpoint,
    GatewayService,
)
from simpul.gateway.registry.service import API_KEY_PREFIX, KEY_HINT_LENGTH, Actor
from simpul.inventory.models import App

#: Exit code of a refused command (a usage error in click's terms).
EXIT_REFUSED = 2
CLI_ACTOR = Actor(label="cli")
#: Rows fetched per query when a command lists everything.
PAGE_SIZE = 500

RegionOption = Annotated[
    str | None, typer.Option("--region", help="Region slug (needed when there are several).")
]
AppCode = Annotated[str, typer.Argument(help="App code in the inventory.")]
ServiceCode = Annotated[str, typer.Argument(help="Service code of the provider app.")]
EndpointArg = Annotated[
    str, typer.Argument(help='Method and path template: "GET /penduduk/{nik}".')
]
KeyArg = Annotated[str, typer.Argument(help="Key id, its hint (sgw_AbCdEfGh) or the key itself.")]
GrantArg = Annotated[str, typer.Argument(help="Grant id (see: grant list).")]


def refuse(message: str, details: list[dict[str, Any]] | None = None) -> typer.Exit:
    """Print ``message`` on stderr (as ``simpul.cli.fail`` does) and exit with code 2."""
    from simpul.cli import fail

    fail(message, details)
    return typer.Exit(code=EXIT_REFUSED)


@contextmanager
def transaction(region_slug: str | None) -> Iterator[tuple[Session, Region]]:
    """The command's session and region; committed on success, refusals exit with code 2."""
    from simpul.cli import _region, domain_errors, session_scope

    try:
        with session_scope() as session, domain_errors():
            yield session, _region(session, region_slug)
    except typer.Exit as exc:
        if exc.exit_code == 1:  # simpul.cli.fail's code: a refusal
            raise typer.Exit(code=EXIT_REFUSED) from None
        raise
    except IntegrityError:
        raise refuse(
            _("Perubahan bertabrakan dengan perubahan lain yang baru disimpan; coba lagi.")
        ) from None


def emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def read_document(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise refuse(
            _("Berkas %(path)s tidak bisa dibaca: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from None


def parse_operation(text: str) -> tuple[str, str]:
    """``"GET /penduduk/{nik}"`` -> ``("GET", "/penduduk/{nik}")``."""
    method, _sep, path = text.strip().partition(" ")
    path = path.strip()
    if not method or not path.startswith("/"):
        raise refuse(_('Tulis endpoint sebagai METODE /jalur, misalnya "GET /penduduk/{nik}".'))
    return method.upper(), path


def parse_id(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise refuse(
            _("'%(text)s' bukan ID %(what)s yang sah.") % {"text": text, "what": what}
        ) from None


def find_app(session: Session, region: Region, app_code: str) -> App:
    app = repository.get_app_by_code(session, region.id, app_code)
    if app is None:
        raise NotFound(
            _("Aplikasi '%(code)s' tidak ada di inventaris wilayah ini.") % {"code": app_code}
        )
    return app


def find_service(
    session: Session, region: Region, app_code: str, service_code: str
) -> GatewayService:
    app = find_app(session, region, app_code)
    service = repository.get_service_by_code(session, region.id, app.id, service_code)
    if service is None:
        raise NotFound(
            _("Aplikasi %(app)s tidak punya layanan '%(code)s'.")
            % {"app": app_code, "code": service_code}
        )
    return service


def find_endpoint(
    session: Session, region: Region, service: GatewayService, operation: str
) -> GatewayEndpoint:
    method, path = parse_operation(operation)
    endpoint = repository.get_endpoint_by_operation(session, region.id, service.id, method, path)
    if endpoint is None:
        raise NotFound(
            _("Layanan %(service)s tidak punya endpoint %(endpoint)s.")
            % {"service": service.code, "endpoint": f"{method} {path}"}
        )
    return endpoint


def find_client(session: Session, region: Region, app_code: str) -> GatewayClient:
    app = find_app(session, region, app_code)
    client = repository.get_client_of_app(session, region.id, app.id)
    if client is None:
        raise NotFound(
            _("Aplikasi %(app)s belum terdaftar sebagai klien: simpul gateway client add %(app)s")
            % {"app": app_code}
        )
    return client


def find_group(session: Session, region: Region, code: str) -> GatewayClientGroup:
    group = repository.get_group_by_code(session, region.id, code)
    if group is None:
        raise NotFound(_("Kelompok klien '%(code)s' tidak ada.") % {"code": code})
    return group


def find_credential(session: Session, region: Region, text: str) -> GatewayCredential:
    """A key by its id, by the key itself, or by its hint (``sgw_AbCdEfGh``, ``AbCdEfGh``)."""
    text = text.strip()
    try:
        credential_id: uuid.UUID | None = uuid.UUID(text)
    except ValueError:
        credential_id = None
    if credential_id is not None:
        credential = repository.get_credential(session, region.id, credential_id)
    elif text.startswith(API_KEY_PREFIX) and len(text) > len(API_KEY_PREFIX) + KEY_HINT_LENGTH + 1:
        credential = repository.get_credential_by_digest(
            session, region.id, registry.key_digest(text)
        )
    else:
        hint = text.removeprefix(API_KEY_PREFIX).rstrip("….")
        found = repository.find_credentials_by_hint(session, region.id, hint)
        if len(found) > 1:
            raise refuse(
                _(
                    "Ada %(n)d kunci dengan petunjuk itu; sebutkan ID kuncinya "
                    "(lihat: simpul gateway client list)."
                )
                % {"n": len(found)}
            )
        credential = found[0] if found else None
    if credential is None:
        raise NotFound(_("Kunci API '%(key)s' tidak ditemukan.") % {"key": text[:20]})
    return credential

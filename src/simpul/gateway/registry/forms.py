"""What the region admin's gateway pages share: running a change so that a refusal keeps
nothing, turning a refusal into errors next to the fields, the forms' numbers as pydantic
models, the OpenAPI documents people submit, and rendering a page of the integration area."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final, TypeVar

from fastapi import Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.errors import DomainError, InvalidInput
from simpul.core.i18n import _, lazy
from simpul.core.kit.forms import form_error, validate_form
from simpul.core.kit.notices import notice_text
from simpul.core.models import Region
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.models import GOVERNMENT_MEMBER_CLASS, GRANT_STATUS_LABELS
from simpul.gateway.registry.openapi_docs import InvalidOpenApiDocument
from simpul.web.templating import render

T = TypeVar("T")

#: An OpenAPI document of a few hundred endpoints fits easily; bigger uploads are refused.
MAX_DOCUMENT_BYTES: Final = 2 * 1024 * 1024
#: The text box is a form field, which the form parser caps at 1 MB.
MAX_PASTED_BYTES: Final = 1024 * 1024
PAGE_SIZE: Final = 50
#: Lists offered in a select (clients, groups, services) stop here; a region has far fewer.
MAX_CHOICES: Final = 1000

#: What a page says after a change, chosen by ``?pesan=`` (never free text from the URL).
NOTICES: Final = {
    "layanan-baru": lazy("Layanan didaftarkan. Endpoint diambil dari dokumen OpenAPI."),
    "status": lazy("Status layanan disimpan."),
    "dokumen": lazy("Dokumen OpenAPI diganti; daftar endpoint diperbarui."),
    "pengaturan": lazy("Pengaturan disimpan."),
    "endpoint": lazy("Status endpoint disimpan."),
    "klien-baru": lazy("Aplikasi klien didaftarkan. Terbitkan kunci API untuknya."),
    "kunci-dicabut": lazy("Kunci API dicabut; kunci itu tidak dapat dipakai lagi."),
    "grup-baru": lazy("Kelompok dibuat."),
    "anggota": lazy("Anggota kelompok diperbarui."),
    "diajukan": lazy("Permintaan akses diajukan dan menunggu persetujuan admin wilayah."),
    "disetujui": lazy("Akses disetujui."),
    "ditolak": lazy("Permintaan akses ditolak."),
    "dicabut": lazy("Akses dicabut."),
}

#: Error fields of the service layer that a form shows under another input.
FIELD_ALIASES: Final = {
    "openapi_text": "openapi",
    "document": "openapi",
    "max_body_bytes": "max_body_mb",
}

#: The badge colour (simpul.css) of each grant status.
GRANT_BADGES: Final = {
    "pending": "submitted",
    "approved": "completed",
    "rejected": "rejected",
    "revoked": "rejected",
}


def actor_of(user: User) -> registry.Actor:
    return registry.actor_for_user(user)


def area(region: Region) -> str:
    """The integration area's URL prefix in a region."""
    return f"/{region.slug}/admin/integrasi"


def see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def govstack_address(region: Region, agency_slug: str, app_code: str, service_code: str) -> str:
    """Where clients call a service through the gateway (GovStack Information Mediator)."""
    parts = (region.slug, GOVERNMENT_MEMBER_CLASS, agency_slug, app_code, service_code)
    return "/r1/" + "/".join(parts) + "/"


def attempt(session: Session, change: Callable[[], T]) -> T | DomainError:
    """Run a change in a savepoint: if it is refused, none of it is kept and the refusal is
    returned for the form to show."""
    try:
        with session.begin_nested():
            return change()
    except DomainError as exc:
        return exc


def invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "message": message}])


def field_errors(exc: DomainError | None) -> dict[str, str]:
    """The message to show under each input; a refused document's all go to its box."""
    if isinstance(exc, InvalidOpenApiDocument):
        return {"openapi": exc.message}
    errors: dict[str, str] = {}
    for detail in exc.details if exc else []:
        if "field" in detail:
            field = str(detail["field"])
            errors.setdefault(FIELD_ALIASES.get(field, field), str(detail["message"]))
    return errors


def document_problems(exc: DomainError | None) -> list[dict[str, Any]]:
    """Where in a refused OpenAPI document each problem is (``field``) and what it is."""
    return list(exc.details) if isinstance(exc, InvalidOpenApiDocument) else []


# -- the numbers of the admin forms, as pydantic models (core/kit/forms.py) ---------------------

RATE_MESSAGE: Final = lazy("Batas permintaan harus bilangan bulat per menit, misalnya 600.")
GRACE_MESSAGE: Final = lazy("Masa tenggang harus bilangan bulat jam, misalnya 24.")
TIMEOUT_MESSAGE: Final = lazy("Batas waktu harus berupa angka detik, misalnya 30.")
SIZE_MESSAGE: Final = lazy("Ukuran maksimal harus berupa angka megabita, misalnya 10.")
SIZE_POSITIVE_MESSAGE: Final = lazy("Ukuran maksimal harus lebih dari 0 MB.")


def _whole_number(message: str) -> BeforeValidator:
    """A whole number typed by a person; otherwise ``message`` (translated when shown)."""

    def parse(value: object) -> int:
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            raise form_error(_(message)) from None

    return BeforeValidator(parse)


def _decimal(message: str) -> BeforeValidator:
    """A finite number typed by a person (a decimal comma is fine); otherwise ``message``."""

    def parse(value: object) -> float:
        try:
            parsed = float(str(value).strip().replace(",", "."))
        except ValueError:
            raise form_error(_(message)) from None
        if not math.isfinite(parsed):
            raise form_error(_(message))
        return parsed

    return BeforeValidator(parse)


def _positive(message: str) -> AfterValidator:
    def check(value: float) -> float:
        if value <= 0:
            raise form_error(_(message))
        return value

    return AfterValidator(check)


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientLimitForm(_Form):
    rate_limit_per_minute: Annotated[int, _whole_number(RATE_MESSAGE)]


class KeyRotationForm(_Form):
    grace_hours: Annotated[int, _whole_number(GRACE_MESSAGE)]


class NewServiceForm(_Form):
    timeout_seconds: Annotated[float, _decimal(TIMEOUT_MESSAGE)]


class ServiceSettingsForm(_Form):
    timeout_seconds: Annotated[float, _decimal(TIMEOUT_MESSAGE)]
    max_body_mb: Annotated[float, _decimal(SIZE_MESSAGE), _positive(SIZE_POSITIVE_MESSAGE)]


FormT = TypeVar("FormT", bound=BaseModel)


def read_form(model: type[FormT], values: dict[str, str]) -> FormT:
    """``values`` as ``model``, or ``InvalidInput`` naming each wrong field (shown next to it,
    and nothing is changed: ``attempt`` rolls the change back)."""
    parsed, errors = validate_form(model, values)
    if parsed is None:
        first = next(iter(errors.values()))
        raise InvalidInput(
            first, details=[{"field": field, "message": text} for field, text in errors.items()]
        )
    return parsed


def notice(pesan: str | None) -> str | None:
    return notice_text(NOTICES, pesan)


def document_text(upload: UploadFile | None, pasted: str) -> str:
    """The OpenAPI document from the uploaded file, else from the text box."""
    if upload is not None and upload.filename:
        data = upload.file.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise invalid(
                "openapi",
                _("Berkas terlalu besar: maksimal %(n)d MB.")
                % {"n": MAX_DOCUMENT_BYTES // (1024 * 1024)},
            )
        if data:
            try:
                return data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise invalid(
                    "openapi",
                    _("Berkas bukan teks UTF-8. Unggah dokumen OpenAPI berformat YAML atau JSON."),
                ) from None
    if not pasted.strip():
        raise invalid(
            "openapi", _("Unggah berkas dokumen OpenAPI atau tempel isinya di kotak teks.")
        )
    return pasted


def kept_paste(pasted: str) -> str:
    """The pasted document to show again in the form (unless too big to send back)."""
    return pasted if len(pasted.encode()) <= MAX_PASTED_BYTES else ""


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    error: DomainError | None = None,
) -> HTMLResponse:
    """Render ``gateway/admin/<template>``; with ``error``, its banner, field errors and status."""
    region: Region = request.state.region
    return render(
        request,
        f"gateway/admin/{template}",
        {
            "base": area(region),
            "grant_labels": GRANT_STATUS_LABELS,
            "status_badges": GRANT_BADGES,
            "values": {},
            "form": None,
            "message": error.message if error else None,
            "errors": field_errors(error),
            **context,
        },
        status_code=error.status_code if error else 200,
    )


def no_store(response: Response) -> Response:
    """Keep the response out of every cache (it shows a secret)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response

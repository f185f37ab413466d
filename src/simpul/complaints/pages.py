"""The citizens' complaint pages under ``/{region}/pengaduan``: file, track, the public page,
the owner's reply, rating and reopening, the public list and map (decision 0056).

Thin: each route reads the form, calls ``complaints.service`` and renders.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUploadFile

from simpul.accounts.auth import CurrentPageUser, PageUser
from simpul.accounts.models import User
from simpul.applications import service as applications
from simpul.complaints import service
from simpul.complaints.labels import ACTION_LABELS, KIND_LABELS, STATUS_LABELS
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, DomainError, InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit.notices import notice_text, with_notice
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.core.personal import mask_sixteen_digit_numbers
from simpul.core.regions import CurrentRegion
from simpul.core.security import client_source
from simpul.core.storage import Storage
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

LABELS = {
    "status_labels": STATUS_LABELS,
    "kind_labels": KIND_LABELS,
    "action_labels": ACTION_LABELS,
}
NOTICES = {
    "dibalas": lazy("Keterangan Anda sudah dikirim ke instansi."),
    "dinilai": lazy("Terima kasih atas penilaian Anda."),
    "dibuka": lazy("Pengaduan dibuka kembali; instansi akan menanggapinya lagi."),
    "didukung": lazy("Anda mendukung dan mengikuti pengaduan ini."),
    "berhenti": lazy("Anda tidak lagi mengikuti pengaduan ini."),
}


async def _form(request: Request) -> AsyncIterator[Any]:
    """The request's form; the files it carries are closed once the request is answered."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


FormData = Annotated[Any, Depends(_form)]


def _storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


AppStorage = Annotated[Storage, Depends(_storage)]


def _text(form: Any, name: str, limit: int = 6000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _map(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    return {
        "tiles": settings.map_tile_url,
        "attribution": settings.map_attribution,
        "center": settings.map_default_center,
    }


def _categories(session: DbSession, region: Region) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in service.categories(session, region):
        groups.setdefault(c.group_name, []).append(
            {"code": c.code, "name": c.name, "name_en": c.name_en}
        )
    return list(groups.items())


# -- filing ---------------------------------------------------------------------------------


def _application_of(
    session: DbSession, region: Region, user: User | None, raw: str
) -> tuple[Any, Any] | None:
    try:
        application_id = uuid.UUID(raw)
    except ValueError:
        raise NotFound(_("Permohonan tidak ditemukan.")) from None
    if user is None:
        return None
    application, svc = applications.readable_application(session, region, user, application_id)
    if application.applicant_id != user.id:
        raise NotFound(_("Permohonan tidak ditemukan."))
    return application, svc


def _form_page(
    request: Request,
    session: DbSession,
    region: Region,
    user: User | None,
    *,
    values: dict[str, str],
    about: tuple[Any, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page = render(
        request,
        "complaints/form.html",
        {
            "values": values,
            "errors": errors or {},
            "groups": _categories(session, region),
            "about": about,
            "user": user,
            "map": _map(request),
            "max_photos": service.MAX_PHOTOS,
            **LABELS,
        },
        status_code=status_code,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/{region}/pengaduan/baru", response_class=HTMLResponse, name="complaint_form")
def complaint_form(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    permohonan: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    about = None
    if permohonan:
        if user is None:
            return RedirectResponse(
                f"/{region.slug}/masuk?next=/{region.slug}/pengaduan/baru%3Fpermohonan%3D"
                f"{permohonan}",
                status_code=303,
            )
        about = _application_of(session, region, user, permohonan)
    return _form_page(
        request,
        session,
        region,
        user,
        values={"jenis": "complaint", "permohonan": permohonan},
        about=about,
    )


@router.post("/{region}/pengaduan/baru", response_class=HTMLResponse)
def file_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    storage: AppStorage,
    user: PageUser,
    form: FormData,
) -> Response:
    names = ("jenis", "kategori", "judul", "isi", "alamat", "lintang", "bujur", "permohonan")
    values = {name: _text(form, name) for name in names}
    values |= {n: _text(form, n, 200) for n in ("nama", "kontak")}
    flags = {n: form.get(n) == "1" for n in ("anonim", "rahasia", "bagikan_lokasi")}
    values |= {n: "1" if v else "" for n, v in flags.items()}
    files = [f for f in form.getlist("foto") if isinstance(f, StarletteUploadFile) and f.filename]
    about = None
    errors: dict[str, str] = {}
    latitude = longitude = None
    try:
        if values["lintang"].strip() or values["bujur"].strip():
            latitude = float(values["lintang"].replace(",", "."))
            longitude = float(values["bujur"].replace(",", "."))
    except ValueError:
        errors["lokasi"] = _("Lintang dan bujur berupa angka, misalnya -6.9175 dan 107.6191.")
    application_id = None
    if values["permohonan"]:
        about = _application_of(session, region, user, values["permohonan"])
        application_id = uuid.UUID(values["permohonan"])
    contact = {}
    if user is None:
        kontak = values["kontak"].strip()
        contact = {"name": values["nama"], ("email" if "@" in kontak else "phone"): kontak}
    filing = service.Filing(
        kind=values["jenis"],
        category=values["kategori"],
        title=values["judul"],
        description=values["isi"],
        anonymous=flags["anonim"],
        confidential=flags["rahasia"],
        latitude=latitude,
        longitude=longitude,
        address=values["alamat"],
        application_id=application_id,
        contact=contact,
    )
    service.limit_filing(
        request.app.state, client_source(request.client.host if request.client else None)
    )
    photos = [f.file.read(service.MAX_PHOTO_BYTES + 1) for f in files[: service.MAX_PHOTOS + 1]]
    if errors:
        return _form_page(
            request,
            session,
            region,
            user,
            values=values,
            about=about,
            errors=errors,
            status_code=422,
        )
    try:
        filed = service.file_with_photos(
            session,
            storage,
            region,
            filing,
            photos,
            share_location=flags["bagikan_lokasi"],
            reporter=user,
        )
    except InvalidInput as exc:
        errors = exc.field_errors() | errors
        return _form_page(
            request,
            session,
            region,
            user,
            values=values,
            about=about,
            errors=errors,
            status_code=422,
        )
    if filed.access_code is None:
        return RedirectResponse(
            f"/{region.slug}/pengaduan/{filed.complaint.number}", status_code=303
        )
    page = render(
        request,
        "complaints/form_sent.html",
        {"complaint": filed.complaint, "access_code": filed.access_code},
    )
    page.headers["Cache-Control"] = "no-store"
    return page


# -- lists ----------------------------------------------------------------------------------


@router.get("/{region}/pengaduan", response_class=HTMLResponse, name="complaints_public")
def public_list(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    kategori: Annotated[str, Query(max_length=60)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    jenis: Annotated[str, Query(max_length=20)] = "",
    halaman: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    chosen = service.list_filter(session, region, kategori, status, jenis)
    rows, has_next = service.public_list(session, region, chosen, halaman)
    categories = {
        c.id: {"name": c.name, "name_en": c.name_en}
        for c in service.categories(session, region, active_only=False)
    }
    return render(
        request,
        "complaints/public_list.html",
        {
            "rows": rows,
            "has_next": has_next,
            "page": halaman,
            "chosen": chosen,
            "query": chosen.query(),
            "groups": _categories(session, region),
            "categories": categories,
            "map": _map(request),
            **LABELS,
        },
    )


@router.get("/{region}/pengaduan/peta.json", name="complaints_map")
def public_map(
    region: CurrentRegion,
    session: DbSession,
    kategori: Annotated[str, Query(max_length=60)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    jenis: Annotated[str, Query(max_length=20)] = "",
) -> JSONResponse:
    chosen = service.list_filter(session, region, kategori, status, jenis)
    labels = {k: str(_(v)) for k, v in STATUS_LABELS.items()}
    return JSONResponse(
        service.public_map(session, region, chosen, labels),
        media_type="application/geo+json",
        # Briefly cacheable; the status labels follow the reader's language.
        headers={
            "Cache-Control": "public, max-age=60",
            "Vary": "Cookie, Accept-Language",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/{region}/pengaduan/saya", response_class=HTMLResponse, name="my_complaints")
def my_complaints(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    rows = service.own_complaints(session, region, user)
    page = render(request, "complaints/public_mine.html", {"rows": rows, **LABELS})
    page.headers["Cache-Control"] = "private, no-store"
    return page


# -- one complaint --------------------------------------------------------------------------


def _complaint_page(
    request: Request,
    session: DbSession,
    region: Region,
    complaint: service.Complaint,
    user: User | None,
    *,
    access_code: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    owner = service.is_owner(complaint, user, access_code or None)
    history = [
        {
            "at": e.at,
            "action": e.action,
            "actor": e.public_actor,
            "message": mask_sixteen_digit_numbers(e.message),
        }
        for e in service.history(session, region, complaint, public_only=True)
    ]
    agencies = service.agencies_by_id(session, region)
    categories = {c.id: c for c in service.categories(session, region, active_only=False)}
    category = categories.get(complaint.category_id)
    today = today_in(region)
    parent = merged_into = None
    if complaint.parent_id:
        parent = service.complaint_by_id(session, region, complaint.parent_id)
    if complaint.merged_into_id:
        merged_into = service.complaint_by_id(session, region, complaint.merged_into_id)
    parts = service.children(session, region, complaint)

    def visible(other: service.Complaint | None) -> bool:
        return other is not None and (not other.confidential or owner)

    page = render(
        request,
        "complaints/public_complaint.html",
        {
            "complaint": complaint,
            "description": mask_sixteen_digit_numbers(complaint.description),
            "category": {"name": category.name, "name_en": category.name_en} if category else {},
            "agency": agencies.get(complaint.agency_id) if complaint.agency_id else None,
            "history": history,
            "photos": service.photos(session, region, complaint),
            # A confidential complaint's photos are served only to a logged-in reader (the
            # access code never goes into an image's URL).
            "photos_served": not complaint.confidential
            or service.is_owner(complaint, user, None)
            or service.can_handle(user, complaint),
            "overdue": service.overdue(complaint, today),
            "owner": owner,
            "access_code": access_code if owner else "",
            "user": user,
            "following": service.is_following(session, region, complaint, user),
            "reopen_until": service.reopen_deadline(complaint),
            "parent": parent if visible(parent) else None,
            "merged_into": merged_into if visible(merged_into) else None,
            "parts": [p for p in parts if visible(p)],
            "map": _map(request),
            "errors": errors or {},
            "values": values or {},
            "notice": notice or notice_text(NOTICES, request.query_params.get("pesan")),
            **LABELS,
        },
        status_code=status_code,
    )
    page.headers["Cache-Control"] = (
        "private, no-store" if complaint.confidential or owner else "no-cache"
    )
    return page


@router.get("/{region}/pengaduan/lacak", response_class=HTMLResponse, name="track_complaint")
def track_form(
    request: Request, region: CurrentRegion, nomor: Annotated[str, Query(max_length=40)] = ""
) -> HTMLResponse:
    page = render(request, "complaints/public_track.html", {"nomor": nomor, "errors": {}})
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/{region}/pengaduan/lacak", response_class=HTMLResponse)
def track(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, form: FormData
) -> HTMLResponse:
    number, code = _text(form, "nomor", 40).strip(), _text(form, "kode", 40).strip()
    service.limit_filing(
        request.app.state,
        client_source(request.client.host if request.client else None),
        lookup=True,
    )
    try:
        complaint = service.owned_complaint(session, region, number, None, code or None)
    except NotFound:
        message = _("Nomor atau kode akses tidak cocok.")
        page = render(
            request,
            "complaints/public_track.html",
            {"nomor": number, "errors": {"kode": message}},
            status_code=404,
        )
        page.headers["Cache-Control"] = "no-store"
        return page
    return _complaint_page(request, session, region, complaint, user, access_code=code)


@router.get("/{region}/pengaduan/{number}", response_class=HTMLResponse, name="complaint_page")
def complaint_page(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, number: str
) -> HTMLResponse:
    complaint = service.readable_complaint(session, region, number[:40], user)
    return _complaint_page(request, session, region, complaint, user)


def _owner_step(
    request: Request,
    session: DbSession,
    region: Region,
    user: User | None,
    number: str,
    form: Any,
    step: str,
) -> Response:
    code = _text(form, "kode", 40).strip()
    complaint = service.owned_complaint(
        session, region, number[:40], user, code or None, for_update=True
    )
    values: dict[str, str] = {}
    try:
        if step == "balas":
            values["keterangan"] = _text(form, "keterangan")
            service.reply(session, region, complaint, values["keterangan"], user)
            notice = "dibalas"
        elif step == "nilai":
            values["komentar"] = _text(form, "komentar")
            raw = _text(form, "nilai", 2)
            rating = int(raw) if raw.isdigit() else 0
            service.rate(session, region, complaint, rating, values["komentar"], user)
            notice = "dinilai"
        else:
            values["alasan"] = _text(form, "alasan")
            service.reopen(session, region, complaint, values["alasan"], user)
            notice = "dibuka"
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        complaint = service.owned_complaint(session, region, number[:40], user, code or None)
        field = {"balas": "keterangan", "nilai": "nilai", "buka-kembali": "alasan"}[step]
        errors = exc.field_errors() if isinstance(exc, InvalidInput) else {}
        return _complaint_page(
            request,
            session,
            region,
            complaint,
            user,
            access_code=code,
            errors=errors or {field: exc.message},
            values=values,
            status_code=exc.status_code,
        )
    if code and not (user is not None and complaint.reporter_id == user.id):
        # The code never goes into a URL: the owner's view is shown in the answer itself.
        return _complaint_page(
            request,
            session,
            region,
            complaint,
            user,
            access_code=code,
            notice=notice_text(NOTICES, notice),
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/pengaduan/{complaint.number}", notice), status_code=303
    )


@router.post("/{region}/pengaduan/{number}/balas", response_class=HTMLResponse)
def reply(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    number: str,
    form: FormData,
) -> Response:
    return _owner_step(request, session, region, user, number, form, "balas")


@router.post("/{region}/pengaduan/{number}/nilai", response_class=HTMLResponse)
def rate(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    number: str,
    form: FormData,
) -> Response:
    return _owner_step(request, session, region, user, number, form, "nilai")


@router.post("/{region}/pengaduan/{number}/buka-kembali", response_class=HTMLResponse)
def reopen(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    number: str,
    form: FormData,
) -> Response:
    return _owner_step(request, session, region, user, number, form, "buka-kembali")


@router.post("/{region}/pengaduan/{number}/dukung")
def follow(
    region: CurrentRegion, session: DbSession, user: CurrentPageUser, number: str
) -> Response:
    complaint = service.readable_complaint(session, region, number[:40], user)
    service.follow(session, region, complaint, user)
    return RedirectResponse(
        with_notice(f"/{region.slug}/pengaduan/{complaint.number}", "didukung"), status_code=303
    )


@router.post("/{region}/pengaduan/{number}/berhenti-ikuti")
def unfollow(
    region: CurrentRegion, session: DbSession, user: CurrentPageUser, number: str
) -> Response:
    complaint = service.readable_complaint(session, region, number[:40], user)
    service.unfollow(session, region, complaint, user)
    return RedirectResponse(
        with_notice(f"/{region.slug}/pengaduan/{complaint.number}", "berhenti"), status_code=303
    )


@router.get("/{region}/pengaduan/{number}/foto/{photo_id}", name="complaint_photo")
def photo(
    region: CurrentRegion,
    session: DbSession,
    storage: AppStorage,
    user: PageUser,
    number: str,
    photo_id: uuid.UUID,
) -> Response:
    complaint = service.readable_complaint(session, region, number[:40], user)
    found = service.photo_of(session, region, complaint, photo_id)
    service.record_photo_view(session, region, user, complaint, str(found.id))
    try:
        data = service.photo_bytes(storage, found)
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - a file gone from storage is "not found" to the reader
        raise NotFound(_("Foto tidak ditemukan.")) from None
    return Response(
        data,
        media_type=found.content_type,
        headers={
            "Cache-Control": "private, no-store"
            if complaint.confidential
            else "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        },
    )

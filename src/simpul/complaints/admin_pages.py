"""The region admin's complaint settings under ``/{region}/admin/pengaduan``: the categories,
the deadline table (LAPOR!'s days by default) and the forward targets. Decision 0056."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.catalogue import service as catalogue
from simpul.complaints import service as complaints
from simpul.complaints.labels import DEADLINE_CLASS_LABELS
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

_NOTICES: Final = {
    "kategori": lazy("Kategori disimpan."),
    "batas": lazy("Batas waktu disimpan; berlaku untuk pengaduan yang masuk sesudah ini."),
    "tujuan": lazy("Tujuan penerusan disimpan."),
}
TARGET_KIND_LABELS: Final = {
    "region": lazy("Pemerintah daerah lain"),
    "national": lazy("Kanal nasional"),
}
Short = Annotated[str, Form(max_length=400)]
Long = Annotated[str, Form(max_length=5000)]


def _home(region: Region, notice: str) -> str:
    return with_notice(f"/{region.slug}/admin/pengaduan", notice)


def _class_options() -> list[tuple[str, str]]:
    return [(c.value, _(DEADLINE_CLASS_LABELS[c.value])) for c in complaints.DeadlineClass]


def _overview(
    request: Request,
    session: DbSession,
    region: Region,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    failed_class: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    table = complaints.deadline_table(session, region)
    context = {
        "categories": complaints.categories(session, region, active_only=False),
        "class_labels": dict(_class_options()),
        "deadlines": [
            {
                "value": c.value,
                "label": _(DEADLINE_CLASS_LABELS[c.value]),
                "first": table[c][0],
                "closing": table[c][1],
                "lapor": complaints.DEFAULT_DEADLINES[c],
            }
            for c in complaints.DeadlineClass
        ],
        "targets": complaints.forward_targets(session, region, active_only=False),
        "kind_labels": {k: _(v) for k, v in TARGET_KIND_LABELS.items()},
        "notice": notice,
        "errors": errors or {},
        "failed_class": failed_class,
        "form": form or {},
    }
    return render(request, "complaints/admin_complaints.html", context, status_code=status_code)


@router.get("/{region}/admin/pengaduan", response_class=HTMLResponse, name="complaint_admin")
def admin_home(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    return _overview(request, session, region, notice=notice_text(_NOTICES, pesan))


# -- deadlines ----------------------------------------------------------------------------


@router.post("/{region}/admin/pengaduan/batas-waktu", response_class=HTMLResponse)
def save_deadline(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    kelas: Annotated[str, Form(max_length=40)] = "",
    tanggapan_pertama: Annotated[str, Form(max_length=10)] = "",
    penyelesaian: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Change a class's working days; complaints filed from now on get the new due dates."""
    form = {"tanggapan_pertama": tanggapan_pertama, "penyelesaian": penyelesaian}
    try:
        deadline_class = complaints.DeadlineClass(kelas)
    except ValueError:
        raise NotFound(_("Kelas batas waktu tidak dikenal.")) from None
    try:
        first, closing = (
            _days(tanggapan_pertama, "tanggapan_pertama"),
            _days(penyelesaian, "penyelesaian"),
        )
        complaints.set_deadline(session, region, deadline_class, first, closing)
    except InvalidInput as exc:
        return _overview(
            request,
            session,
            region,
            errors=exc.field_errors(),
            failed_class=kelas,
            form=form,
            status_code=422,
        )
    return RedirectResponse(_home(region, "batas"), status_code=303)


def _days(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        problem = _("Isi jumlah hari kerja dengan angka.")
        raise InvalidInput(problem, details=[{"field": field, "message": problem}]) from None


# -- categories -----------------------------------------------------------------------------


def _category_page(
    request: Request,
    session: DbSession,
    region: Region,
    form: complaints.CategoryForm,
    category: complaints.ComplaintCategory | None,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "category": category,
        "form": form,
        "errors": errors or {},
        "classes": _class_options(),
        "agencies": [a.agency for a in catalogue.list_agencies(session, region)],
    }
    return render(request, "complaints/admin_category.html", context, status_code=status_code)


def _form_of(category: complaints.ComplaintCategory) -> complaints.CategoryForm:
    return complaints.CategoryForm(
        kode=category.code,
        nama=category.name,
        nama_en=category.name_en,
        keterangan=category.description,
        kelompok=category.group_name,
        kata_kunci=category.keywords,
        kelas_batas=category.deadline_class.value,
        instansi=str(category.default_agency_id or ""),
        perlu_lokasi=category.needs_location,
        aktif=category.active,
        urutan=str(category.position),
    )


def _category(session: DbSession, region: Region, category_id: str) -> complaints.ComplaintCategory:
    try:
        wanted = uuid.UUID(category_id)
    except ValueError:
        raise NotFound(_("Kategori pengaduan tidak ditemukan.")) from None
    return complaints.category_of(session, region, wanted)


@router.get("/{region}/admin/pengaduan/kategori/baru", response_class=HTMLResponse)
def new_category_page(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    return _category_page(request, session, region, complaints.CategoryForm(), None)


@router.get("/{region}/admin/pengaduan/kategori/{category_id}", response_class=HTMLResponse)
def edit_category_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    category_id: str,
) -> HTMLResponse:
    category = _category(session, region, category_id)
    return _category_page(request, session, region, _form_of(category), category)


def _save_category(
    request: Request,
    session: DbSession,
    region: Region,
    form: complaints.CategoryForm,
    category: complaints.ComplaintCategory | None,
) -> Response:
    try:
        complaints.save_category(session, region, form, category)
    except InvalidInput as exc:
        return _category_page(
            request, session, region, form, category, errors=exc.field_errors(), status_code=422
        )
    return RedirectResponse(_home(region, "kategori"), status_code=303)


@router.post("/{region}/admin/pengaduan/kategori", response_class=HTMLResponse)
def add_category(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    kode: Short = "",
    nama: Short = "",
    nama_en: Short = "",
    keterangan: Long = "",
    kelompok: Short = "",
    kata_kunci: Short = "",
    kelas_batas: Short = "",
    instansi: Short = "",
    perlu_lokasi: Short = "",
    aktif: Short = "",
    urutan: Short = "0",
) -> Response:
    form = complaints.CategoryForm(
        kode=kode,
        nama=nama,
        nama_en=nama_en,
        keterangan=keterangan,
        kelompok=kelompok,
        kata_kunci=kata_kunci,
        kelas_batas=kelas_batas,
        instansi=instansi,
        perlu_lokasi=bool(perlu_lokasi),
        aktif=bool(aktif),
        urutan=urutan,
    )
    return _save_category(request, session, region, form, None)


@router.post("/{region}/admin/pengaduan/kategori/{category_id}", response_class=HTMLResponse)
def edit_category(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    category_id: str,
    nama: Short = "",
    nama_en: Short = "",
    keterangan: Long = "",
    kelompok: Short = "",
    kata_kunci: Short = "",
    kelas_batas: Short = "",
    instansi: Short = "",
    perlu_lokasi: Short = "",
    aktif: Short = "",
    urutan: Short = "0",
) -> Response:
    category = _category(session, region, category_id)
    form = complaints.CategoryForm(
        kode=category.code,
        nama=nama,
        nama_en=nama_en,
        keterangan=keterangan,
        kelompok=kelompok,
        kata_kunci=kata_kunci,
        kelas_batas=kelas_batas,
        instansi=instansi,
        perlu_lokasi=bool(perlu_lokasi),
        aktif=bool(aktif),
        urutan=urutan,
    )
    return _save_category(request, session, region, form, category)


# -- forward targets --------------------------------------------------------------------------


def _target_page(
    request: Request,
    form: complaints.TargetForm,
    target: complaints.ComplaintForwardTarget | None,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    # The secret is never sent back, not even the one just typed into a refused form.
    form.secret = ""
    context = {
        "target": target,
        "form": form,
        "errors": errors or {},
        "kinds": [(k, _(v)) for k, v in TARGET_KIND_LABELS.items()],
    }
    return render(request, "complaints/admin_target.html", context, status_code=status_code)


def _target(
    session: DbSession, region: Region, target_id: str
) -> complaints.ComplaintForwardTarget:
    try:
        wanted = uuid.UUID(target_id)
    except ValueError:
        raise NotFound(_("Tujuan penerusan tidak ditemukan.")) from None
    return complaints.forward_target(session, region, wanted)


@router.get("/{region}/admin/pengaduan/tujuan/baru", response_class=HTMLResponse)
def new_target_page(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    return _target_page(request, complaints.TargetForm(), None)


@router.get("/{region}/admin/pengaduan/tujuan/{target_id}", response_class=HTMLResponse)
def edit_target_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    target_id: str,
) -> HTMLResponse:
    target = _target(session, region, target_id)
    form = complaints.TargetForm(
        code=target.code,
        name=target.name,
        kind=target.kind.value,
        url=target.url,
        active=target.active,
    )
    return _target_page(request, form, target)


def _save_target(
    request: Request,
    session: DbSession,
    region: Region,
    form: complaints.TargetForm,
    target: complaints.ComplaintForwardTarget | None,
) -> Response:
    try:
        complaints.save_forward_target(session, region, form, target)
    except InvalidInput as exc:
        return _target_page(request, form, target, errors=exc.field_errors(), status_code=422)
    return RedirectResponse(_home(region, "tujuan"), status_code=303)


@router.post("/{region}/admin/pengaduan/tujuan", response_class=HTMLResponse)
def add_target(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    kode: Short = "",
    nama: Short = "",
    jenis: Short = "",
    url: Annotated[str, Form(max_length=600)] = "",
    rahasia: Short = "",
    aktif: Short = "",
) -> Response:
    form = complaints.TargetForm(
        code=kode, name=nama, kind=jenis, url=url, secret=rahasia, active=bool(aktif)
    )
    return _save_target(request, session, region, form, None)


@router.post("/{region}/admin/pengaduan/tujuan/{target_id}", response_class=HTMLResponse)
def edit_target(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    target_id: str,
    nama: Short = "",
    jenis: Short = "",
    url: Annotated[str, Form(max_length=600)] = "",
    rahasia: Short = "",
    aktif: Short = "",
) -> Response:
    target = _target(session, region, target_id)
    form = complaints.TargetForm(
        code=target.code, name=nama, kind=jenis, url=url, secret=rahasia, active=bool(aktif)
    )
    return _save_target(request, session, region, form, target)

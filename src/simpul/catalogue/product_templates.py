"""Editing a service's products (``service.products``): what each source may name, the check
before saving, and the audited save.

A template is data a region admin types, printed on documents a region signs, so it is checked
against the service it belongs to before it is kept: a ``form:`` source must name a field of
this service's eForm and a ``step:`` source a data-entry field of this service's workflow (a
template cannot reach another service's answers or any column of the application), and every
problem is reported on the field it concerns, in Indonesian (decision 0045).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.catalogue.models import Service
from simpul.catalogue.products import (
    APPLICANT_SOURCES,
    APPLICATION_SOURCES,
    ProductTemplate,
    validate_products,
)
from simpul.catalogue.standard import DEFAULT_WORKFLOW, Workflow
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.core.text import unsafe_text_error

MAX_PRODUCTS: Final = 10

SOURCE_LABELS: Final = {
    "applicant:name": lazy("Pemohon: nama"),
    "applicant:nik": lazy("Pemohon: NIK"),
    "application:tracking_number": lazy("Permohonan: nomor"),
    "application:submitted_on": lazy("Permohonan: tanggal diajukan"),
    "application:finished_on": lazy("Permohonan: tanggal selesai"),
}


def form_sources(schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form's fields a product may print, as (path, label): each question, and each part
    of a group ("Alamat – Kelurahan"); a repeated list prints whole."""
    found: list[tuple[str, str]] = []
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        return found
    for key, node in properties.items():
        if not isinstance(node, Mapping):
            continue
        label = str(node.get("title", key))
        found.append((key, label))
        children = node.get("properties", {}) if node.get("type") == "object" else {}
        for child_key, child in children.items() if isinstance(children, Mapping) else ():
            if isinstance(child, Mapping):
                found.append((f"{key}.{child_key}", f"{label} – {child.get('title', child_key)}"))
    return found


def schema_of(service: Service) -> Mapping[str, Any]:
    eform = service.eform if isinstance(service.eform, Mapping) else {}
    schema = eform.get("schema", {})
    return schema if isinstance(schema, Mapping) else {}


def workflow_of(service: Service) -> Workflow:
    return Workflow.model_validate(service.workflow or DEFAULT_WORKFLOW)


def officer_sources(service: Service) -> list[tuple[str, str]]:
    """The data-entry fields of the service's workflow, as (code, label)."""
    return [(code, f.label) for code, f in workflow_of(service).officer_fields().items()]


def source_choices(service: Service) -> list[tuple[str, str]]:
    """Every source the editor offers for this service, as (source, label)."""
    return [
        *(
            (f"form:{path}", _("Formulir: %(label)s") % {"label": label})
            for path, label in form_sources(schema_of(service))
        ),
        *(
            (f"step:{code}", _("Isian petugas: %(label)s") % {"label": label})
            for code, label in officer_sources(service)
        ),
        *(
            (source, str(SOURCE_LABELS[source]))
            for source in (*APPLICANT_SOURCES, *APPLICATION_SOURCES)
        ),
    ]


def _message(error: Mapping[str, Any]) -> str:  # noqa: PLR0911 - one answer per kind
    """A pydantic error in words an admin can act on (Indonesian)."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    location = [str(part) for part in error.get("loc", ())]
    last = location[-1] if location else ""
    if last == "source":
        return _("Pilih sumber isian dari daftar; untuk teks tetap, tulis teksnya.")
    if kind == "string_too_short":
        return _("Isi paling sedikit %(n)d karakter.") % {"n": int(context.get("min_length", 1))}
    if kind == "string_too_long":
        return _("Isi paling banyak %(n)d karakter.") % {"n": int(context.get("max_length", 1))}
    if kind == "too_short" and last == "fields":
        return _("Tambahkan paling sedikit satu isian yang dicetak.")
    if kind == "too_long" and last == "fields":
        return _("Satu produk paling banyak memuat %(n)d isian.") % {
            "n": int(context.get("max_length", 40))
        }
    if last == "code":
        return _("Kode: 2-39 huruf kecil, angka atau garis bawah, diawali huruf.")
    if last == "layout":
        return _("Pilih tata letak surat atau sertifikat.")
    if kind == "value_error" and "label" in str(error.get("msg", "")):
        return _("Setiap isian dalam satu produk harus berlabel berbeda.")
    return _("Isian ini tidak valid.")


def _field_name(location: Sequence[Any]) -> str:
    """``(0, "fields", 2, "label")`` -> ``p0_f2_label`` (the editor's input names)."""
    parts = list(location)
    if not parts or not isinstance(parts[0], int):
        return "products"
    name = f"p{parts[0]}"
    rest = parts[1:]
    if len(rest) >= 2 and rest[0] == "fields" and isinstance(rest[1], int):
        name += f"_f{rest[1]}"
        rest = rest[2:]
        return name + (f"_{rest[0]}" if rest else "_label")
    if rest and rest[0] == "fields":
        return name + "_fields"
    return name + (f"_{rest[0]}" if rest else "_fields")


def check_products(  # noqa: PLR0912 - one check per rule, each with its own message
    service: Service, raw: list[dict[str, Any]]
) -> list[ProductTemplate]:
    """The products as templates, checked against ``service``; ``InvalidInput`` naming each
    field in the editor's input names (``p0_title``, ``p0_f1_source``)."""
    errors: list[dict[str, str]] = []
    if len(raw) > MAX_PRODUCTS:
        errors.append(
            {
                "field": "products",
                "message": _("Satu layanan paling banyak menerbitkan %(n)d produk.")
                % {"n": MAX_PRODUCTS},
            }
        )
    for index, product in enumerate(raw):
        texts: list[tuple[str, str, str]] = [
            (f"p{index}_title", str(product.get("title", "")), _("Judul")),
            (f"p{index}_opening", str(product.get("opening", "")), _("Pembuka")),
            (f"p{index}_closing", str(product.get("closing", "")), _("Penutup")),
            (f"p{index}_signer_position", str(product.get("signer_position", "")), _("Jabatan")),
        ]
        for number, row in enumerate(product.get("fields", [])):
            texts.append((f"p{index}_f{number}_label", str(row.get("label", "")), _("Label")))
            texts.append((f"p{index}_f{number}_source", str(row.get("source", "")), _("Sumber")))
        for field, value, label in texts:
            hidden = unsafe_text_error(value, field=field, label=label)
            if hidden:
                errors.append(hidden)
    if errors:
        raise InvalidInput(_("Produk belum disimpan. Periksa isian yang ditandai."), details=errors)
    try:
        products = validate_products(raw)
    except ValidationError as exc:
        details = [
            {"field": _field_name(e["loc"]), "message": _message(dict(e))} for e in exc.errors()
        ]
        raise InvalidInput(
            _("Produk belum disimpan. Periksa isian yang ditandai."), details=details
        ) from None
    except ValueError:
        codes = [str(p.get("code", "")) for p in raw]
        details = [
            {"field": f"p{i}_code", "message": _("Setiap produk harus berkode berbeda.")}
            for i, code in enumerate(codes)
            if codes.count(code) > 1
        ]
        raise InvalidInput(
            _("Produk belum disimpan. Periksa isian yang ditandai."), details=details
        ) from None
    form_paths = {path for path, _label in form_sources(schema_of(service))}
    officer_codes = {code for code, _label in officer_sources(service)}
    for index, product_template in enumerate(products):
        for number, row in enumerate(product_template.fields):
            kind, _sep, rest = row.source.partition(":")
            if kind == "form" and rest not in form_paths:
                errors.append(
                    {
                        "field": f"p{index}_f{number}_source",
                        "message": _("Formulir layanan ini tidak memiliki isian %(path)s.")
                        % {"path": rest},
                    }
                )
            if kind == "step" and rest not in officer_codes:
                errors.append(
                    {
                        "field": f"p{index}_f{number}_source",
                        "message": _("Alur layanan ini tidak memiliki isian petugas %(code)s.")
                        % {"code": rest},
                    }
                )
    if errors:
        raise InvalidInput(_("Produk belum disimpan. Periksa isian yang ditandai."), details=errors)
    return products


def save_products(
    session: Session, region: Region, user: User, service: Service, raw: list[dict[str, Any]]
) -> list[ProductTemplate]:
    """Check and keep the service's products (the caller checked the user may edit it);
    the change is audited with the codes before and after."""
    products = check_products(service, raw)
    before = [str(p.get("code", "")) for p in service.products or []]
    stored = [p.model_dump(exclude_defaults=True) for p in products]
    if stored != service.products:
        service.products = stored
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=user.id,
            actor_label=user.email,
            action="service.products.update",
            target_type="service",
            target_id=str(service.id),
            details={"slug": service.slug, "before": before, "after": [p.code for p in products]},
        )
        session.flush()
    return products

"""The template editor: a service's products, edited by the region admin (and the agency's
admin OPD, who edits the rest of its service).

``/{region}/admin/layanan/{slug}/produk`` shows each product (title, layout, opening, closing,
signer's position, and its fields as rows of label + source chosen from what the service
offers). One form, no script needed: "Tambah produk" adds an empty product, a product's
"hapus" box removes it, two empty field rows per product take new fields, "Pratinjau" returns
a sample PDF marked CONTOH (validated first, never signed or stored), "Simpan" checks and keeps
every product (``product_templates.save_products``, audited).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.catalogue import product_templates, service
from simpul.catalogue.models import Service
from simpul.catalogue.products import LAYOUTS, ProductTemplate
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.documents import service as documents_service
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: Empty field rows shown under each product for new fields.
SPARE_ROWS: Final = 2
TEXT_SOURCE: Final = "text:"
#: A product to fill in (offered when the service has none, and by "Tambah produk").
_BLANK: Final[dict[str, Any]] = {"code": "", "title": "", "layout": "surat", "fields": []}
_NAME = re.compile(r"^p(\d{1,2})_(?:f(\d{1,2})_)?([a-z_]+)$")


def _rows_of(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The editor's view of stored products: each field split into source and free text."""
    shown: list[dict[str, Any]] = []
    for product in stored:
        fields = []
        for row in product.get("fields", []):
            source = str(row.get("source", ""))
            text = source[len(TEXT_SOURCE) :] if source.startswith(TEXT_SOURCE) else ""
            fields.append(
                {
                    "label": row.get("label", ""),
                    "source": TEXT_SOURCE if text else source,
                    "text": text,
                }
            )
        shown.append({**product, "fields": fields})
    return shown


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _products_from(values: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The submitted products (removed ones and empty rows left out) as raw templates, and
    the same as the editor shows them again."""
    products: dict[int, dict[str, Any]] = {}
    for name, value in values.items():
        match = _NAME.match(name)
        if match is None:
            continue
        index, row, key = int(match[1]), match[2], match[3]
        product = products.setdefault(index, {"fields": {}})
        if row is None:
            product[key] = value
        else:
            product["fields"].setdefault(int(row), {})[key] = value
    raw: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = []
    for index in sorted(products):
        product = products[index]
        if product.get("remove") == "ya":
            continue
        fields_raw, fields_shown = [], []
        for number in sorted(product["fields"]):
            row = product["fields"][number]
            label, source = row.get("label", "").strip(), row.get("source", "").strip()
            text = row.get("text", "")
            if not label and not source and not text.strip():
                continue
            fields_shown.append({"label": label, "source": source, "text": text})
            fields_raw.append(
                {"label": label, "source": TEXT_SOURCE + text if source == TEXT_SOURCE else source}
            )
        template = {
            key: product.get(key, "")
            for key in ("code", "title", "layout", "opening", "closing", "signer_position")
        }
        if not fields_raw and not any(
            str(template[key]).strip() for key in ("code", "title", "opening", "closing")
        ):
            continue  # the blank product the page offers, left blank
        raw.append({**template, "fields": fields_raw})
        shown.append({**template, "fields": fields_shown})
    return raw, shown


def _chosen(products: list[ProductTemplate], number: str) -> ProductTemplate:
    """The product a preview button names (its position among the checked products)."""
    index = int(number) if number.isdigit() else -1
    if not 0 <= index < len(products):
        raise InvalidInput(_("Pilih produk yang ingin dipratinjau."))
    return products[index]


def _page(
    request: Request,
    found: Service,
    products: list[dict[str, Any]],
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    saved: bool = False,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "catalogue/admin_products.html",
        {
            "service": found,
            "products": products,
            "choices": product_templates.source_choices(found),
            "text_source": TEXT_SOURCE,
            "layouts": LAYOUTS,
            "spare_rows": SPARE_ROWS,
            "errors": errors or {},
            "message": message,
            "saved": saved,
        },
        status_code=status,
    )


@router.get(
    "/{region}/admin/layanan/{slug}/produk", response_class=HTMLResponse, name="edit_products"
)
def products_form(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageStaff, slug: str
) -> HTMLResponse:
    found = service.get_service_for_editing(session, region, user, slug)
    return _page(request, found, _rows_of(list(found.products or [])) or [_BLANK])


@router.post("/{region}/admin/layanan/{slug}/produk", response_class=HTMLResponse)
def save_products(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    slug: str,
    values: Annotated[dict[str, str], Depends(_form)],
) -> Response:
    """Save, add a product, or preview one (``action``: ``simpan``, ``tambah``,
    ``pratinjau-<n>``)."""
    found = service.get_service_for_editing(session, region, user, slug)
    raw, shown = _products_from(values)
    action = values.get("action", "simpan")
    if action == "tambah":
        return _page(request, found, [*shown, _BLANK])
    try:
        if action.startswith("pratinjau-"):
            products = product_templates.check_products(found, raw)
            product = _chosen(products, action.removeprefix("pratinjau-"))
            pdf = documents_service.render_product_sample(region, found, product)
            return Response(
                pdf,
                media_type="application/pdf",
                headers={
                    "Content-Disposition": f'inline; filename="contoh-{product.code}.pdf"',
                    "Cache-Control": "private, no-store",
                    "X-Content-Type-Options": "nosniff",
                },
            )
        product_templates.save_products(session, region, user, found, raw)
    except InvalidInput as exc:
        return _page(
            request,
            found,
            shown,
            errors=exc.field_errors(),
            message=exc.message,
            status=exc.status_code,
        )
    return _page(request, found, _rows_of(list(found.products or [])), saved=True)

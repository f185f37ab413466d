"""The region admin's savings pages: the dashboard, its export, and the unit costs."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Service
from simpul.core.database import DbSession
from simpul.core.errors import NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit import periods
from simpul.core.kit.exports import export_routes, invalid_query
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.evaluation.figures import FIGURES
from simpul.evaluation.savings import ledger, profiles, rates, report
from simpul.web.csrf import csrf_protect
from simpul.web.downloads import table_download
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: What the unit costs page says after they were saved (``?pesan=``).
RATES_NOTICES: Final = {"disimpan": lazy("Biaya satuan disimpan.")}
#: What the list of offline paths says after one was saved.
SERVICES_NOTICES: Final = {"disimpan": lazy("Jalur luring layanan disimpan.")}

Day = Annotated[str | None, Query(max_length=10)]


@router.get("/{region}/admin/penghematan", response_class=HTMLResponse, name="savings_dashboard")
def dashboard(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    dari: Day = None,
    sampai: Day = None,
) -> HTMLResponse:
    """Totals in sheets, trips and rupiah for a period, per month, agency and service."""
    period, errors = periods.parse_period(dari, sampai, periods.today_in(region))
    return render(
        request,
        "savings/dashboard.html",
        {
            **FIGURES,
            "report": report.build_report(session, region, period),
            "errors": errors,
            "month_names": periods.MONTH_NAMES,
            "values": {"dari": dari or period.start.isoformat(), "sampai": sampai or ""},
            "query": f"dari={period.start.isoformat()}&sampai={period.end.isoformat()}",
        },
        status_code=422 if errors else 200,
    )


@export_routes(router, "/{region}/admin/penghematan/ekspor", "savings_export")
def export(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    extension: str,
    dari: Day = None,
    sampai: Day = None,
) -> Response:
    """Totals per month, agency and service as CSV or XLSX."""
    period, errors = periods.parse_period(dari, sampai, periods.today_in(region))
    if errors:
        raise invalid_query(errors)
    return table_download(
        report.export_rows(session, region, period),
        report.EXPORT_COLUMNS,
        extension=extension,
        title="penghematan",
        filename=f"penghematan-{region.slug}-{period.start.isoformat()}-{period.end.isoformat()}",
    )


def _rates_page(
    request: Request,
    current: ledger.Rates,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "current": current,
        "defaults": ledger.DEFAULT_RATES,
        "values": values,
        "errors": errors,
        "notice": notice,
        "max_rupiah": rates.MAX_RUPIAH,
    }
    return render(request, "savings/rates.html", context, status_code=status)


@router.get("/{region}/admin/penghematan/tarif", response_class=HTMLResponse, name="savings_rates")
def rates_form(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """The unit costs in force, in a form the admin can change."""
    current = ledger.rates_for(session, region.id)
    return _rates_page(
        request, current, rates.form_values(current), {}, notice=notice_text(RATES_NOTICES, pesan)
    )


@router.post("/{region}/admin/penghematan/tarif", response_class=HTMLResponse)
def rates_save(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    kertas: Annotated[str, Form(max_length=20)] = "",
    cetak: Annotated[str, Form(max_length=20)] = "",
    kurir: Annotated[str, Form(max_length=20)] = "",
    perjalanan: Annotated[str, Form(max_length=20)] = "",
    sumber: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Store the unit costs for completions from now on; a bad value shows its error."""
    form = rates.parse_rate_form(
        {
            "kertas": kertas,
            "cetak": cetak,
            "kurir": kurir,
            "perjalanan": perjalanan,
            "sumber": sumber,
        }
    )
    if form.rates is None:
        current = ledger.rates_for(session, region.id)
        return _rates_page(request, current, form.values, form.errors, status=422)
    rates.set_rates(session, region, user, form.rates)
    return RedirectResponse(
        with_notice(f"/{region.slug}/admin/penghematan/tarif", "disimpan"), status_code=303
    )


@router.get(
    "/{region}/admin/penghematan/layanan", response_class=HTMLResponse, name="savings_services"
)
def service_list(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """Every service's offline path, set by the region or derived (marked as an assumption)."""
    return render(
        request,
        "savings/services.html",
        {
            "rows": profiles.service_rows(session, region),
            "notice": notice_text(SERVICES_NOTICES, pesan),
        },
    )


def _service(session: DbSession, region: Region, slug: str) -> Service:
    service = catalogue_service.service_by_slug(session, region, slug)
    if service is None:
        raise NotFound(_("Layanan tidak ditemukan."))
    return service


def _profile_page(
    request: Request,
    service: Service,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "service": service,
        "defaults": ledger.default_quantities(service),
        "values": values,
        "errors": errors,
        "max_quantity": profiles.MAX_QUANTITY,
    }
    return render(request, "savings/service_form.html", context, status_code=status)


@router.get("/{region}/admin/penghematan/layanan/{slug}", response_class=HTMLResponse)
def profile_form(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin, slug: str
) -> HTMLResponse:
    """The service's offline path in a form the admin can change."""
    service = _service(session, region, slug)
    return _profile_page(request, service, profiles.form_values(session, service), {})


@router.post("/{region}/admin/penghematan/layanan/{slug}", response_class=HTMLResponse)
def profile_save(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    slug: str,
    lembar: Annotated[str, Form(max_length=10)] = "",
    salinan: Annotated[str, Form(max_length=10)] = "",
    kurir: Annotated[str, Form(max_length=10)] = "",
    perjalanan: Annotated[str, Form(max_length=10)] = "",
    catatan: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Store the service's offline path for completions from now on."""
    service = _service(session, region, slug)
    form = profiles.parse_profile_form(
        {
            "lembar": lembar,
            "salinan": salinan,
            "kurir": kurir,
            "perjalanan": perjalanan,
            "catatan": catatan,
        }
    )
    if form.quantities is None:
        return _profile_page(request, service, form.values, form.errors, status=422)
    profiles.set_profile(session, region, user, service, form.quantities, form.values["catatan"])
    return RedirectResponse(
        with_notice(f"/{region.slug}/admin/penghematan/layanan", "disimpan"), status_code=303
    )

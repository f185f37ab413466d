"""The region admin sets a service's offline path: sheets, copies, courier and citizen trips."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.catalogue.models import Service
from simpul.core.audit import record_audit_event
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.savings import repository
from simpul.savings.ledger import Quantities, default_quantities, quantities_for
from simpul.savings.models import ServiceSavingsProfile

#: No offline path takes more; a bigger number is a typo.
MAX_QUANTITY: Final = 1000
MAX_NOTE: Final = 2000

#: Form field -> (Quantities attribute, the label errors name).
FIELDS: Final = {
    "lembar": ("sheets", lazy("Jumlah lembar kertas")),
    "salinan": ("printed_copies", lazy("Jumlah salinan cetak")),
    "kurir": ("courier_trips", lazy("Jumlah perjalanan kurir")),
    "perjalanan": ("citizen_trips", lazy("Jumlah perjalanan warga")),
}


@dataclass(frozen=True)
class ServiceRow:
    service: Service
    agency_name: str
    quantities: Quantities


def service_rows(session: Session, region: Region) -> list[ServiceRow]:
    """Every service of the region with the offline path in force (set or derived)."""
    profiles = repository.profiles_by_service(session, region.id)
    rows = []
    for service, agency_name in repository.list_services(session, region.id):
        profile = profiles.get(service.id)
        quantities = (
            default_quantities(service)
            if profile is None
            else Quantities(
                profile.sheets, profile.printed_copies, profile.courier_trips, profile.citizen_trips
            )
        )
        rows.append(ServiceRow(service, agency_name, quantities))
    return rows


@dataclass(frozen=True)
class ProfileForm:
    values: dict[str, str]
    errors: dict[str, str]
    quantities: Quantities | None


def form_values(session: Session, service: Service) -> dict[str, str]:
    """The form filled in with the quantities in force."""
    quantities = quantities_for(session, service)
    values = {field: str(getattr(quantities, attr)) for field, (attr, _label) in FIELDS.items()}
    profile = repository.get_profile(session, service.region_id, service.id)
    values["catatan"] = profile.note if profile else ""
    return values


def parse_profile_form(form: Mapping[str, str]) -> ProfileForm:
    """Whole numbers from 0 to 1000 for each quantity; a note of at most 2000 characters."""
    values = {field: str(form.get(field, "")).strip() for field in (*FIELDS, "catatan")}
    errors: dict[str, str] = {}
    parsed: dict[str, int] = {}
    for field, (attr, label) in FIELDS.items():
        raw = values[field]
        if not raw:
            errors[field] = _("%(field)s wajib diisi.") % {"field": _(label)}
        elif not raw.isdecimal() or int(raw) > MAX_QUANTITY:
            errors[field] = _("%(field)s harus bilangan bulat 0 sampai %(max)d.") % {
                "field": _(label),
                "max": MAX_QUANTITY,
            }
        else:
            parsed[attr] = int(raw)
    if len(values["catatan"]) > MAX_NOTE:
        errors["catatan"] = _("Catatan paling banyak %(n)d karakter.") % {"n": MAX_NOTE}
    if errors:
        return ProfileForm(values, errors, None)
    quantities = Quantities(
        sheets=parsed["sheets"],
        printed_copies=parsed["printed_copies"],
        courier_trips=parsed["courier_trips"],
        citizen_trips=parsed["citizen_trips"],
    )
    return ProfileForm(values, errors, quantities)


def set_profile(
    session: Session,
    region: Region,
    actor: User,
    service: Service,
    quantities: Quantities,
    note: str,
) -> ServiceSavingsProfile:
    """Store a service's offline path for completions from now on, and audit it."""
    profile = repository.get_profile(session, region.id, service.id)
    if profile is None:
        profile = ServiceSavingsProfile(region_id=region.id, service_id=service.id)
        session.add(profile)
    for attr, _label in FIELDS.values():
        setattr(profile, attr, getattr(quantities, attr))
    profile.note = note
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor.id,
        actor_label=actor.email,
        action="savings.profile_set",
        target_type="service",
        target_id=str(service.id),
        details={attr: getattr(quantities, attr) for attr, _label in FIELDS.values()},
    )
    return profile

"""The region admin sets a service's offline path: sheets, copies, courier and citizen trips."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.catalogue.models import Service
from simpul.core.audit import record_audit_event
from simpul.core.i18n import _, lazy
from simpul.core.kit.forms import form_error, validate_form
from simpul.core.models import Region
from simpul.evaluation.savings import repository
from simpul.evaluation.savings.ledger import Quantities, default_quantities, quantities_for
from simpul.evaluation.savings.models import ServiceSavingsProfile

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


class ProfileFields(BaseModel):
    """A service's offline path form: whole numbers from 0 to 1000, and a short note."""

    model_config = ConfigDict(frozen=True)

    lembar: int
    salinan: int
    kurir: int
    perjalanan: int
    catatan: str

    @field_validator("lembar", "salinan", "kurir", "perjalanan", mode="before")
    @classmethod
    def _quantity(cls, raw: str, info: ValidationInfo) -> int:
        label = _(FIELDS[str(info.field_name)][1])
        if not raw:
            raise form_error(_("%(field)s wajib diisi.") % {"field": label})
        if not raw.isdecimal() or int(raw) > MAX_QUANTITY:
            raise form_error(
                _("%(field)s harus bilangan bulat 0 sampai %(max)d.")
                % {"field": label, "max": MAX_QUANTITY}
            )
        return int(raw)

    @field_validator("catatan")
    @classmethod
    def _short_note(cls, text: str) -> str:
        if len(text) > MAX_NOTE:
            raise form_error(_("Catatan paling banyak %(n)d karakter.") % {"n": MAX_NOTE})
        return text


def parse_profile_form(form: Mapping[str, str]) -> ProfileForm:
    """Whole numbers from 0 to 1000 for each quantity; a note of at most 2000 characters."""
    values = {field: str(form.get(field, "")).strip() for field in (*FIELDS, "catatan")}
    fields, errors = validate_form(ProfileFields, values)
    if fields is None:
        return ProfileForm(values, errors, None)
    quantities = Quantities(
        sheets=fields.lembar,
        printed_copies=fields.salinan,
        courier_trips=fields.kurir,
        citizen_trips=fields.perjalanan,
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

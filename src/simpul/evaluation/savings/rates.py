"""The region admin sets the unit costs: validated form input, stored, audited."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.i18n import _, lazy
from simpul.core.kit.forms import form_error, validate_form
from simpul.core.models import Region
from simpul.evaluation.savings import repository
from simpul.evaluation.savings.ledger import Rates
from simpul.evaluation.savings.models import SavingsRate

#: Far above any real unit cost; refuses typos that would swamp every total.
MAX_RUPIAH: Final = 100_000_000
MAX_SOURCE: Final = 2000
_GROUPED: Final = re.compile(r"\d{1,3}(\.\d{3})+")

#: Form field -> (Rates attribute, the label errors name).
FIELDS: Final = {
    "kertas": ("sheet_rupiah", lazy("Biaya per lembar kertas")),
    "cetak": ("printed_copy_rupiah", lazy("Biaya per salinan cetak")),
    "kurir": ("courier_trip_rupiah", lazy("Biaya per perjalanan kurir")),
    "perjalanan": ("citizen_trip_rupiah", lazy("Biaya per perjalanan warga")),
}


@dataclass(frozen=True)
class RateForm:
    """What the admin typed, and what is wrong with it per field."""

    values: dict[str, str]
    errors: dict[str, str]
    rates: Rates | None


def form_values(rates: Rates) -> dict[str, str]:
    """The form filled in with the rates in force."""
    values = {field: str(getattr(rates, attr)) for field, (attr, _label) in FIELDS.items()}
    values["sumber"] = "" if rates.is_default else rates.source
    return values


class RateFields(BaseModel):
    """The unit costs form: whole rupiah, 0 or more ("25.000" as Indonesians write it)."""

    model_config = ConfigDict(frozen=True)

    kertas: int
    cetak: int
    kurir: int
    perjalanan: int
    sumber: str

    @field_validator("kertas", "cetak", "kurir", "perjalanan", mode="before")
    @classmethod
    def _whole_rupiah(cls, raw: str, info: ValidationInfo) -> int:
        label = _(FIELDS[str(info.field_name)][1])
        if _GROUPED.fullmatch(raw):
            raw = raw.replace(".", "")
        if not raw:
            raise form_error(_("%(field)s wajib diisi.") % {"field": label})
        if not raw.isdecimal():
            raise form_error(
                _("%(field)s harus bilangan bulat rupiah, 0 atau lebih.") % {"field": label}
            )
        if int(raw) > MAX_RUPIAH:
            raise form_error(
                _("%(field)s paling banyak Rp%(max)s.")
                % {"field": label, "max": f"{MAX_RUPIAH:,}".replace(",", ".")}
            )
        return int(raw)

    @field_validator("sumber")
    @classmethod
    def _short_source(cls, text: str) -> str:
        if len(text) > MAX_SOURCE:
            raise form_error(_("Sumber paling banyak %(n)d karakter.") % {"n": MAX_SOURCE})
        return text


def parse_rate_form(form: Mapping[str, str]) -> RateForm:
    """Whole rupiah, 0 or more, for every unit cost; a source of at most 2000 characters."""
    values = {field: str(form.get(field, "")).strip() for field in (*FIELDS, "sumber")}
    fields, errors = validate_form(RateFields, values)
    if fields is None:
        return RateForm(values, errors, None)
    rates = Rates(
        sheet_rupiah=fields.kertas,
        printed_copy_rupiah=fields.cetak,
        courier_trip_rupiah=fields.kurir,
        citizen_trip_rupiah=fields.perjalanan,
        source=fields.sumber,
    )
    return RateForm(values, errors, rates)


def set_rates(session: Session, region: Region, actor: User, rates: Rates) -> SavingsRate:
    """Store the region's unit costs for applications completed from now on, and audit it."""
    row = repository.get_rate(session, region.id)
    before = None
    if row is None:
        row = SavingsRate(region_id=region.id)
        session.add(row)
    else:
        before = {attr: getattr(row, attr) for attr, _label in FIELDS.values()}
    for attr, _label in FIELDS.values():
        setattr(row, attr, getattr(rates, attr))
    row.source = rates.source
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor.id,
        actor_label=actor.email,
        action="savings.rates_set",
        target_type="savings_rate",
        target_id=str(row.id),
        details={
            "before": before,
            "after": {attr: getattr(rates, attr) for attr, _label in FIELDS.values()},
            "source": rates.source,
        },
    )
    return row

"""The region admin sets the unit costs: validated form input, stored, audited."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.savings import repository
from simpul.savings.ledger import Rates
from simpul.savings.models import SavingsRate

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


def parse_rate_form(form: Mapping[str, str]) -> RateForm:
    """Whole rupiah, 0 or more, for every unit cost; a source of at most 2000 characters."""
    values = {field: str(form.get(field, "")).strip() for field in (*FIELDS, "sumber")}
    errors: dict[str, str] = {}
    parsed: dict[str, int] = {}
    for field, (attr, label) in FIELDS.items():
        raw = values[field]
        if _GROUPED.fullmatch(raw):  # "25.000" as Indonesians write it
            raw = raw.replace(".", "")
        if not raw:
            errors[field] = _("%(field)s wajib diisi.") % {"field": _(label)}
        elif not raw.isdecimal():
            errors[field] = _("%(field)s harus bilangan bulat rupiah, 0 atau lebih.") % {
                "field": _(label)
            }
        elif int(raw) > MAX_RUPIAH:
            errors[field] = _("%(field)s paling banyak Rp%(max)s.") % {
                "field": _(label),
                "max": f"{MAX_RUPIAH:,}".replace(",", "."),
            }
        else:
            parsed[attr] = int(raw)
    if len(values["sumber"]) > MAX_SOURCE:
        errors["sumber"] = _("Sumber paling banyak %(n)d karakter.") % {"n": MAX_SOURCE}
    if errors:
        return RateForm(values, errors, None)
    rates = Rates(
        sheet_rupiah=parsed["sheet_rupiah"],
        printed_copy_rupiah=parsed["printed_copy_rupiah"],
        courier_trip_rupiah=parsed["courier_trip_rupiah"],
        citizen_trip_rupiah=parsed["citizen_trip_rupiah"],
        source=values["sumber"],
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

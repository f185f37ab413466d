"""Catalogue rules: browsing, search, loading a catalogue and copying one between regions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.catalogue import repository, synonyms
from simpul.catalogue.models import Agency, LifeEvent, Service
from simpul.catalogue.seed import AgencySeed, LifeEventSeed, SynonymSeed
from simpul.catalogue.standard import (
    COMPONENT_LABELS,
    STANDARD_COMPONENTS,
    EForm,
    ServiceStandard,
)
from simpul.catalogue.standards_check import Disagreement, check_region, check_service
from simpul.core.audit import record_audit_event
from simpul.core.errors import Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.inputs import MAX_OFFSET
from simpul.core.models import Region
from simpul.core.text import unsafe_text_error

MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 200
#: Searches rank at most this many services (more than a region publishes in one field).
MAX_SEARCH_RESULTS = 500


@dataclass(frozen=True)
class ServicePage:
    """One page of services and how many there are in all."""

    items: Sequence[Service]
    total: int
    limit: int
    offset: int
    #: True when no service matched every word and the results match some of them.
    relaxed: bool = False


def _check_paging(limit: int, offset: int) -> None:
    errors = []
    if not 1 <= limit <= MAX_PAGE_SIZE:
        errors.append({"field": "limit", "message": _("Nilai limit harus 1 sampai 100.")})
    if offset < 0:
        errors.append({"field": "offset", "message": _("Nilai offset tidak boleh negatif.")})
    elif offset > MAX_OFFSET:
        errors.append(
            {
                "field": "offset",
                "message": _("Nilai offset paling besar %(n)d.") % {"n": MAX_OFFSET},
            }
        )
    if errors:
        raise InvalidInput(_("Parameter halaman tidak valid."), details=errors)


def find_services(
    session: Session,
    region: Region,
    *,
    query: str | None = None,
    agency_slug: str | None = None,
    life_event_slug: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> ServicePage:
    """Search (ranked) when ``query`` is given, else list by name, with optional filters.

    A query and a filter together search first and then keep the services of the filter.
    """
    _check_paging(limit, offset)
    agency_id = _agency_id(session, region, agency_slug)
    life_event_id = _life_event_id(session, region, life_event_slug)
    text = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        items, total = repository.list_published_services(
            session,
            region.id,
            agency_id=agency_id,
            life_event_id=life_event_id,
            limit=limit,
            offset=offset,
        )
        return ServicePage(items, total, limit, offset)
    alternatives = synonyms.search_alternatives(session, region, text)
    for relaxed in (False, True):
        items = repository.search_published_services(
            session,
            region.id,
            text,
            relaxed=relaxed,
            limit=MAX_SEARCH_RESULTS,
            alternatives=alternatives,
        )
        kept = [
            s
            for s in items
            if (agency_id is None or s.agency_id == agency_id)
            and (life_event_id is None or any(e.id == life_event_id for e in s.life_events))
        ]
        if kept:
            return ServicePage(kept[offset : offset + limit], len(kept), limit, offset, relaxed)
    return ServicePage([], 0, limit, offset)


def all_published_services(session: Session, region: Region) -> Sequence[Service]:
    """Every published service in name order (a region publishes hundreds, not millions)."""
    items, _total = repository.list_published_services(session, region.id, limit=10_000, offset=0)
    return items


def _agency_id(session: Session, region: Region, slug: str | None) -> uuid.UUID | None:
    if not slug:
        return None
    agency = repository.get_agency_by_slug(session, region.id, slug)
    if agency is None:
        raise NotFound(_("Instansi tidak ditemukan."))
    return agency.id


def _life_event_id(session: Session, region: Region, slug: str | None) -> uuid.UUID | None:
    if not slug:
        return None
    event = repository.get_life_event_by_slug(session, region.id, slug)
    if event is None:
        raise NotFound(_("Peristiwa hidup tidak ditemukan."))
    return event.id


def get_service(session: Session, region: Region, slug: str) -> Service:
    service = repository.get_published_service_by_slug(session, region.id, slug)
    if service is None:
        raise NotFound(_("Layanan tidak ditemukan di wilayah ini."))
    return service


def get_agency(session: Session, region: Region, slug: str) -> Agency:
    agency = repository.get_agency_by_slug(session, region.id, slug)
    if agency is None:
        raise NotFound(_("Instansi tidak ditemukan."))
    return agency


def find_agency(session: Session, region: Region, slug: str) -> Agency | None:
    """The region's agency with this slug, or None (for callers that report it themselves)."""
    return repository.get_agency_by_slug(session, region.id, slug)


def all_agencies(session: Session, region: Region) -> Sequence[Agency]:
    """Every agency of the region, by name, published services or not (for forms and imports)."""
    return repository.list_agencies(session, region.id)


def count_services(session: Session, region: Region) -> int:
    """How many services the region has, published or not."""
    return repository.count_services(session, region.id)


def list_agencies(session: Session, region: Region) -> list[repository.AgencyWithCount]:
    return repository.list_agencies_with_counts(session, region.id)


def list_life_events(session: Session, region: Region) -> list[repository.LifeEventWithCount]:
    return repository.list_life_events_with_counts(session, region.id)


def standard_of(service: Service) -> ServiceStandard:
    return ServiceStandard.model_validate(service.standard)


def eform_of(service: Service) -> EForm:
    """The stored eForm, validated when it was written (checking the schema again on every
    page view would cost more than rendering the page)."""
    return EForm.model_construct(
        json_schema=service.eform["schema"], ui=service.eform.get("ui", {})
    )


# -- editing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceEdit:
    """What a region changes in a service it publishes (its own copy)."""

    name: str
    name_en: str
    summary: str
    summary_en: str
    sla_working_days: int | str
    fee_rupiah: int | str
    published: bool
    standard: dict[str, str]


def can_edit_service(user: User, service: Service) -> bool:
    """The region admin edits every service; an agency's admin OPD edits its agency's."""
    if user.region_id != service.region_id:
        return False
    if user.kind is AccountKind.REGION_ADMIN:
        return True
    return any(
        r.agency_id == service.agency_id and r.role is StaffRoleName.ADMIN_OPD for r in user.roles
    )


def services_editable_by(session: Session, region: Region, user: User) -> list[Service]:
    return [
        s for s in repository.list_all_services(session, region.id) if can_edit_service(user, s)
    ]


def get_service_for_editing(session: Session, region: Region, user: User, slug: str) -> Service:
    service = repository.get_service_by_slug(session, region.id, slug)
    if service is None:
        raise NotFound(_("Layanan tidak ditemukan di wilayah ini."))
    if not can_edit_service(user, service):
        raise Forbidden(_("Anda tidak berwenang mengubah layanan ini."))
    return service


def _whole_number(
    value: int | str, field: str, low: int, high: int, errors: list[dict[str, str]]
) -> int:
    try:
        number = int(str(value).strip().replace(".", ""))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        errors.append(
            {
                "field": field,
                "message": _("Isi angka %(low)d sampai %(high)d.") % {"low": low, "high": high},
            }
        )
    return number


def update_service(
    session: Session, region: Region, user: User, slug: str, edit: ServiceEdit
) -> Service:
    """Apply a region's edit of one of its services; every problem is reported per field."""
    service = get_service_for_editing(session, region, user, slug)
    errors: list[dict[str, str]] = []
    texts = {
        "name": (" ".join(edit.name.split()), 5, 200),
        "name_en": (" ".join(edit.name_en.split()), 5, 200),
        "summary": (edit.summary.strip(), 20, 600),
        "summary_en": (edit.summary_en.strip(), 20, 600),
    }
    for field, (value, low, high) in texts.items():
        if not low <= len(value) <= high:
            errors.append(
                {
                    "field": field,
                    "message": _("Isi %(low)d sampai %(high)d karakter.")
                    % {"low": low, "high": high},
                }
            )
    labels = {
        "name": _("Nama layanan"),
        "name_en": _("Nama layanan (bahasa Inggris)"),
        "summary": _("Ringkasan"),
        "summary_en": _("Ringkasan (bahasa Inggris)"),
        **{key: _(label) for key, label in COMPONENT_LABELS.items()},
    }
    texts_in = {**{k: v for k, (v, _low, _high) in texts.items()}, **edit.standard}
    hidden = [
        unsafe_text_error(str(value), field=key, label=labels.get(key, key))
        for key, value in texts_in.items()
    ]
    errors.extend(problem for problem in hidden if problem is not None)
    sla = _whole_number(edit.sla_working_days, "sla_working_days", 0, 365, errors)
    fee = _whole_number(edit.fee_rupiah, "fee_rupiah", 0, 1_000_000_000, errors)
    standard = {key: edit.standard.get(key, "").strip() for key in STANDARD_COMPONENTS}
    for key, value in standard.items():
        if not 3 <= len(value) <= 4000:
            errors.append(
                {"field": key, "message": _("Komponen ini wajib diisi (3-4000 karakter).")}
            )
    if errors:
        raise InvalidInput(
            _("Perubahan belum disimpan. Periksa isian yang ditandai."), details=errors
        )
    new_values = {
        "name": texts["name"][0],
        "name_en": texts["name_en"][0],
        "summary": texts["summary"][0],
        "summary_en": texts["summary_en"][0],
        "sla_working_days": sla,
        "fee_rupiah": fee,
        "published": edit.published,
    }
    changed = [k for k, v in new_values.items() if getattr(service, k) != v]
    changed += [k for k in STANDARD_COMPONENTS if service.standard.get(k) != standard[k]]
    for key, new_value in new_values.items():
        setattr(service, key, new_value)
    service.standard = ServiceStandard.model_validate(standard).model_dump()
    if changed:
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=user.id,
            actor_label=user.email,
            action="service.update",
            target_type="service",
            target_id=str(service.id),
            details={"slug": service.slug, "changed": changed},
        )
    session.flush()
    return service


# -- loading and copying ------------------------------------------------------------------


@dataclass
class ImportReport:
    life_events: int = 0
    agencies: int = 0
    services: int = 0
    skipped_services: int = 0
    synonyms: int = 0


def import_catalogue(
    session: Session,
    region: Region,
    *,
    life_events: Sequence[LifeEventSeed],
    agencies: Sequence[AgencySeed],
    published: bool = True,
    search_synonyms: Sequence[SynonymSeed] = (),
) -> ImportReport:
    """Add life events, agencies and services that the region does not have yet (by slug).

    Existing rows are left as the region edited them; the report counts what was added.
    """
    report = ImportReport()
    events: dict[str, uuid.UUID] = {
        e.slug: e.id for e in repository.list_life_events(session, region.id)
    }
    for position, seed_event in enumerate(life_events):
        if seed_event.slug in events:
            continue
        event = LifeEvent(
            id=uuid.uuid4(),
            region_id=region.id,
            slug=seed_event.slug,
            name=seed_event.name,
            name_en=seed_event.name_en,
            description=seed_event.description,
            position=position,
        )
        repository.add_life_event(session, event)
        events[event.slug] = event.id
        report.life_events += 1
    for seed_agency in agencies:
        agency = repository.get_agency_by_slug(session, region.id, seed_agency.slug)
        if agency is None:
            agency = repository.add_agency(
                session,
                Agency(
                    id=uuid.uuid4(),
                    region_id=region.id,
                    **seed_agency.model_dump(exclude={"services"}),
                ),
            )
            report.agencies += 1
        session.flush()
        for seed_service in seed_agency.services:
            if repository.get_service_by_slug(session, region.id, seed_service.slug) is not None:
                report.skipped_services += 1
                continue
            service = Service(
                region_id=region.id,
                agency_id=agency.id,
                slug=seed_service.slug,
                name=seed_service.name,
                name_en=seed_service.name_en,
                summary=seed_service.summary,
                summary_en=seed_service.summary_en,
                keywords="\n".join(seed_service.keywords),
                agency_names=f"{agency.name}\n{agency.short_name}",
                sla_working_days=seed_service.sla_working_days,
                fee_rupiah=seed_service.fee_rupiah,
                online=seed_service.online,
                published=published,
                standard=seed_service.standard.model_dump(),
                standard_en=dict(seed_service.standard_en),
                required_documents=[d.model_dump() for d in seed_service.required_documents],
                eform=seed_service.eform.model_dump(by_alias=True),
                workflow=seed_service.workflow.model_dump(exclude_defaults=True),
                products=[p.model_dump(exclude_defaults=True) for p in seed_service.products],
            )
            repository.add_service(
                session, service, [events[slug] for slug in seed_service.life_events]
            )
            report.services += 1
    report.synonyms = synonyms.import_synonyms(
        session, region, [(s.term, s.meaning, s.former_name) for s in search_synonyms]
    )
    session.flush()
    return report


def export_catalogue(
    session: Session, region: Region
) -> tuple[list[LifeEventSeed], list[AgencySeed]]:
    """The region's catalogue in the seed format (what another region can start from)."""
    events = repository.list_life_events(session, region.id)
    services_by_agency: dict[uuid.UUID, list[Service]] = {}
    for service in repository.list_all_services(session, region.id):
        services_by_agency.setdefault(service.agency_id, []).append(service)
    agencies = []
    for agency in repository.list_agencies(session, region.id):
        services = services_by_agency.get(agency.id)
        if not services:
            continue
        agencies.append(
            AgencySeed.model_validate(
                {
                    "slug": agency.slug,
                    "name": agency.name,
                    "short_name": agency.short_name,
                    "name_en": agency.name_en,
                    "description": agency.description,
                    "address": agency.address,
                    "phone": agency.phone,
                    "email": agency.email,
                    "website": agency.website,
                    "services": [
                        {
                            "slug": s.slug,
                            "name": s.name,
                            "name_en": s.name_en,
                            "summary": s.summary,
                            "summary_en": s.summary_en,
                            "keywords": [k for k in s.keywords.splitlines() if k],
                            "life_events": [e.slug for e in s.life_events],
                            "sla_working_days": s.sla_working_days,
                            "fee_rupiah": s.fee_rupiah,
                            "online": s.online,
                            "standard": s.standard,
                            "standard_en": s.standard_en,
                            "required_documents": s.required_documents,
                            "eform": s.eform,
                            "workflow": s.workflow,
                            "products": s.products,
                        }
                        for s in services
                    ],
                }
            )
        )
    life_events = [
        LifeEventSeed(slug=e.slug, name=e.name, name_en=e.name_en, description=e.description)
        for e in events
    ]
    return life_events, agencies


def copy_catalogue(
    session: Session, source: Region, target: Region, *, published: bool = True
) -> ImportReport:
    """Copy ``source``'s agencies and service definitions into ``target`` as its own rows.

    The copy is a starting point the target region then edits: agency names take the
    target's name, and contact details (address, phone, e-mail, website) are left empty
    because the source's would be wrong. Services the target already has are kept.
    """
    if source.id == target.id:
        raise InvalidInput(
            _("Wilayah sumber dan tujuan harus berbeda."),
            details=[{"field": "target", "message": _("Pilih wilayah lain.")}],
        )
    life_events, agencies = export_catalogue(session, source)
    renamed = [
        agency.model_copy(
            update={
                "name": agency.name.replace(source.name, target.name),
                "description": agency.description.replace(source.name, target.name),
                "address": "",
                "phone": "",
                "email": "",
                "website": "",
            }
        )
        for agency in agencies
    ]
    report = import_catalogue(
        session,
        target,
        life_events=life_events,
        agencies=renamed,
        published=published,
        search_synonyms=[
            SynonymSeed(term=s.term, meaning=s.meaning, former_name=s.former_name)
            for s in synonyms.list_synonyms(session, source)
        ],
    )
    record_audit_event(
        session,
        region_id=target.id,
        actor_id=None,
        actor_label="cli",
        action="catalogue.copy",
        target_type="region",
        target_id=str(target.id),
        details={
            "source": source.slug,
            "agencies": report.agencies,
            "services": report.services,
            "skipped_services": report.skipped_services,
        },
    )
    return report


# -- reads for other domains (their rules live with them; the region scoping lives here) ------


def service_by_id(session: Session, region: Region, service_id: uuid.UUID) -> Service | None:
    """A service of the region, published or not (None: not this region's)."""
    return repository.get_service_by_id(session, region.id, service_id)


def service_by_slug(session: Session, region: Region, slug: str) -> Service | None:
    """A service of the region by its slug, published or not."""
    return repository.get_service_by_slug(session, region.id, slug)


def published_service_by_slug(session: Session, region: Region, slug: str) -> Service | None:
    return repository.get_published_service_by_slug(session, region.id, slug)


def every_service(session: Session, region: Region) -> Sequence[Service]:
    """Every service of the region, published or not, in name order."""
    return repository.list_all_services(session, region.id)


def catalogue_fingerprint(session: Session, region: Region) -> str:
    """Changes whenever anything the public catalogue pages show of the region changes."""
    return repository.catalogue_fingerprint(session, region.id)


def service_disagreements(session: Session, region: Region, found: Service) -> list[Disagreement]:
    """What disagrees between one service's standard and its configuration (its edit page)."""
    from simpul.complaints.service import runs_complaints  # a cycle at module level

    return check_service(
        found, found.agency, region, runs_complaints=runs_complaints(session, region)
    )


def standards_disagreements(
    session: Session, region: Region, slug: str | None = None
) -> tuple[int, list[Disagreement]]:
    """How many published services were checked against their standards, and what disagrees
    (decision 0046). ``slug`` checks one service; ``NotFound`` when it is not published here."""
    agencies = repository.list_agencies(session, region.id)
    if slug is None:
        services: Sequence[Service] = all_published_services(session, region)
    else:
        service = repository.get_published_service_by_slug(session, region.id, slug)
        if service is None:
            raise NotFound(_("Layanan '%(slug)s' tidak ada di wilayah ini.") % {"slug": slug})
        services = [service]
    # Imported here: complaints imports the catalogue (agencies), so a module-level import
    # would be a cycle.
    from simpul.complaints.service import runs_complaints

    return len(services), check_region(
        agencies, services, region, runs_complaints=runs_complaints(session, region)
    )

"""JSON shapes of the catalogue API."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from simpul.catalogue.models import Agency, LifeEvent, Service
from simpul.catalogue.standard import RequiredDocument, ServiceStandard


class AgencyRef(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    short_name: str


class AgencyOut(AgencyRef):
    name_en: str
    description: str
    address: str
    phone: str
    email: str
    website: str
    service_count: int


class LifeEventOut(BaseModel):
    slug: str
    name: str
    name_en: str
    description: str
    service_count: int


class ServiceOut(BaseModel):
    """A service with its full published standard (the 14 components)."""

    id: uuid.UUID
    slug: str
    name: str
    name_en: str
    summary: str
    summary_en: str
    agency: AgencyRef
    life_events: list[str]
    sla_working_days: int = Field(description="Jangka waktu penyelesaian in working days.")
    fee_rupiah: int
    online: bool
    standard: ServiceStandard
    required_documents: list[RequiredDocument]
    url: str


class ServiceDetailOut(ServiceOut):
    eform: dict[str, Any] = Field(description="JSON Schema (draft 2020-12) and UI hints.")


def agency_ref(agency: Agency) -> AgencyRef:
    return AgencyRef(id=agency.id, slug=agency.slug, name=agency.name, short_name=agency.short_name)


def service_out(service: Service, region_slug: str) -> ServiceOut:
    return ServiceOut(
        id=service.id,
        slug=service.slug,
        name=service.name,
        name_en=service.name_en,
        summary=service.summary,
        summary_en=service.summary_en,
        agency=agency_ref(service.agency),
        life_events=[e.slug for e in service.life_events],
        sla_working_days=service.sla_working_days,
        fee_rupiah=service.fee_rupiah,
        online=service.online,
        standard=ServiceStandard.model_validate(service.standard),
        required_documents=[RequiredDocument.model_validate(d) for d in service.required_documents],
        url=f"/{region_slug}/layanan/{service.slug}",
    )


def service_detail_out(service: Service, region_slug: str) -> ServiceDetailOut:
    return ServiceDetailOut(**service_out(service, region_slug).model_dump(), eform=service.eform)


def life_event_out(event: LifeEvent, count: int) -> LifeEventOut:
    return LifeEventOut(
        slug=event.slug,
        name=event.name,
        name_en=event.name_en,
        description=event.description,
        service_count=count,
    )

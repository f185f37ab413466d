"""The file format in which a region's catalogue is shipped and loaded.

A catalogue folder holds ``region.json`` (the region and its life events) and one
``<agency-slug>.json`` per agency with its services. The demo region is shipped this way
and `simpul region copy-catalogue` produces the same shapes, so a region that wants to start
from another's catalogue can also start from a folder of files.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simpul.catalogue.products import ProductTemplate
from simpul.catalogue.standard import (
    DEFAULT_WORKFLOW,
    STANDARD_COMPONENTS,
    EForm,
    RequiredDocument,
    ServiceStandard,
    Workflow,
)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class LifeEventSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG, max_length=60)
    name: str = Field(min_length=3, max_length=120)
    name_en: str = Field(min_length=3, max_length=120)
    description: str = Field(default="", max_length=400)


class SynonymSeed(BaseModel):
    """A word citizens type and what it means in the catalogue (``synonyms.py``)."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=2, max_length=60)
    meaning: str = Field(min_length=3, max_length=200)
    #: The service's former name (IMB for PBG): its hits rank first.
    former_name: bool = False


class RegionSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG, max_length=60)
    name: str
    kind: str = Field(pattern=r"^(kota|kabupaten|provinsi)$")
    code: str = Field(pattern=r"^\d{2}(\.\d{2})?$", description="Kemendagri code, e.g. 32.73")
    life_events: list[LifeEventSeed]
    synonyms: list[SynonymSeed] = Field(default_factory=list)


class ServiceSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG, max_length=80)
    name: str = Field(min_length=5, max_length=200)
    name_en: str = Field(min_length=5, max_length=200)
    summary: str = Field(min_length=20, max_length=600)
    summary_en: str = Field(min_length=20, max_length=600)
    keywords: list[str] = Field(default_factory=list, description="extra search words")
    life_events: list[str] = Field(default_factory=list)
    sla_working_days: int = Field(ge=0, le=365)
    fee_rupiah: int = Field(ge=0)
    online: bool = True
    standard: ServiceStandard
    #: The components in English where the region wrote them (shown on English pages).
    standard_en: dict[str, str] = Field(default_factory=dict)
    required_documents: list[RequiredDocument]
    eform: EForm
    #: The steps of the standard's procedure (``sistem_mekanisme_prosedur``) done in Simpul.
    workflow: Workflow = Field(default_factory=lambda: Workflow.model_validate(DEFAULT_WORKFLOW))
    #: The products the standard lists (``produk_pelayanan``), as templates.
    products: list[ProductTemplate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_components_en(self) -> ServiceSeed:
        unknown = set(self.standard_en) - set(STANDARD_COMPONENTS)
        if unknown:
            raise ValueError(f"{self.slug}: unknown components in standard_en {sorted(unknown)}")
        return self

    @model_validator(mode="after")
    def _unique_products(self) -> ServiceSeed:
        codes = [p.code for p in self.products]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{self.slug}: each product has its own code")
        return self


class AgencySeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG, max_length=60)
    name: str = Field(min_length=5, max_length=200)
    short_name: str = Field(min_length=2, max_length=40)
    name_en: str = Field(min_length=5, max_length=200)
    description: str = Field(min_length=20, max_length=800)
    address: str
    phone: str
    email: str
    website: str = ""
    services: list[ServiceSeed] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_service_slugs(self) -> AgencySeed:
        slugs = [s.slug for s in self.services]
        if len(slugs) != len(set(slugs)):
            raise ValueError(f"duplicate service slugs in agency {self.slug}")
        return self


class CatalogueSeed(BaseModel):
    region: RegionSeed
    agencies: list[AgencySeed]

    @model_validator(mode="after")
    def _consistent(self) -> CatalogueSeed:
        events = {e.slug for e in self.region.life_events}
        seen: set[str] = set()
        for agency in self.agencies:
            for service in agency.services:
                if service.slug in seen:
                    raise ValueError(f"service slug {service.slug} is used twice")
                seen.add(service.slug)
                unknown = set(service.life_events) - events
                if unknown:
                    raise ValueError(f"{service.slug}: unknown life events {sorted(unknown)}")
        return self


def load_catalogue_folder(folder: Path) -> CatalogueSeed:
    """Read and validate a catalogue folder; raises ``pydantic.ValidationError`` naming the file."""
    region = json.loads((folder / "region.json").read_text(encoding="utf-8"))
    agencies = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
        if path.name != "region.json"
    ]
    return CatalogueSeed.model_validate({"region": region, "agencies": agencies})


DEMO_FOLDER = Path(__file__).resolve().parent.parent / "demo" / "data" / "kota-bandung"

"""Every query of the catalogue. Each function takes the region: nothing crosses regions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import TSQUERY, aggregate_order_by
from sqlalchemy.orm import Session, selectinload

from simpul.catalogue.models import Agency, LifeEvent, SearchSynonym, Service, ServiceLifeEvent
from simpul.core.kit.queries import get_in_region
from simpul.core.models import Region

#: word_similarity() at or above this counts as a (typo-tolerant) match.
TRIGRAM_THRESHOLD = 0.5


@dataclass(frozen=True)
class AgencyWithCount:
    agency: Agency
    service_count: int


@dataclass(frozen=True)
class LifeEventWithCount:
    life_event: LifeEvent
    service_count: int


def _published(region_id: uuid.UUID) -> Select[Service]:
    return (
        select(Service)
        .where(Service.region_id == region_id, Service.published.is_(True))
        .options(selectinload(Service.agency), selectinload(Service.life_events))
    )


def list_agencies_with_counts(session: Session, region_id: uuid.UUID) -> list[AgencyWithCount]:
    count = (
        select(func.count(Service.id))
        .where(Service.agency_id == Agency.id, Service.published.is_(True))
        .correlate(Agency)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Agency, count).where(Agency.region_id == region_id).order_by(Agency.name)
    ).all()
    return [AgencyWithCount(agency, int(n)) for agency, n in rows]


def list_agencies(session: Session, region_id: uuid.UUID) -> Sequence[Agency]:
    return session.scalars(
        select(Agency).where(Agency.region_id == region_id).order_by(Agency.name)
    ).all()


def get_agency_by_slug(session: Session, region_id: uuid.UUID, slug: str) -> Agency | None:
    return session.scalars(
        select(Agency).where(Agency.region_id == region_id, Agency.slug == slug)
    ).one_or_none()


def list_life_events_with_counts(
    session: Session, region_id: uuid.UUID
) -> list[LifeEventWithCount]:
    count = (
        select(func.count(ServiceLifeEvent.service_id))
        .join(Service, Service.id == ServiceLifeEvent.service_id)
        .where(ServiceLifeEvent.life_event_id == LifeEvent.id, Service.published.is_(True))
        .correlate(LifeEvent)
        .scalar_subquery()
    )
    rows = session.execute(
        select(LifeEvent, count)
        .where(LifeEvent.region_id == region_id)
        .order_by(LifeEvent.position, LifeEvent.name)
    ).all()
    return [LifeEventWithCount(event, int(n)) for event, n in rows]


def list_life_events(session: Session, region_id: uuid.UUID) -> Sequence[LifeEvent]:
    return session.scalars(
        select(LifeEvent).where(LifeEvent.region_id == region_id).order_by(LifeEvent.position)
    ).all()


def get_life_event_by_slug(session: Session, region_id: uuid.UUID, slug: str) -> LifeEvent | None:
    return session.scalars(
        select(LifeEvent).where(LifeEvent.region_id == region_id, LifeEvent.slug == slug)
    ).one_or_none()


def list_published_services(
    session: Session,
    region_id: uuid.UUID,
    *,
    agency_id: uuid.UUID | None = None,
    life_event_id: uuid.UUID | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Service], int]:
    """Published services in name order, optionally of one agency or life event, and the total."""
    query = _published(region_id)
    if agency_id is not None:
        query = query.where(Service.agency_id == agency_id)
    if life_event_id is not None:
        query = query.where(
            Service.id.in_(
                select(ServiceLifeEvent.service_id).where(
                    ServiceLifeEvent.life_event_id == life_event_id
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Service.name).limit(limit).offset(offset)).all()
    return items, total


@dataclass(frozen=True)
class Alternative:
    """The query with a synonym replaced by its meaning ("imb" -> "persetujuan bangunan
    gedung"); ``meaning`` is matched as a phrase in a service's name to rank it first."""

    text: str
    meaning: str
    former_name: bool


def _tsquery(value: str, *, relaxed: bool) -> ColumnElement[str]:
    q = literal(value)
    # Indonesian words against the Indonesian lexemes, or English words against the English
    # name (the vector holds both), so "birth certificate" works in the English pages too.
    strict = func.plainto_tsquery(text("'indonesian'::regconfig"), q).op("||")(
        func.plainto_tsquery(text("'english'::regconfig"), q)
    )
    if not relaxed:
        return strict
    return cast(func.replace(cast(strict, Text), " & ", " | "), TSQUERY)


def search_published_services(
    session: Session,
    region_id: uuid.UUID,
    query_text: str,
    *,
    relaxed: bool,
    limit: int,
    alternatives: Sequence[Alternative] = (),
) -> Sequence[Service]:
    """Rank services for ``query_text`` with the ``indonesian`` stemmer and trigram similarity.

    Strict: every word must match (after stemming, so "akta lahir" finds "Akta
    Kelahiran"), or the whole text must be close to a name or keyword (typos). Relaxed: any
    word may match; used when the strict search finds nothing. ``alternatives`` (the query
    with the region's synonyms replaced) match as the query does; a service whose name holds
    an alternative's meaning ranks first, a former name's before a synonym's. Returns at most
    ``limit`` services, best first.
    """
    # `<%` (word similarity above the threshold) can use the trigram index; the function
    # form cannot. The threshold is set for this transaction only.
    session.execute(
        select(func.set_config("pg_trgm.word_similarity_threshold", str(TRIGRAM_THRESHOLD), true()))
    )
    lowered = func.lower(literal(query_text))
    tsquery = _tsquery(query_text, relaxed=relaxed)
    for alternative in alternatives:
        tsquery = tsquery.op("||")(_tsquery(alternative.text, relaxed=relaxed))
    matched = Service.search_vector.bool_op("@@")(tsquery)
    close = lowered.bool_op("<%")(Service.search_text)
    name_vector = func.to_tsvector(text("'indonesian'::regconfig"), Service.name)
    former: list[ColumnElement[bool]] = []
    synonym: list[ColumnElement[bool]] = []
    for alternative in alternatives:
        phrase = func.phraseto_tsquery(
            text("'indonesian'::regconfig"), literal(alternative.meaning)
        )
        hit = name_vector.bool_op("@@")(phrase)
        (former if alternative.former_name else synonym).append(hit)
    # A former name's service first, then a synonym's (PostgreSQL refuses a constant here).
    first = [or_(*hits).desc() for hits in (former, synonym) if hits]
    # The service a term stands for is found even when the query's other words are not in
    # it ("syarat imb": the PBG, whose name is what "imb" means).
    found = or_(matched, close, *former, *synonym)
    rank = func.ts_rank_cd(Service.search_vector, tsquery, 32)
    similarity = func.word_similarity(lowered, Service.search_text)
    return session.scalars(
        _published(region_id)
        .where(found)
        .order_by(
            *first,
            matched.desc(),
            (rank + similarity).desc(),
            Service.name,
        )
        .limit(limit)
    ).all()


def list_synonyms(session: Session, region_id: uuid.UUID) -> Sequence[SearchSynonym]:
    return session.scalars(
        select(SearchSynonym)
        .where(SearchSynonym.region_id == region_id)
        .order_by(SearchSynonym.term)
    ).all()


def get_synonym(
    session: Session, region_id: uuid.UUID, synonym_id: uuid.UUID
) -> SearchSynonym | None:
    return get_in_region(session, SearchSynonym, region_id, synonym_id)


def get_synonym_by_term(session: Session, region_id: uuid.UUID, term: str) -> SearchSynonym | None:
    return session.scalars(
        select(SearchSynonym).where(
            SearchSynonym.region_id == region_id, SearchSynonym.term == term
        )
    ).one_or_none()


def add_synonym(session: Session, synonym: SearchSynonym) -> SearchSynonym:
    session.add(synonym)
    session.flush()
    return synonym


def delete_synonym(session: Session, synonym: SearchSynonym) -> None:
    session.delete(synonym)
    session.flush()


def get_published_service_by_slug(
    session: Session, region_id: uuid.UUID, slug: str
) -> Service | None:
    return session.scalars(_published(region_id).where(Service.slug == slug)).one_or_none()


def get_service_by_id(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID
) -> Service | None:
    return get_in_region(session, Service, region_id, service_id)


def get_service_by_slug(session: Session, region_id: uuid.UUID, slug: str) -> Service | None:
    return session.scalars(
        select(Service).where(Service.region_id == region_id, Service.slug == slug)
    ).one_or_none()


def list_all_services(session: Session, region_id: uuid.UUID) -> Sequence[Service]:
    """Every service of the region, published or not (for copying and administration)."""
    return session.scalars(
        select(Service)
        .where(Service.region_id == region_id)
        .options(selectinload(Service.agency), selectinload(Service.life_events))
        .order_by(Service.name)
    ).all()


def count_services(session: Session, region_id: uuid.UUID) -> int:
    return session.scalar(select(func.count(Service.id)).where(Service.region_id == region_id)) or 0


def add_life_event(session: Session, event: LifeEvent) -> LifeEvent:
    session.add(event)
    return event


def add_agency(session: Session, agency: Agency) -> Agency:
    session.add(agency)
    return agency


def add_service(session: Session, service: Service, life_event_ids: Sequence[uuid.UUID]) -> Service:
    session.add(service)
    session.flush()
    for life_event_id in life_event_ids:
        session.add(
            ServiceLifeEvent(
                region_id=service.region_id, service_id=service.id, life_event_id=life_event_id
            )
        )
    return service


def catalogue_fingerprint(session: Session, region_id: uuid.UUID) -> str:
    """A text that changes whenever anything the public catalogue pages show of the region
    changes (its services, agencies, life events and their links, the region's own row).

    One round trip over the region's catalogue rows (hundreds, not millions): cheaper than
    rendering a page, so cached pages are checked against it on every request.
    """
    services = select(func.concat(func.count(), "/", func.max(Service.updated_at))).where(
        Service.region_id == region_id
    )
    agencies = select(func.concat(func.count(), "/", func.max(Agency.updated_at))).where(
        Agency.region_id == region_id
    )
    event_text = func.concat_ws(
        "|",
        LifeEvent.id,
        LifeEvent.slug,
        LifeEvent.name,
        LifeEvent.name_en,
        LifeEvent.description,
        LifeEvent.position,
    )
    events = select(
        func.md5(
            func.array_to_string(func.array_agg(aggregate_order_by(event_text, LifeEvent.id)), ",")
        )
    ).where(LifeEvent.region_id == region_id)
    link_text = func.concat(ServiceLifeEvent.service_id, ServiceLifeEvent.life_event_id)
    links = select(
        func.md5(
            func.array_to_string(func.array_agg(aggregate_order_by(link_text, link_text)), ",")
        )
    ).where(ServiceLifeEvent.region_id == region_id)
    synonym_text = func.concat_ws(
        "|", SearchSynonym.term, SearchSynonym.meaning, SearchSynonym.former_name
    )
    synonyms = select(
        func.md5(
            func.array_to_string(
                func.array_agg(aggregate_order_by(synonym_text, SearchSynonym.term)), ","
            )
        )
    ).where(SearchSynonym.region_id == region_id)
    region = select(Region.updated_at).where(Region.id == region_id)
    row = session.execute(
        select(
            services.scalar_subquery(),
            synonyms.scalar_subquery(),
            agencies.scalar_subquery(),
            events.scalar_subquery(),
            links.scalar_subquery(),
            region.scalar_subquery(),
        )
    ).one()
    return ";".join(str(value) for value in row)

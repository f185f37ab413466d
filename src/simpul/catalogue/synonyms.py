"""Search synonyms and former names: words citizens type that the catalogue words differently.

A region keeps its own list (``/{region}/admin/sinonim``, seeded from ``region.json``):
"imb" is the former name of "persetujuan bangunan gedung", "kartu kuning" a synonym of
"kartu pencari kerja". A search whose words hold a term also searches for the query with the
term replaced by its meaning (decision 0052).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.catalogue import repository
from simpul.catalogue.models import SearchSynonym
from simpul.catalogue.repository import Alternative
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.text import unsafe_text_error

#: A term is a few words of letters and digits ("imb", "ak/1", "kartu kuning").
TERM = re.compile(r"^[0-9a-z][0-9a-z/.\- ]{0,58}[0-9a-z.]$")
#: More than a region needs; keeps each search's work bounded.
MAX_SYNONYMS = 500
#: At most this many synonyms take part in one search.
MAX_ALTERNATIVES = 5


def normalise(value: str) -> str:
    """Lower-case with single spaces: how terms are stored and queries compared."""
    return " ".join(value.lower().split())


def alternatives_for(query: str, synonyms: Sequence[SearchSynonym]) -> list[Alternative]:
    """The query with each term it holds (as whole words) replaced by the term's meaning."""
    lowered = normalise(query)
    found: list[Alternative] = []
    for synonym in synonyms:
        pattern = rf"(?<![0-9a-z]){re.escape(synonym.term)}(?![0-9a-z])"
        if re.search(pattern, lowered):
            # Joined, not re.sub: a "\\1" in a meaning stays text.
            replaced = synonym.meaning.join(re.split(pattern, lowered))
            found.append(Alternative(replaced, synonym.meaning, synonym.former_name))
    # Former names first, then the longest terms: "kartu kuning" before "kartu".
    found.sort(key=lambda a: (not a.former_name, -len(a.meaning)))
    return found[:MAX_ALTERNATIVES]


def search_alternatives(session: Session, region: Region, query: str) -> list[Alternative]:
    return alternatives_for(query, repository.list_synonyms(session, region.id))


def list_synonyms(session: Session, region: Region) -> Sequence[SearchSynonym]:
    return repository.list_synonyms(session, region.id)


def add_synonym(
    session: Session,
    region: Region,
    user: User,
    *,
    term: str,
    meaning: str,
    former_name: bool,
) -> SearchSynonym:
    """Add a term; every problem is reported per field and nothing is stored."""
    term = normalise(term)
    meaning = " ".join(meaning.split())
    errors: list[dict[str, str]] = []
    if not TERM.fullmatch(term):
        errors.append(
            {
                "field": "term",
                "message": _(
                    "Kata dicari: 2 sampai 60 huruf atau angka (boleh spasi, titik, garis "
                    "miring, tanda hubung)."
                ),
            }
        )
    elif repository.get_synonym_by_term(session, region.id, term) is not None:
        errors.append({"field": "term", "message": _("Kata ini sudah ada dalam daftar.")})
    if not 3 <= len(meaning) <= 200:
        errors.append({"field": "meaning", "message": _("Isi 3 sampai 200 karakter.")})
    else:
        hidden = unsafe_text_error(meaning, field="meaning", label=_("Artinya"))
        if hidden is not None:
            errors.append(hidden)
    if len(repository.list_synonyms(session, region.id)) >= MAX_SYNONYMS:
        errors.append(
            {
                "field": "term",
                "message": _("Daftar sudah berisi %(n)d kata; hapus yang tidak dipakai dulu.")
                % {"n": MAX_SYNONYMS},
            }
        )
    if errors:
        raise InvalidInput(_("Kata belum disimpan. Periksa isian yang ditandai."), details=errors)
    synonym = repository.add_synonym(
        session,
        SearchSynonym(region_id=region.id, term=term, meaning=meaning, former_name=former_name),
    )
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action="catalogue.synonym.add",
        target_type="search_synonym",
        target_id=str(synonym.id),
        details={"term": term, "meaning": meaning, "former_name": former_name},
    )
    return synonym


def delete_synonym(session: Session, region: Region, user: User, synonym_id: uuid.UUID) -> None:
    synonym = repository.get_synonym(session, region.id, synonym_id)
    if synonym is None:
        raise NotFound(_("Kata tidak ditemukan."))
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action="catalogue.synonym.delete",
        target_type="search_synonym",
        target_id=str(synonym.id),
        details={"term": synonym.term, "meaning": synonym.meaning},
    )
    repository.delete_synonym(session, synonym)


def import_synonyms(
    session: Session, region: Region, synonyms: Sequence[tuple[str, str, bool]]
) -> int:
    """Add seed synonyms the region does not have yet (by term); returns how many."""
    added = 0
    for raw_term, meaning, former_name in synonyms:
        term = normalise(raw_term)
        if repository.get_synonym_by_term(session, region.id, term) is not None:
            continue
        repository.add_synonym(
            session,
            SearchSynonym(region_id=region.id, term=term, meaning=meaning, former_name=former_name),
        )
        added += 1
    return added

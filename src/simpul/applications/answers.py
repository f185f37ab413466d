"""An application's eForm answers: stored with personal values out of clear text, read masked
or whole depending on who reads them (decision 0022).

Fields marked ``"x-simpul-personal": "<kind>"`` in the service's eForm (and every NIK field)
are personal. Storing (``store_answers``) writes three things: ``application.data`` with each
personal value replaced by its mask, ``application.data_encrypted`` with the whole answers
(Fernet, a key derived from the server secret), and a keyed hash per identifier
(``application_identifier``) so applications stay findable by NIK, KK or phone number.

Reading: the applicant reads their answers whole where they edit them (the form) and through
the API (their own software), masked on their read-only pages; an officer reads them whole
only while the application is at their step (``access.works_on_now``), and each such read is
recorded in the audit trail (``application.personal_data_read``, with the fields, never the
values); everyone else reads masks.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import access, repository
from simpul.applications.eform_schema import (
    Schema,
    UiHints,
    hints_for,
    items_of,
    label_of,
    personal_kind_of,
    properties_of,
    schema_type,
)
from simpul.applications.models import Application
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Service
from simpul.core.audit import record_audit_event
from simpul.core.errors import Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.personal import (
    KINDS,
    RULES,
    PersonalKind,
    lookup_hash,
    mask_value,
    normalise,
)
from simpul.core.security import decrypt, encrypt

log = logging.getLogger(__name__)

#: The purpose the answers' encryption key is derived for (``core.security.derived_key``).
PURPOSE: Final = "application-answers"
#: Applications rewritten per transaction by ``protect_batch``.
BATCH: Final = 200


@dataclass(frozen=True)
class PersonalValue:
    """One personal answer: where it is, what kind it is, and the value itself."""

    path: str
    kind: PersonalKind
    value: Any


@dataclass(frozen=True)
class Split:
    """Answers as stored: masked copy plus the personal values found in them."""

    masked: dict[str, Any]
    personal: list[PersonalValue]


def _eform(service: Service) -> tuple[Schema, UiHints]:
    eform = service.eform if isinstance(service.eform, Mapping) else {}
    schema = eform.get("schema")
    return (schema if isinstance(schema, Mapping) else {}), eform.get("ui") or {}


def split_answers(schema: Schema, ui: UiHints | None, data: Mapping[str, Any]) -> Split:
    """The masked copy of ``data`` and its personal values (pure)."""
    found: list[PersonalValue] = []
    masked = _walk(schema, data, "", "", ui, None, found)
    return Split(masked if isinstance(masked, dict) else {}, found)


def _walk(
    node: Schema,
    value: Any,
    path: str,
    key: str,
    ui: UiHints | None,
    inherited: PersonalKind | None,
    found: list[PersonalValue],
) -> Any:
    """``value`` with its personal leaves masked; a mark on an object or array covers all of
    it. Answers the form does not describe (an API client's extra keys) are treated as
    personal ("other"): nobody has said what they hold."""
    kind = (personal_kind_of(node, hints_for(ui, path), key) if path else None) or inherited
    json_type = schema_type(node)
    if json_type == "object" and isinstance(value, Mapping):
        properties = properties_of(node)
        result: dict[str, Any] = {}
        for child_key, child_value in value.items():
            child_path = f"{path}.{child_key}" if path else str(child_key)
            child_node = properties.get(child_key)
            if child_node is None:
                result[child_key] = _mask_all(
                    child_value, child_path, kind or PersonalKind.OTHER, found
                )
            else:
                result[child_key] = _walk(
                    child_node, child_value, child_path, str(child_key), ui, kind, found
                )
        return result
    if json_type == "array" and isinstance(value, list):
        items = items_of(node)
        return [
            _walk(items, row, f"{path}.{number}", key, ui, kind, found)
            for number, row in enumerate(value)
        ]
    return _mask_all(value, path, kind, found)


def _mask_all(value: Any, path: str, kind: PersonalKind | None, found: list[PersonalValue]) -> Any:
    if kind is None:
        return copy.deepcopy(value)
    if isinstance(value, Mapping):
        return {k: _mask_all(v, f"{path}.{k}", kind, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v, f"{path}.{n}", kind, found) for n, v in enumerate(value)]
    if value is None:
        return None
    found.append(PersonalValue(path, kind, value))
    return mask_value(kind, value)


def _identifier_rows(region_id: uuid.UUID, personal: Sequence[PersonalValue]) -> list[Any]:
    rows = []
    for item in personal:
        if not RULES[item.kind].lookup or isinstance(item.value, bool):
            continue
        text = str(item.value)
        if normalise(item.kind, text):
            rows.append((item.path, item.kind.value, lookup_hash(region_id, item.kind, text)))
    return rows


# -- storing ------------------------------------------------------------------------------


def store_answers(
    session: Session, application: Application, service: Service, data: Mapping[str, Any]
) -> None:
    """Keep ``data`` as the application's answers: masked in ``data``, whole and encrypted in
    ``data_encrypted``, identifiers as keyed hashes. Flushes nothing itself."""
    rows = set_answers(application, service, data)
    repository.replace_identifiers(session, application, rows)


def set_answers(
    application: Application, service: Service, data: Mapping[str, Any]
) -> list[tuple[str, str, bytes]]:
    """``store_answers`` for an application not written yet: set ``data`` and
    ``data_encrypted`` and return the identifier rows, for ``add_identifiers`` once the
    application is written (it has none to replace)."""
    schema, ui = _eform(service)
    split = split_answers(schema, ui, data)
    application.data = split.masked
    application.data_encrypted = (
        encrypt(PURPOSE, json.dumps(data, ensure_ascii=False)) if split.personal else None
    )
    if application.id is None:
        application.id = uuid.uuid4()
    return _identifier_rows(application.region_id, split.personal)


def add_identifiers(
    session: Session, application: Application, rows: Sequence[tuple[str, str, bytes]]
) -> None:
    """The identifier rows ``set_answers`` returned, for the application now written."""
    repository.add_identifiers(session, application, rows)


def answers_in_full(application: Application) -> dict[str, Any]:
    """The answers as they were given (what the applicant typed, or an officer corrected)."""
    if application.data_encrypted:
        plain = decrypt(PURPOSE, application.data_encrypted)
        if plain is not None:
            whole: dict[str, Any] = json.loads(plain)
            return whole
        # Encrypted under another secret key: only the masks are left to show.
        log.warning("answers of application %s cannot be decrypted", application.id)
    return copy.deepcopy(dict(application.data or {}))


def answers_masked(application: Application, service: Service) -> dict[str, Any]:
    """The answers with every personal value masked by the service's current marks."""
    schema, ui = _eform(service)
    return split_answers(schema, ui, answers_in_full(application)).masked


def answers_for_document(application: Application, service: Service) -> dict[str, Any]:
    """What the issued document prints: the answers whole, without the kinds that are not
    part of an official document (phone numbers, e-mail addresses)."""
    schema, ui = _eform(service)
    whole = answers_in_full(application)
    for item in split_answers(schema, ui, whole).personal:
        if not RULES[item.kind].printed:
            _remove(whole, item.path.split("."))
    return whole


def _remove(data: Any, parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if isinstance(data, dict) and head in data:
        if rest:
            _remove(data[head], rest)
        else:
            del data[head]
    elif isinstance(data, list) and head.isdigit() and int(head) < len(data):
        if rest:
            _remove(data[int(head)], rest)
        else:
            data[int(head)] = None


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswersView:
    """The answers one reader gets, and which of them are masks."""

    data: dict[str, Any]
    #: The answers shown as masks (empty when the reader sees them whole).
    masked_fields: list[str]
    #: The reader sees personal answers whole and that view was recorded (officers).
    recorded: bool = False


def answers_for(
    session: Session,
    region: Region,
    reader: User,
    application: Application,
    service: Service,
    *,
    via: str,
    client_identity: str | None = None,
) -> AnswersView:
    """The answers ``reader`` may see, read through ``via`` ("web" pages or the "api").

    The caller has checked that the reader may open the application at all
    (``workflow.read_application``). An officer's whole view is recorded here.
    """
    schema, ui = _eform(service)
    whole = answers_in_full(application)
    split = split_answers(schema, ui, whole)
    if not split.personal:
        return AnswersView(whole, [])
    fields = [item.path for item in split.personal]
    if application.applicant_id == reader.id:
        return AnswersView(whole, []) if via == "api" else AnswersView(split.masked, fields)
    task = repository.open_task_of(session, application.id)
    if not access.works_on_now(reader, task):
        return AnswersView(split.masked, fields)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=reader.id,
        actor_label=reader.email,
        action="application.personal_data_read",
        target_type="application",
        target_id=str(application.id),
        details={"fields": fields, "channel": via, "client": client_identity},
    )
    return AnswersView(whole, [], recorded=True)


def find_applications_naming(
    session: Session, region: Region, officer: User, kind: str, value: str
) -> list[Application]:
    """Submitted applications of the officer's agencies whose answers hold ``value`` as a
    ``kind`` (nik, kk, phone, email, identifier), found by its keyed hash."""
    agencies = sorted({agency for agency, _role in access.agency_roles(officer)})
    if not agencies:
        raise Forbidden(_("Pencarian ini hanya untuk petugas instansi."))
    if kind not in KINDS or not RULES[PersonalKind(kind)].lookup:
        raise InvalidInput(
            _("Jenis data ini tidak bisa dicari."),
            details=[{"field": "kind", "message": _("Pilih NIK, KK, telepon atau e-mail.")}],
        )
    chosen = PersonalKind(kind)
    if not normalise(chosen, value):
        return []
    return list(
        repository.applications_with_identifier(
            session,
            region.id,
            chosen.value,
            lookup_hash(region.id, chosen, value),
            agency_ids=agencies,
        )
    )


# -- moving answers stored before this release ---------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    last_id: uuid.UUID | None
    seen: int
    changed: int
    #: Encrypted under another secret key: left as they are.
    unreadable: int


def services_with_personal_fields(session: Session, region: Region) -> list[Service]:
    """The region's services whose eForm has a personal field (marked, or a NIK)."""
    services = catalogue_service.every_service(session, region)
    return [s for s in services if _has_personal_fields(*_eform(s))]


def _has_personal_fields(schema: Schema, ui: UiHints) -> bool:
    def walk(node: Schema, path: str, key: str) -> bool:
        if path and personal_kind_of(node, hints_for(ui, path), key) is not None:
            return True
        if any(
            walk(child, f"{path}.{k}" if path else k, k) for k, child in properties_of(node).items()
        ):
            return True
        return schema_type(node) == "array" and walk(items_of(node), f"{path}.0", key)

    return walk(schema, "", "")


def protect_batch(
    session: Session,
    services: Sequence[Service],
    *,
    after: uuid.UUID | None,
    everything: bool,
    limit: int = BATCH,
) -> BatchResult:
    """Rewrite the next batch of applications of ``services`` as ``store_answers`` would
    (``simpul migrate`` and ``simpul protect-personal-data``). Only those still in clear text,
    unless ``everything`` (after a service's marks changed). Idempotent."""
    by_id = {s.id: s for s in services}
    rows = repository.applications_to_protect(
        session, list(by_id), after=after, limit=limit, unprotected_only=not everything
    )
    changed = unreadable = 0
    for application in rows:
        if application.data_encrypted and decrypt(PURPOSE, application.data_encrypted) is None:
            unreadable += 1
            continue
        whole = answers_in_full(application)
        schema, ui = _eform(by_id[application.service_id])
        split = split_answers(schema, ui, whole)
        encrypted = application.data_encrypted is not None
        if application.data == split.masked and encrypted == bool(split.personal):
            continue  # already stored this way (only a new ciphertext would differ)
        store_answers(session, application, by_id[application.service_id], whole)
        changed += 1
    session.flush()
    return BatchResult(rows[-1].id if rows else None, len(rows), changed, unreadable)


def unprotect_batch(
    session: Session, *, after: uuid.UUID | None, limit: int = BATCH
) -> BatchResult:
    """Write the next batch of encrypted answers back in clear (before a downgrade only)."""
    rows = repository.encrypted_applications(session, after=after, limit=limit)
    changed = unreadable = 0
    for application in rows:
        plain = decrypt(PURPOSE, application.data_encrypted or "")
        if plain is None:
            unreadable += 1
            continue
        application.data = json.loads(plain)
        application.data_encrypted = None
        repository.replace_identifiers(session, application, [])
        changed += 1
    session.flush()
    return BatchResult(rows[-1].id if rows else None, len(rows), changed, unreadable)


def personal_fields_of(service: Service) -> list[tuple[str, PersonalKind]]:
    """(label, kind) of each personal field of the service's eForm, in form order (the
    record of processing activities lists them)."""
    schema, ui = _eform(service)
    found: list[tuple[str, PersonalKind]] = []

    def walk(node: Schema, path: str, key: str) -> None:
        kind = personal_kind_of(node, hints_for(ui, path), key) if path else None
        if kind is not None:
            found.append((label_of(node, key), kind))
            return
        for k, child in properties_of(node).items():
            walk(child, f"{path}.{k}" if path else k, k)
        if schema_type(node) == "array":
            walk(items_of(node), f"{path}.0", key)

    walk(schema, "", "")
    return found

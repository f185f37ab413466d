"""The citizen's rights of access and portability (UU 27/2022 Pasal 7 and 13): "Unduh data
saya" (one ZIP: ``data.json`` plus the files) and "Siapa yang melihat data saya" (the staff
reads from the audit trail and the releases to apps through the provider).

Each domain gives its part through its own ``service.py``: accounts (account, roles, API
tokens, logins, own activity), applications (applications with answers, history and uploaded
files), documents (issued documents), notify (notifications and their deliveries),
evaluation.surveys (IKM/SKM answers), complaints (filed and followed), identity (consents,
releases) and core.audit (staff reads). What the citizen is entitled to, and what is left
out (officers' internal notes, other people's data), is written in docs/architecture.md
("Data rights").
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import User
from simpul.applications import service as applications_service
from simpul.catalogue import service as catalogue_service
from simpul.complaints import service as complaints_service
from simpul.core import audit
from simpul.core.i18n import lazy
from simpul.core.models import AuditEvent, Region, utcnow
from simpul.core.storage import Storage, StorageNotFound
from simpul.documents import service as documents_service
from simpul.evaluation.surveys import service as surveys_service
from simpul.evaluation.surveys.profile import QUESTIONS
from simpul.identity import mfa, passkeys
from simpul.identity import service as identity_service
from simpul.identity.models import RELEASE_CHANNEL_LABELS
from simpul.notify import service as notify_service

#: The shape of ``data.json``; raised when a field changes meaning or goes away (adding one
#: does not raise it).
FORMAT: Final = "simpul-data-saya"
FORMAT_VERSION: Final = 1

#: The staff reads of a citizen's data the audit trail records, and what each is about.
STAFF_READS: Final[Mapping[str, str]] = {
    "application.read": "application",
    "application.personal_data_read": "application",
    "document.preview": "document",
    "document.download": "issued_document",
    "complaint.viewed": "complaint",
    "complaint.photo_viewed": "complaint",
}

READ_LABELS: Final[Mapping[str, str]] = {
    "application.read": lazy("Membuka berkas permohonan"),
    "application.personal_data_read": lazy("Membuka data pribadi dalam permohonan"),
    "document.preview": lazy("Melihat dokumen unggahan Anda"),
    "document.download": lazy("Mengunduh dokumen terbit Anda"),
    "complaint.viewed": lazy("Membuka pengaduan Anda"),
    "complaint.photo_viewed": lazy("Melihat foto pengaduan Anda"),
}

#: "Siapa yang melihat data saya": rows a page shows, and the deepest page.
ACCESS_PAGE_SIZE: Final = 20
ACCESS_MAX_PAGES: Final = 100

_PHOTO_EXTENSIONS: Final = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(raw: str, *, fallback: str = "berkas", limit: int = 80) -> str:
    """One path segment made from ``raw`` (an uploaded file's original name, a number): only
    ``A-Z a-z 0-9 . _ -``, no leading dot, never ``..``; what was a directory part is dropped.
    A name that leaves nothing becomes ``fallback``."""
    base = unicodedata.normalize("NFKD", raw.replace("\\", "/")).rsplit("/", 1)[-1]
    base = base.encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("_", base)
    if len(cleaned) > limit:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 8:
            cleaned = stem[: limit - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:limit]
    while ".." in cleaned:
        cleaned = cleaned.replace("..", ".")
    cleaned = cleaned.strip("._-")
    return cleaned or fallback


def _at(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class ArchiveFile:
    """A stored file to copy into the archive at ``path``."""

    path: str
    storage_key: str
    #: Where data.json describes it (filled with its size and SHA-256 once copied).
    entry: dict[str, Any]


@dataclass
class Export:
    """``data.json`` before its files are copied, and the files."""

    data: dict[str, Any]
    files: list[ArchiveFile] = field(default_factory=list)

    def add_file(self, path: str, storage_key: str, entry: dict[str, Any]) -> None:
        entry["file"] = path
        self.files.append(ArchiveFile(path, storage_key, entry))


class _Paths:
    """Unique archive paths: a second file of the same name in a folder gets a number."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, folder: str, name: str) -> str:
        path = f"{folder}/{name}"
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        n = 2
        while path in self.taken:
            path = f"{folder}/{stem}-{n}{'.' + ext if ext else ''}"
            n += 1
        self.taken.add(path)
        return path


# -- whom the citizen's data was shown to -------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """What of the citizen's the audit trail may name: ids by target type, and for each a
    description ("Permohonan AK-...")."""

    ids: dict[str, set[str]]
    names: dict[tuple[str, str], str]


def _targets(
    applications: list[applications_service.ExportedApplication],
    loose_documents: list[applications_service.Document],
    issued: list[Any],
    complaints: list[complaints_service.ExportedComplaint],
) -> Targets:
    ids: dict[str, set[str]] = {t: set() for t in set(STAFF_READS.values())}
    names: dict[tuple[str, str], str] = {}
    for item in applications:
        number = item.application.tracking_number
        ids["application"].add(str(item.application.id))
        names["application", str(item.application.id)] = f"{number} · {item.service.name}"
        for document in item.documents:
            ids["document"].add(str(document.id))
            names["document", str(document.id)] = f"{number} · {document.filename}"
    for document in loose_documents:
        ids["document"].add(str(document.id))
        names["document", str(document.id)] = document.filename
    for doc in issued:
        ids["issued_document"].add(str(doc.id))
        names["issued_document", str(doc.id)] = f"{doc.number} · {doc.product}".rstrip(" ·")
    for exported in complaints:
        if exported.own:  # a followed complaint is someone else's: its reads are not about you
            ids["complaint"].add(str(exported.complaint.id))
            names["complaint", str(exported.complaint.id)] = (
                f"{exported.complaint.number} · {exported.complaint.title}"
            )
    return Targets(ids, names)


@dataclass(frozen=True)
class Officer:
    name: str
    agencies: list[str]


def _officers(
    session: Session, region: Region, events: list[AuditEvent]
) -> dict[uuid.UUID, Officer]:
    """The officers who acted, by name and agency (staff names are shown to the data subject:
    who handled their data is part of what they are entitled to know)."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    users = accounts_service.users_by_ids(session, region, ids)
    agency_names = {
        a.agency.id: a.agency.name for a in catalogue_service.list_agencies(session, region)
    }
    return {
        uid: Officer(
            user.full_name,
            sorted({agency_names[r.agency_id] for r in user.roles if r.agency_id in agency_names}),
        )
        for uid, user in users.items()
    }


@dataclass(frozen=True)
class AccessEntry:
    """One row of "Siapa yang melihat data saya": a staff read or a release to an app."""

    at: datetime
    kind: str  # "staff" or "app"
    who: str
    agencies: list[str]
    what: str
    action: str
    detail: str = ""


def _staff_entries(
    session: Session, region: Region, events: list[AuditEvent], targets: Targets
) -> list[AccessEntry]:
    officers = _officers(session, region, events)
    entries = []
    for event in events:
        officer = officers.get(event.actor_id) if event.actor_id else None
        fields = event.details.get("fields") if isinstance(event.details, dict) else None
        entries.append(
            AccessEntry(
                event.at,
                "staff",
                officer.name if officer else event.actor_label,
                officer.agencies if officer else [],
                targets.names.get((event.target_type, event.target_id or ""), ""),
                str(READ_LABELS.get(event.action, event.action)),
                ", ".join(str(f) for f in fields) if isinstance(fields, list) else "",
            )
        )
    return entries


def _release_entries(rows: Any) -> list[AccessEntry]:
    return [
        AccessEntry(
            release.at,
            "app",
            client.name,
            [],
            ", ".join(release.claims),
            str(RELEASE_CHANNEL_LABELS.get(release.channel.value, release.channel.value)),
        )
        for release, client in rows
    ]


def _reads_of(
    session: Session, region: Region, user: User, targets: Targets, *, limit: int | None
) -> list[AuditEvent]:
    return list(
        audit.events_about(
            session, region, targets.ids, STAFF_READS.keys(), exclude_actor=user.id, limit=limit
        )
    )


def _light_targets(session: Session, region: Region, user: User) -> Targets:
    applications, loose = applications_service.applications_of_user_for_export(
        session, region, user, with_answers=False
    )
    issued = documents_service.issued_documents_for_export(
        session, region, [a.application.id for a in applications]
    )
    complaints = complaints_service.complaints_of_user_for_export(session, region, user)
    return _targets(applications, loose, issued, complaints)


@dataclass(frozen=True)
class AccessPage:
    entries: list[AccessEntry]
    page: int
    has_next: bool


def access_page(session: Session, region: Region, user: User, page: int) -> AccessPage:
    """One page of who saw the user's data (staff reads and releases to apps), newest first.

    Both lists are read up to the end of the page asked for and merged, so the deepest page
    (``ACCESS_MAX_PAGES``) reads at most that many rows of each."""
    page = max(1, min(page, ACCESS_MAX_PAGES))
    wanted = page * ACCESS_PAGE_SIZE + 1
    targets = _light_targets(session, region, user)
    reads = _reads_of(session, region, user, targets, limit=wanted)
    releases = identity_service.releases_of(session, user, limit=wanted)
    merged = sorted(
        [*_staff_entries(session, region, reads, targets), *_release_entries(releases)],
        key=lambda e: e.at,
        reverse=True,
    )
    start = (page - 1) * ACCESS_PAGE_SIZE
    shown = merged[start : start + ACCESS_PAGE_SIZE]
    has_next = len(merged) > start + ACCESS_PAGE_SIZE and page < ACCESS_MAX_PAGES
    return AccessPage(shown, page, has_next)


# -- the archive ---------------------------------------------------------------------------


def collect(session: Session, region: Region, user: User) -> Export:
    """``data.json`` of the user and the files the archive holds (nothing written)."""
    paths = _Paths()
    account = accounts_service.account_for_export(session, region, user)
    export = Export(
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "generated_at": utcnow().isoformat(),
            **account,
        }
    )
    data = export.data
    data["account"]["second_factors"] = {
        "authenticator_app": mfa.has_totp(session, user),
        # names and dates only: a passkey's public key is of no use to its owner
        "passkeys": [
            {
                "name": key.name,
                "created_at": key.created_at.isoformat(),
                "last_used_at": _at(key.last_used_at),
                "synced": key.synced,
            }
            for key in passkeys.passkeys(session, user)
        ],
    }
    applications, loose = applications_service.applications_of_user_for_export(
        session, region, user
    )
    numbers = {a.application.id: a.application.tracking_number for a in applications}

    def folder_of(application_id: uuid.UUID) -> str:
        return f"permohonan/{safe_name(numbers[application_id], fallback=str(application_id))}"

    def document_entry(
        document: applications_service.Document, folder: str, n: int
    ) -> dict[str, Any]:
        entry = {
            "id": str(document.id),
            "requirement": document.requirement_code,
            "original_name": document.filename,
            "content_type": document.content_type,
            "size": document.size,
            "uploaded_at": document.created_at.isoformat(),
            "replaced_at": _at(document.replaced_at),
        }
        name = f"{n:02d}-{safe_name(document.filename)}"
        export.add_file(paths.make(folder, name), document.storage_key, entry)
        return entry

    data["applications"] = []
    for item in applications:
        app = item.application
        folder = folder_of(app.id)
        data["applications"].append(
            {
                "id": str(app.id),
                "number": app.tracking_number,
                "service": {"slug": item.service.slug, "name": item.service.name},
                "status": app.status.value,
                "channel": app.channel,
                "created_at": app.created_at.isoformat(),
                "submitted_at": _at(app.submitted_at),
                "due_date": app.due_date.isoformat() if app.due_date else None,
                "finished_at": _at(app.finished_at),
                "answers": item.answers,
                "answers_readable": [
                    {"question": a.label, "answer": a.value, "depth": a.depth, "path": a.path}
                    for a in item.described
                ],
                "history": [
                    {
                        "at": e.at.isoformat(),
                        "action": e.action,
                        "by": e.actor_label,
                        "from_status": e.from_status,
                        "to_status": e.to_status,
                        "step": e.step,
                        "note": e.note,
                    }
                    for e in item.events
                ],
                "documents": [
                    document_entry(d, f"{folder}/dokumen", n)
                    for n, d in enumerate(item.documents, 1)
                ],
            }
        )
    data["other_uploads"] = [document_entry(d, "unggahan-lain", n) for n, d in enumerate(loose, 1)]

    issued = documents_service.issued_documents_for_export(session, region, list(numbers))
    data["issued_documents"] = []
    for doc in issued:
        entry = {
            "id": str(doc.id),
            "number": doc.number,
            "application_number": numbers.get(doc.application_id),
            "product_code": doc.product_code,
            "product": doc.product,
            "agency": doc.agency_name,
            "signer": doc.signer_name,
            "signer_position": doc.signer_position,
            "issued_on": doc.issued_on.isoformat(),
            "signed_at": doc.signed_at.isoformat(),
            "verification_code": doc.code,
            "revoked_at": _at(doc.revoked_at),
            "revoked_reason": doc.revoked_reason,
        }
        name = f"{safe_name(doc.product_code)}-{safe_name(doc.code)}.pdf"
        export.add_file(
            paths.make(f"{folder_of(doc.application_id)}/dokumen-terbit", name),
            doc.storage_key,
            entry,
        )
        data["issued_documents"].append(entry)

    data["notifications"] = [
        {
            "at": n.notification.created_at.isoformat(),
            "kind": n.notification.kind,
            "text": n.text,
            "read_at": _at(n.notification.read_at),
            "application_number": numbers.get(n.notification.application_id)
            if n.notification.application_id
            else None,
            "deliveries": [
                {
                    "channel": d.channel.value,
                    "recipient": d.recipient,
                    "status": d.status.value,
                    "attempts": d.attempts,
                    "created_at": d.created_at.isoformat(),
                    "delivered_at": _at(d.delivered_at),
                }
                for d in n.deliveries
            ],
        }
        for n in notify_service.notifications_for_export(session, region, user)
    ]

    services = {a.application.id: a.service.name for a in applications}
    data["survey_answers"] = [
        {
            "application_number": numbers.get(r.application_id),
            "service": services.get(r.application_id),
            "submitted_at": r.submitted_at.isoformat(),
            "answers": {f"u{n}": value for n, value in enumerate(r.answers, 1)},
            "suggestion": r.suggestion,
            "profile": {q.column: getattr(r, q.column) for q in QUESTIONS},
            "agency_reply": r.reply,
            "published": r.published,
        }
        for r in surveys_service.responses_for_export(session, region, list(numbers))
    ]

    complaints = complaints_service.complaints_of_user_for_export(session, region, user)
    data["complaints"] = []
    for exported in complaints:
        c = exported.complaint
        folder = f"pengaduan/{safe_name(c.number, fallback=str(c.id))}"
        history = [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "by": e.public_actor,
                "to_status": e.to_status,
                "message": e.message,
            }
            for e in exported.history
        ]
        row: dict[str, Any] = {
            "id": str(c.id),
            "number": c.number,
            "relation": "filed" if exported.own else "followed",
            "followed_since": _at(exported.followed_since),
            "title": c.title,
            "status": c.status.value,
            "filed_at": c.filed_at.isoformat(),
            "resolved_at": _at(c.resolved_at),
            "history": history,
        }
        if exported.own:
            photos = []
            for n, photo in enumerate(exported.photos, 1):
                photo_entry: dict[str, Any] = {
                    "content_type": photo.content_type,
                    "size": photo.size,
                    "added_at": photo.created_at.isoformat(),
                    "location_kept": photo.location_kept,
                }
                name = f"foto-{n:02d}{_PHOTO_EXTENSIONS.get(photo.content_type, '.bin')}"
                export.add_file(paths.make(f"{folder}/foto", name), photo.storage_key, photo_entry)
                photos.append(photo_entry)
            row |= {
                "kind": c.kind.value,
                "description": c.description,
                "address": c.address,
                "latitude": c.latitude,
                "longitude": c.longitude,
                "attributes": c.attributes,
                "anonymous": c.anonymous,
                "confidential": c.confidential,
                "contact": exported.contact,
                "rating": c.rating,
                "rating_comment": c.rating_comment,
                "photos": photos,
            }
        data["complaints"].append(row)

    data["connected_apps"] = [
        {
            "app": row.client.name,
            "client_id": row.client.client_id,
            "scopes": list(row.consent.scopes),
            "granted_at": row.consent.granted_at.isoformat(),
            "updated_at": row.consent.updated_at.isoformat(),
            "revoked_at": _at(row.consent.revoked_at),
        }
        for row in identity_service.connected_apps(session, user, include_revoked=True)
    ]
    releases = identity_service.releases_of(session, user)
    data["releases_to_apps"] = [
        {
            "at": release.at.isoformat(),
            "app": client.name,
            "client_id": client.client_id,
            "channel": release.channel.value,
            "claims": list(release.claims),
        }
        for release, client in releases
    ]

    targets = _targets(applications, loose, issued, complaints)
    reads = _reads_of(session, region, user, targets, limit=None)
    officers = _officers(session, region, reads)
    data["staff_reads"] = [
        {
            "at": event.at.isoformat(),
            "action": event.action,
            "description": str(READ_LABELS.get(event.action, event.action)),
            "officer": (
                {
                    "name": officers[event.actor_id].name,
                    "agencies": officers[event.actor_id].agencies,
                }
                if event.actor_id in officers
                else {"name": event.actor_label, "agencies": []}
            ),
            "target_type": event.target_type,
            "target": targets.names.get((event.target_type, event.target_id or ""), ""),
            "fields": list(event.details.get("fields") or []) if event.details else [],
            "channel": (event.details or {}).get("channel"),
        }
        for event in reversed(reads)
    ]
    data["counts"] = {
        key: len(data[key])
        for key in (
            "applications",
            "other_uploads",
            "issued_documents",
            "notifications",
            "survey_answers",
            "complaints",
            "connected_apps",
            "releases_to_apps",
            "staff_reads",
            "sessions",
            "api_tokens",
            "activity",
        )
    }
    data["counts"]["files"] = len(export.files)
    return export


def write_archive(export: Export, storage: Storage, out: IO[bytes]) -> None:
    """The ZIP: each file streamed from the storage (never whole in memory), then
    ``data.json`` with each file's size and SHA-256. A file the storage lost is listed with
    ``"missing": true`` and left out."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for item in export.files:
            digest = hashlib.sha256()
            size = 0
            try:
                stream = storage.open(item.storage_key)
            except StorageNotFound:
                item.entry["missing"] = True
                continue
            with stream, archive.open(item.path, "w", force_zip64=True) as target:
                for chunk in stream:
                    target.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            item.entry["sha256"] = digest.hexdigest()
            item.entry["stored_size"] = size
        archive.writestr(
            "data.json", json.dumps(export.data, ensure_ascii=False, indent=2, default=str)
        )
        archive.writestr("BACA-SAYA.txt", _README)


_README = """Data saya - Simpul

data.json   semua data yang disimpan Simpul tentang Anda (format "simpul-data-saya",
            versi di kolom "version"); setiap berkas di arsip ini disebut di dalamnya
            (kolom "file", dengan ukuran dan sidik SHA-256).
permohonan/ dokumen yang Anda unggah dan dokumen terbit, per nomor permohonan.
pengaduan/  foto pengaduan Anda, per nomor pengaduan.

My data - Simpul: data.json holds everything Simpul keeps about you; the folders hold
your uploads, issued documents and complaint photos.
"""


def build_archive(
    session: Session, region: Region, user: User, storage: Storage
) -> tuple[IO[bytes], int]:
    """Write the user's archive to a temporary file (removed when closed); returns it
    rewound, and its size. The export is recorded in the audit trail."""
    export = collect(session, region, user)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    try:
        write_archive(export, storage, out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    accounts_service.audit_own_action(
        session,
        user,
        "account.data_export",
        "user",
        user.id,
        {"via": "page", "files": len(export.files)},
    )
    return out, size


def archive_name(region: Region) -> str:
    """The download's file name: ``data-saya-<region>-<YYYYMMDD>.zip``."""
    return f"data-saya-{region.slug}-{utcnow():%Y%m%d}.zip"


def chunks_of(out: IO[bytes], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """The archive in pieces for a streamed response; closes (and so removes) it at the end."""
    try:
        while chunk := out.read(chunk_size):
            yield chunk
    finally:
        out.close()

"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the region's complaints as
services and service requests, and the API keys apps post with (decision 0056).

The jurisdiction is the region. Requests posted through Open311 are never confidential nor
anonymous (the specification has no such flags; ``service_notice`` says so); confidential
complaints never appear in any answer, and no answer carries a personal field.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from simpul.complaints import open311_repository as repo
from simpul.complaints import repository
from simpul.complaints.filing import Filing, file_complaint
from simpul.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    Open311Key,
)
from simpul.complaints.rules import TITLE_MAX
from simpul.core import ratelimit, security
from simpul.core.audit import record_audit_event
from simpul.core.errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.personal import mask_sixteen_digit_numbers
from simpul.core.ratelimit import buckets_on
from simpul.core.regions import require_region
from simpul.core.settings import get_settings

SPECIFICATION: Final = "http://wiki.open311.org/GeoReport_v2"
CHANGESET: Final = "2026-12-07T00:00:00Z"
FORMATS: Final = ("text/xml", "application/json")
#: Posts a key may make per minute, and failed keys a source address may try per minute.
POSTS_PER_MINUTE: Final = 60
FAILED_KEYS_PER_MINUTE: Final = 10
#: The most requests one list answers (the specification's suggestion) and ids one query names.
MAX_RESULTS: Final = 1000
MAX_IDS: Final = 100
DEFAULT_WINDOW: Final = timedelta(days=90)
MIN_FIXED_KEY: Final = 20
KEY_PREFIX: Final = "o311_"
#: Longest accepted value of each single field of a post (longer ones are refused).
_FIELD_MAX: Final = {
    "api_key": 200,
    "jurisdiction_id": 100,
    "service_code": 60,
    "lat": 40,
    "long": 40,
    "address_string": 300,
    "address_id": 300,
    "email": 254,
    "device_id": 100,
    "account_id": 100,
    "first_name": 100,
    "last_name": 100,
    "phone": 30,
    "description": 4000,
    "media_url": 500,
}
_ATTRIBUTE_VALUE_MAX: Final = 1000
_MAX_ATTRIBUTES: Final = 50
_ATTRIBUTE = re.compile(r"^attribute\[([a-z0-9_-]{1,60})\](\[\])?$")
_CLOSED_STATUSES: Final = frozenset(ComplaintStatus) - OPEN_STATUSES


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": "open311", "message": message}])


def region_for(session: Session, slug: str, jurisdiction_id: str | None) -> Region:
    """The region (the jurisdiction); ``jurisdiction_id``, when given, must name it."""
    region = require_region(session, slug[:100])
    if jurisdiction_id is not None and jurisdiction_id != region.slug:
        raise NotFound(_("jurisdiction_id tidak ditemukan."))
    return region


def _api_base(region: Region) -> str:
    return f"{get_settings().public_url.rstrip('/')}/open311/{region.slug}/v2"


def as_json(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=False).encode()


def discovery(region: Region) -> dict[str, Any]:
    """Where the API is, what it speaks, and where keys come from."""
    return {
        "changeset": CHANGESET,
        "contact": _("Admin pengaduan %(region)s, melalui halaman %(url)s")
        % {"region": region.name, "url": f"{get_settings().public_url.rstrip('/')}/{region.slug}"},
        "key_service": _(
            "Kunci API diterbitkan oleh admin wilayah %(region)s (halaman Admin > Open311)."
        )
        % {"region": region.name},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": _api_base(region),
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(FORMATS),
            }
        ],
    }


def _active_categories(session: Session, region: Region) -> list[ComplaintCategory]:
    return list(repository.list_categories(session, region.id, active_only=True))


def services(session: Session, region: Region) -> list[dict[str, Any]]:
    """The active categories as Open311 services."""
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description,
            "metadata": bool(c.attributes),
            "type": "realtime",
            "keywords": c.keywords,
            "group": c.group_name,
        }
        for c in _active_categories(session, region)
    ]


def _category(session: Session, region: Region, code: str) -> ComplaintCategory:
    category = repository.get_category_by_code(session, region.id, code)
    if category is None or not category.active:
        raise NotFound(_("service_code tidak ditemukan."))
    return category


def _definitions(category: ComplaintCategory) -> list[dict[str, Any]]:
    ordered = sorted(
        enumerate(category.attributes), key=lambda pair: (int(pair[1].get("order", 0)), pair[0])
    )
    return [
        {
            "variable": True,
            "code": str(a.get("code", "")),
            "datatype": str(a.get("datatype", "string")),
            "required": bool(a.get("required", False)),
            "datatype_description": str(a.get("datatype_description", "")),
            "order": int(a.get("order", index + 1)),
            "description": str(a.get("description", "")),
            "values": [
                {"key": str(v.get("key", "")), "name": str(v.get("name", ""))}
                for v in a.get("values", [])
            ],
        }
        for index, a in ordered
    ]


def service_definition(session: Session, region: Region, code: str) -> dict[str, Any]:
    """A service's attributes (Open311 ``service_definition``)."""
    category = _category(session, region, code)
    return {"service_code": category.code, "attributes": _definitions(category)}


# -- keys -----------------------------------------------------------------------------------


def issue_open311_key(
    session: Session,
    region: Region,
    name: str,
    created_by: str,
    key: str | None = None,
    *,
    actor_id: uuid.UUID | None = None,
) -> str:
    """Issue an API key for an app and return it (shown once; only its digest is kept). A
    fixed ``key`` is for the demo region only, and at least 20 characters long."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput(
            _("Nama kunci wajib diisi, paling panjang 120 karakter."),
            details=[
                {
                    "field": "name",
                    "message": _("Nama kunci wajib diisi, paling panjang 120 karakter."),
                }
            ],
        )
    if key is not None and (len(key) < MIN_FIXED_KEY or len(key) > 200):
        message = _("Kunci tetap harus %(n)d sampai 200 karakter.") % {"n": MIN_FIXED_KEY}
        raise InvalidInput(message, details=[{"field": "key", "message": message}])
    value = key if key is not None else security.new_token(KEY_PREFIX)
    digest = security.token_digest(value)
    if repo.key_hash_exists(session, digest):
        message = _("Kunci ini sudah ada.")
        raise InvalidInput(message, details=[{"field": "key", "message": message}])
    row = Open311Key(
        id=uuid.uuid4(),
        region_id=region.id,
        name=name,
        key_prefix=value[:8],
        key_hash=digest,
        created_by=created_by[:200],
    )
    repository.add(session, row)
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor_id,
        actor_label=created_by[:200],
        action="open311.key_issued",
        target_type="open311_key",
        target_id=str(row.id),
        details={"name": name, "prefix": row.key_prefix},
    )
    return value


def open311_keys(session: Session, region: Region) -> Sequence[Open311Key]:
    """The region's keys, newest first (revoked ones too)."""
    return repo.list_keys(session, region.id)


def revoke_open311_key(
    session: Session,
    region: Region,
    key_id: uuid.UUID,
    actor_label: str,
    *,
    actor_id: uuid.UUID | None = None,
) -> Open311Key:
    """Refuse the key from now on (it stays listed)."""
    row = repo.get_key(session, region.id, key_id)
    if row is None:
        raise NotFound(_("Kunci tidak ditemukan."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=actor_id,
            actor_label=actor_label[:200],
            action="open311.key_revoked",
            target_type="open311_key",
            target_id=str(row.id),
            details={"name": row.name, "prefix": row.key_prefix},
        )
        session.flush()
    return row


def open311_key_by_prefix(session: Session, region: Region, prefix: str) -> Open311Key:
    """The one key whose prefix is ``prefix`` (for the CLI); "not found" when none or many."""
    found = [k for k in repo.list_keys(session, region.id) if k.key_prefix.startswith(prefix)]
    if len(found) != 1 or not prefix:
        raise NotFound(_("Kunci tidak ditemukan."))
    return found[0]


def _too_many(seconds: int) -> TooManyRequests:
    return TooManyRequests(
        _("Terlalu banyak permintaan; coba lagi dalam %(n)d detik.") % {"n": seconds},
        retry_after_seconds=seconds,
    )


def _take(state: Any, bucket: str, key: str, per_minute: int) -> None:
    wait = buckets_on(state, bucket).take(key, per_minute, ratelimit.monotonic())
    if wait is not None:
        raise _too_many(max(1, math.ceil(wait)))


def _checked_key(
    session: Session, region: Region, api_key: str, state: Any, source: str
) -> Open311Key:
    row = repo.key_by_hash(session, security.token_digest(api_key)) if api_key else None
    if row is None or row.region_id != region.id or row.revoked_at is not None:
        # Count failures per source address: guessing keys is slowed to a trickle.
        _take(state, "open311_failed_keys", source, FAILED_KEYS_PER_MINUTE)
        raise Forbidden(_("api_key tidak valid atau sudah dicabut."))
    _take(state, "open311_posts", str(row.id), POSTS_PER_MINUTE)
    row.last_used_at = utcnow()
    return row


# -- posting a request ----------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    service_request_id: str
    token: str
    service_notice: str
    account_id: str


def _single(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The post's fields (each at most once) and its attribute answers."""
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for name, value in pairs:
        if match := _ATTRIBUTE.match(name):
            if len(value) > _ATTRIBUTE_VALUE_MAX:
                raise _bad(_("Nilai %(name)s terlalu panjang.") % {"name": name})
            attributes.setdefault(match.group(1), []).append(value)
            continue
        if name not in _FIELD_MAX:
            continue  # unknown parameters are ignored, as the specification allows
        if name in fields:
            raise _bad(_("Parameter %(name)s dikirim lebih dari sekali.") % {"name": name})
        if len(value) > _FIELD_MAX[name]:
            raise _bad(_("Nilai %(name)s terlalu panjang.") % {"name": name})
        fields[name] = value
    if len(attributes) > _MAX_ATTRIBUTES:
        raise _bad(_("Terlalu banyak atribut."))
    return fields, attributes


def _coordinate(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise _bad(_("%(name)s harus berupa angka.") % {"name": name}) from None
    if not low <= value <= high:  # also refuses nan
        raise _bad(_("%(name)s di luar rentang.") % {"name": name})
    return value


def _attribute_answers(category: ComplaintCategory, given: dict[str, list[str]]) -> dict[str, Any]:
    definitions = {d["code"]: d for d in _definitions(category)}
    for code in given:
        if code not in definitions:
            raise _bad(_("Atribut %(code)s tidak dikenal layanan ini.") % {"code": code})
    answers: dict[str, Any] = {}
    for code, definition in definitions.items():
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if values:
            answers[code] = _attribute_value(code, definition, values)
        elif definition["required"]:
            raise _bad(_("Atribut %(code)s wajib diisi.") % {"code": code})
    return answers


def _attribute_value(code: str, definition: dict[str, Any], values: list[str]) -> Any:
    """One attribute's answer, checked against its datatype and its list of values."""
    datatype = definition["datatype"]
    if datatype != "multivaluelist" and len(values) > 1:
        raise _bad(_("Atribut %(code)s hanya boleh satu nilai.") % {"code": code})
    if datatype == "number":
        try:
            number = float(values[0])
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _bad(_("Atribut %(code)s harus berupa angka.") % {"code": code})
        return number
    if datatype == "datetime":
        try:
            datetime.fromisoformat(values[0])
        except ValueError:
            raise _bad(
                _("Atribut %(code)s harus berupa tanggal dan waktu W3C.") % {"code": code}
            ) from None
        return values[0]
    if datatype in ("singlevaluelist", "multivaluelist"):
        keys = {v["key"] for v in definition["values"]}
        if any(v not in keys for v in values):
            raise _bad(_("Nilai atribut %(code)s tidak ada dalam daftar.") % {"code": code})
        return values if datatype == "multivaluelist" else values[0]
    return values[0]


def _title(description: str, category: ComplaintCategory) -> str:
    words = description.split()
    title = ""
    for word in words[:10]:
        candidate = f"{title} {word}".strip()
        if len(candidate) > min(TITLE_MAX, 80):
            break
        title = candidate
    return title or category.name[:TITLE_MAX]


def post_request(
    session: Session,
    region: Region,
    pairs: Sequence[tuple[str, str]],
    *,
    state: Any,
    source: str,
) -> Posted:
    """File a complaint posted by an app with its key; public and not anonymous."""
    fields, given_attributes = _single(pairs)
    api_key = fields.get("api_key", "").strip()
    if not api_key:
        _take(state, "open311_failed_keys", source, FAILED_KEYS_PER_MINUTE)
        raise Forbidden(_("api_key wajib dikirim."))
    _checked_key(session, region, api_key, state, source)
    code = fields.get("service_code", "").strip()
    if not code:
        raise _bad(_("service_code wajib diisi."))
    category = repository.get_category_by_code(session, region.id, code)
    if category is None or not category.active:
        raise _bad(_("service_code tidak dikenal."))
    latitude = longitude = None
    if fields.get("lat", "").strip() or fields.get("long", "").strip():
        latitude = _coordinate(fields.get("lat", "").strip(), "lat", -90, 90)
        longitude = _coordinate(fields.get("long", "").strip(), "long", -180, 180)
    address = fields.get("address_string", "").strip() or fields.get("address_id", "").strip()
    description = fields.get("description", "").strip()
    if not description:
        raise _bad(_("description wajib diisi."))
    media_url = fields.get("media_url", "").strip()
    if media_url and not re.match(r"^https?://[^\s<>\"]+$", media_url):
        raise _bad(_("media_url harus berupa alamat http atau https."))
    attributes = _attribute_answers(category, given_attributes)
    if media_url:
        attributes["media_url"] = media_url  # a link only: never fetched
    contact = {
        "first_name": fields.get("first_name", ""),
        "last_name": fields.get("last_name", ""),
        "email": fields.get("email", ""),
        "phone": fields.get("phone", ""),
        "device_id": fields.get("device_id", ""),
        "account_id": fields.get("account_id", ""),
    }
    filing = Filing(
        kind="complaint",
        category=category.code,
        title=_title(description, category),
        description=description,
        anonymous=False,
        confidential=False,
        latitude=latitude,
        longitude=longitude,
        address=address,
        attributes=attributes,
        contact=contact,
    )
    filed = file_complaint(session, region, filing, reporter=None, source=ComplaintSource.OPEN311)
    token = security.new_token()[:40]
    filed.complaint.open311_token = token
    session.flush()
    return Posted(
        service_request_id=filed.complaint.number,
        token=token,
        service_notice=public_notice(),
        account_id=fields.get("account_id", ""),
    )


def public_notice() -> str:
    return _(
        "Laporan melalui Open311 bersifat publik dan tidak anonim; untuk laporan rahasia atau "
        "anonim gunakan situs pengaduan wilayah."
    )


# -- reading requests -----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """The filters of ``GET requests`` as sent (strings), checked by ``find_requests``."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None


def _w3c(raw: str, name: str, region: Region) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise _bad(
            _("%(name)s harus berupa tanggal dan waktu W3C, mis. 2026-12-01T00:00:00Z.")
            % {"name": name}
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(region.timezone))
    return value


def _statuses(raw: str) -> set[ComplaintStatus]:
    wanted: set[ComplaintStatus] = set()
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        if part == "open":
            wanted |= OPEN_STATUSES
        elif part == "closed":
            wanted |= _CLOSED_STATUSES
        else:
            raise _bad(_("status harus open atau closed."))
    return wanted


def find_requests(
    session: Session, region: Region, query: RequestQuery, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """``GET requests``: public complaints, newest first, at most 1000."""
    for name, value in vars(query).items():
        if value is not None and len(value) > 3000:
            raise _bad(_("Nilai %(name)s terlalu panjang.") % {"name": name})
    if query.service_request_id is not None:
        numbers = [n.strip().upper() for n in query.service_request_id.split(",") if n.strip()]
        if len(numbers) > MAX_IDS:
            raise _bad(_("Paling banyak %(n)d service_request_id.") % {"n": MAX_IDS})
        # The specification: with ids, the other filters are ignored.
        rows = repo.public_requests(session, region.id, numbers=numbers, limit=MAX_IDS)
        return _requests_out(session, region, rows)
    category_ids = None
    if query.service_code is not None:
        codes = {c.strip() for c in query.service_code.split(",") if c.strip()}
        categories = repo.categories_by_id(session, region.id)
        category_ids = [c.id for c in categories.values() if c.code in codes]
    statuses = _statuses(query.status) if query.status else None
    until = _w3c(query.end_date, "end_date", region) if query.end_date else (now or utcnow())
    since = _w3c(query.start_date, "start_date", region) if query.start_date else None
    if since is None:
        since = until - DEFAULT_WINDOW
    if since > until:
        raise _bad(_("start_date harus sebelum end_date."))
    rows = repo.public_requests(
        session,
        region.id,
        category_ids=category_ids,
        statuses=statuses,
        since=since,
        until=until,
        limit=MAX_RESULTS,
    )
    return _requests_out(session, region, rows)


def get_request(session: Session, region: Region, number: str) -> list[dict[str, Any]]:
    """``GET requests/{id}``: a one-element list; a confidential one is unknown."""
    rows = repo.public_requests(session, region.id, numbers=[number.strip().upper()], limit=1)
    if not rows:
        raise NotFound(_("service_request_id tidak ditemukan."))
    return _requests_out(session, region, rows)


def token_request(session: Session, region: Region, token: str) -> list[dict[str, Any]]:
    """``GET tokens/{token}``: the id the posted request got."""
    rows = repo.public_requests(session, region.id, token=token.strip(), limit=1) if token else []
    if not rows or not token.strip():
        raise NotFound(_("token tidak ditemukan."))
    return [{"service_request_id": rows[0].number, "token": token.strip()}]


def _w3c_out(moment: datetime, region: Region) -> str:
    return moment.astimezone(ZoneInfo(region.timezone)).isoformat(timespec="seconds")


def _requests_out(
    session: Session, region: Region, rows: Sequence[Complaint]
) -> list[dict[str, Any]]:
    categories = repo.categories_by_id(session, region.id)
    agencies = repo.agency_names(session, region.id)
    ids = [c.id for c in rows]
    answers = repo.latest_answers(session, region.id, ids)
    first_photo: dict[uuid.UUID, uuid.UUID] = {}
    for photo in repository.photos_of(session, region.id, ids):
        first_photo.setdefault(photo.complaint_id, photo.id)
    base = get_settings().public_url.rstrip("/")
    zone = ZoneInfo(region.timezone)
    out = []
    for c in rows:
        category = categories[c.category_id]
        if c.id in first_photo:
            media = f"{base}/{region.slug}/pengaduan/{c.number}/foto/{first_photo[c.id]}"
        else:
            media = str(c.attributes.get("media_url", ""))
        out.append(
            {
                "service_request_id": c.number,
                "status": "open" if c.status in OPEN_STATUSES else "closed",
                "status_notes": mask_sixteen_digit_numbers(answers.get(c.id, "")),
                "service_name": category.name,
                "service_code": category.code,
                "description": mask_sixteen_digit_numbers(c.description),
                "agency_responsible": agencies.get(c.agency_id, "") if c.agency_id else "",
                "service_notice": "",
                "requested_datetime": _w3c_out(c.filed_at, region),
                "updated_datetime": _w3c_out(c.updated_at, region),
                "expected_datetime": datetime.combine(
                    c.resolution_due, time(23, 59, 59), tzinfo=zone
                ).isoformat(timespec="seconds"),
                "address": c.address,
                "address_id": "",
                "zipcode": "",
                "lat": c.latitude,
                "long": c.longitude,
                "media_url": media,
            }
        )
    return out


# -- the JSON API's reads -------------------------------------------------------------------

API_PAGE_SIZE: Final = 50


def api_views(session: Session, region: Region, rows: Sequence[Complaint]) -> list[dict[str, Any]]:
    """Complaints as the JSON API shows them: no reporter, numbers of 16 digits masked."""
    categories = repo.categories_by_id(session, region.id)
    agencies = repo.agency_names(session, region.id)
    return [
        {
            "number": c.number,
            "kind": c.kind.value,
            "status": c.status.value,
            "category": categories[c.category_id].code,
            "category_name": categories[c.category_id].name,
            "agency": agencies.get(c.agency_id, "") if c.agency_id else "",
            "title": mask_sixteen_digit_numbers(c.title),
            "description": mask_sixteen_digit_numbers(c.description),
            "confidential": c.confidential,
            "latitude": c.latitude,
            "longitude": c.longitude,
            "address": c.address,
            "filed_at": c.filed_at,
            "resolution_due": c.resolution_due,
        }
        for c in rows
    ]


def public_complaint_page(session: Session, region: Region, page: int) -> list[dict[str, Any]]:
    """A page of the public list (never a confidential complaint), newest first."""
    if page < 1 or page > 10_000:
        raise _bad(_("Halaman tidak valid."))
    rows = repo.public_requests(
        session, region.id, limit=API_PAGE_SIZE, offset=(page - 1) * API_PAGE_SIZE
    )
    return api_views(session, region, rows)

"""Forwarding a complaint out of the region (another region's Simpul, a national channel such
as SP4N-LAPOR!) by signed webhook, and receiving one forwarded in.

The desk's step and the outbox row are written in one transaction; ``simpul worker`` delivers
the row (``core.queue``: lease, retry with backoff, give up). The body is signed with the
target's secret: ``X-Simpul-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts import service as accounts
from simpul.accounts.models import User
from simpul.complaints import forwarding_repository, repository
from simpul.complaints.filing import Filing, contact_of, file_complaint
from simpul.complaints.handling import mark_forwarded_out
from simpul.complaints.models import (
    Complaint,
    ComplaintForward,
    ComplaintForwardTarget,
    ComplaintKind,
    ComplaintSource,
    ForwardStatus,
    ForwardTargetKind,
)
from simpul.complaints.rules import Actor, is_desk, record_step
from simpul.core import security
from simpul.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.queue import Backoff, Queue
from simpul.core.settings import get_settings

log = logging.getLogger(__name__)

SECRET_PURPOSE: Final = "complaint-forward"  # noqa: S105 - a key purpose, not a secret
FORWARD_CHANNEL: Final = "complaint_forward"
FORWARD_QUEUE: Final = Queue(
    ComplaintForward,
    channel=FORWARD_CHANNEL,
    waiting=(ForwardStatus.PENDING, ForwardStatus.RETRY),
    working=ForwardStatus.SENDING,
    retry=ForwardStatus.RETRY,
    dead=ForwardStatus.FAILED,
)
BACKOFF: Final = Backoff(max_attempts=8, base_seconds=30.0, max_seconds=3600.0)
#: Seconds a worker holds a row while it posts (longer than the HTTP timeout).
LEASE_SECONDS: Final = 60.0
TIMEOUT_SECONDS: Final = 10.0
#: Largest inbound body (bytes) and how far its timestamp may be from now (replay window).
MAX_INBOUND_BYTES: Final = 64 * 1024
MAX_SKEW_SECONDS: Final = 300
#: What the receiver keeps of the delivery id (in the new complaint's attributes).
DELIVERY_KEY: Final = "simpul_delivery"
_CODE_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


# -- signing ------------------------------------------------------------------------------


def forward_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Simpul-Signature`` value of ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def forward_signature_valid(
    secret: str, timestamp: str, signature: str, body: bytes, now: datetime | None = None
) -> bool:
    """Whether the signature is the secret's (constant-time) and the timestamp is within five
    minutes of now, neither older (a replay) nor in the future."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    moment = int((now or utcnow()).timestamp())
    if abs(moment - sent) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(forward_signature(secret, sent, body), signature)


# -- targets (the admin page) --------------------------------------------------------------


@dataclass
class TargetForm:
    """What the admin writes for a forward target; ``secret`` empty keeps the current one."""

    code: str = ""
    name: str = ""
    kind: str = ForwardTargetKind.REGION.value
    url: str = ""
    secret: str = ""
    active: bool = True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, debug: bool) -> str | None:
    """Why a target URL is refused (SSRF): only https to a public host, or plain http to this
    machine's loopback while ``debug`` (tests, a developer's two local regions)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return _("Alamat tidak valid.")
    if not host or parts.username or parts.password:
        return _("Alamat tidak valid.")
    if parts.scheme == "http" and debug and _is_loopback(host):
        return None
    if parts.scheme != "https":
        return _("Hanya alamat https yang diterima.")
    if _is_internal(host):
        return _("Alamat ini tidak boleh dipakai.")
    return None


def resolves_inside(host: str) -> bool:
    """Whether any address the name resolves to is not on the public internet (a name that
    does not resolve now is left to the connection attempt, which then fails and retries)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return any(_is_internal(str(info[4][0])) for info in infos)


def _is_internal(host: str) -> bool:
    """A literal address that is not on the public internet (metadata services, the LAN)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host.strip("[]").split("%")[0]).is_global
    except ValueError:
        return False


def forward_targets(
    session: Session, region: Region, *, active_only: bool = True
) -> Sequence[ComplaintForwardTarget]:
    return forwarding_repository.list_targets(session, region.id, active_only=active_only)


def forward_target(
    session: Session, region: Region, target_id: uuid.UUID
) -> ComplaintForwardTarget:
    found = forwarding_repository.get_target(session, region.id, target_id)
    if found is None:
        raise NotFound(_("Tujuan penerusan tidak ditemukan."))
    return found


def save_forward_target(
    session: Session,
    region: Region,
    form: TargetForm,
    existing: ComplaintForwardTarget | None,
    *,
    debug: bool | None = None,
) -> ComplaintForwardTarget:
    """Add a target or change one (its code is fixed once made); the secret is stored
    encrypted and never shown again."""
    errors: list[dict[str, str]] = []
    code = form.code.strip().lower()
    if existing is None:
        if not code or len(code) > 60 or not set(code) <= _CODE_CHARS:
            errors.append(
                {"field": "kode", "message": _("Kode hanya huruf kecil, angka dan tanda hubung.")}
            )
        elif forwarding_repository.get_target_by_code(session, region.id, code) is not None:
            errors.append(
                {"field": "kode", "message": _("Kode %(code)s sudah dipakai.") % {"code": code}}
            )
    name = form.name.strip()
    if not name or len(name) > 200:
        errors.append({"field": "nama", "message": _("Isi nama (paling banyak 200 huruf).")})
    if form.kind not in {k.value for k in ForwardTargetKind}:
        errors.append({"field": "jenis", "message": _("Pilih jenis tujuan.")})
    url = form.url.strip()
    too_long = _("Alamat paling banyak 500 karakter.")
    problem = (
        too_long
        if len(url) > 500
        else url_problem(url, debug=get_settings().debug if debug is None else debug)
    )
    if problem:
        errors.append({"field": "url", "message": problem})
    secret = form.secret.strip()
    if (existing is None or secret) and len(secret) < 32:
        errors.append(
            {"field": "rahasia", "message": _("Kunci rahasia sekurang-kurangnya 32 karakter.")}
        )
    if errors:
        raise InvalidInput(errors[0]["message"], details=errors)
    if existing is None:
        existing = ComplaintForwardTarget(id=uuid.uuid4(), region_id=region.id, code=code)
        repository.add(session, existing)
    existing.name = name
    existing.kind = ForwardTargetKind(form.kind)
    existing.url = url
    existing.active = form.active
    if secret:
        existing.secret_encrypted = security.encrypt(SECRET_PURPOSE, secret)
    session.flush()
    return existing


# -- forwarding out (the desk) ----------------------------------------------------------------


def _payload(
    session: Session,
    region: Region,
    complaint: Complaint,
    note: str,
) -> dict[str, Any]:
    category = repository.get_category(session, region.id, complaint.category_id)
    payload: dict[str, Any] = {
        "number": complaint.number,
        "kind": complaint.kind.value,
        "category": {
            "code": category.code if category else "",
            "name": category.name if category else "",
        },
        "title": complaint.title,
        "description": complaint.description,
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "place": {
            "latitude": complaint.latitude,
            "longitude": complaint.longitude,
            "address": complaint.address,
        },
        "filed_at": complaint.filed_at.isoformat(),
        "note": note,
        "from": {"region": region.slug, "name": region.name},
    }
    # Who filed it goes along only when they did not ask to stay anonymous.
    if not complaint.anonymous:
        contact = dict(contact_of(complaint))
        reporter = accounts.user_by_id(session, region, complaint.reporter_id)
        if reporter is not None:
            contact = {"name": reporter.full_name, "email": reporter.email}
        if contact:
            payload["reporter"] = contact
    return payload


def forward_out(
    session: Session,
    region: Region,
    desk: User,
    complaint: Complaint,
    target_id: uuid.UUID,
    note: str,
) -> ComplaintForward:
    """The desk sends a new complaint out: the step in its history and the outbox row in one
    transaction (a rolled-back request sends nothing); workers are woken on commit."""
    if not is_desk(desk):
        raise Forbidden(_("Hanya admin pengaduan yang dapat meneruskan pengaduan."))
    chosen = forwarding_repository.get_target(session, region.id, target_id)
    if chosen is None or not chosen.active:
        problem = _("Pilih tujuan penerusan.")
        raise InvalidInput(problem, details=[{"field": "tujuan", "message": problem}])
    mark_forwarded_out(session, region, desk, complaint, chosen.name, note)
    row = ComplaintForward(
        id=uuid.uuid4(),
        region_id=region.id,
        complaint_id=complaint.id,
        target_id=chosen.id,
        payload=_payload(session, region, complaint, note.strip()),
        status=ForwardStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    repository.add(session, row)
    session.flush()
    FORWARD_QUEUE.wake(session)
    return row


def forwards_of(
    session: Session, region: Region, complaint: Complaint
) -> Sequence[ComplaintForward]:
    return forwarding_repository.forwards_of(session, region.id, complaint.id)


# -- delivery (the worker) --------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    row_id: uuid.UUID
    attempt: int
    url: str
    secret: str | None
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    sent: bool
    permanent: bool
    status: int | None
    error: str
    reference: str = ""


def body_of(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead the signed body to another host: take it as the answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _failed(error: str, status: int | None = None, *, permanent: bool = False) -> _Outcome:
    return _Outcome(sent=False, permanent=permanent, status=status, error=error)


def _post(job: _Job, opener: urllib.request.OpenerDirector, *, debug: bool) -> _Outcome:
    if job.secret is None:
        return _failed("secret unreadable (key changed)", permanent=True)
    # Checked again: the URL may have been saved under other rules (debug on, then off), and
    # a public name may resolve to an address inside the network.
    if url_problem(job.url, debug=debug):
        return _failed("target URL refused", permanent=True)
    host = urlsplit(job.url).hostname or ""
    if not (debug and _is_loopback(host)) and resolves_inside(host):
        return _failed("target resolves to an internal address", permanent=True)
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 - scheme checked by url_problem
        job.url,
        data=job.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Simpul-Signature": forward_signature(job.secret, timestamp, job.body),
            "X-Simpul-Timestamp": str(timestamp),
            "X-Simpul-Delivery": str(job.row_id),
            "User-Agent": "Simpul-Complaints/1",
        },
    )
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            code = int(response.status)
            answer = response.read(MAX_INBOUND_BYTES)
    except urllib.error.HTTPError as error:
        error.close()
        code = error.code
        # 3xx (not followed) and 4xx are the receiver's final word, but for timeouts and
        # rate limits.
        permanent = 300 <= code < 500 and code not in (408, 429)
        return _failed(f"HTTP {code}", code, permanent=permanent)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return _failed(f"unreachable ({type(reason).__name__})")
    reference = ""
    try:
        parsed = json.loads(answer) if answer else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("number"), str):
        reference = parsed["number"][:100]
    return _Outcome(sent=True, permanent=False, status=code, error="", reference=reference)


def _record_failure(session: Session, row: ComplaintForward) -> None:
    complaint = repository.get_complaint(session, row.region_id, row.complaint_id)
    if complaint is None:
        return
    # For the back office only: the public sees that it was forwarded, not the plumbing.
    record_step(
        session,
        complaint,
        "forward_failed",
        complaint.status,
        complaint.status,
        Actor.system(),
        message=row.last_error,
        public=False,
        details={"forward": str(row.id)},
    )


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    now: datetime | None = None,
    batch: int = 20,
    debug: bool | None = None,
) -> int:
    """Claim due deliveries, post them, record each outcome; returns how many were tried.
    ``debug`` (default: the setting) allows plain http to loopback."""
    moment = now or utcnow()
    allow_loopback = get_settings().debug if debug is None else debug
    jobs: list[_Job] = []
    with sessions() as session, session.begin():
        for row in FORWARD_QUEUE.claim(session, moment, batch):
            if FORWARD_QUEUE.lease_ran_out(row) and FORWARD_QUEUE.out_of_attempts(row, BACKOFF):
                FORWARD_QUEUE.give_up(row)
                row.last_error = "worker stopped during the last attempt"
                _record_failure(session, row)
                continue
            attempt = FORWARD_QUEUE.lease(row, moment, LEASE_SECONDS)
            chosen = forwarding_repository.get_target(session, row.region_id, row.target_id)
            secret = security.decrypt(SECRET_PURPOSE, chosen.secret_encrypted) if chosen else None
            jobs.append(
                _Job(row.id, attempt, chosen.url if chosen else "", secret, body_of(row.payload))
            )
    if not jobs:
        return 0
    opener = urllib.request.build_opener(_NoRedirects)
    for job in jobs:
        outcome = _post(job, opener, debug=allow_loopback)
        with sessions() as session, session.begin():
            held = FORWARD_QUEUE.held(session, job.row_id, job.attempt)
            if held is None:
                continue  # another worker took it over after our lease ran out
            held.response_status = outcome.status
            if outcome.sent:
                held.status = ForwardStatus.SENT
                held.sent_at = utcnow()
                held.last_error = ""
                held.remote_reference = outcome.reference
                continue
            held.last_error = outcome.error[:300]
            status = FORWARD_QUEUE.fail(held, moment, BACKOFF, permanent=outcome.permanent)
            if status is ForwardStatus.FAILED:
                _record_failure(session, held)
                # The row id only: the target's URL may carry a token, the payload
                # personal data.
                log.warning("complaint forward %s failed: %s", held.id, held.last_error)
    return len(jobs)


def forwarding_step(engine: Engine) -> Callable[[], int]:
    """Delivery as a step of the worker loop (woken by ``FORWARD_CHANNEL``)."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def step() -> int:
        return deliver_due(sessions)

    return step


# -- receiving (another region forwards to us) ----------------------------------------------


def _text(value: object, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _section(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _filing_from(data: Mapping[str, Any], category_code: str) -> Filing:
    """The received JSON as a filing in our category (anything malformed is left empty, and
    filing's own checks refuse what must not be)."""
    place = _section(data, "place")
    reporter = _section(data, "reporter")
    contact = {k: _text(reporter.get(k), 200) for k in ("name", "email", "phone")}
    latitude, longitude = _number(place.get("latitude")), _number(place.get("longitude"))
    point = latitude is not None and longitude is not None
    kind = _text(data.get("kind"), 20)
    return Filing(
        kind=kind if kind in {k.value for k in ComplaintKind} else ComplaintKind.COMPLAINT.value,
        category=category_code,
        title=_text(data.get("title"), 150),
        description=_text(data.get("description"), 5000),
        anonymous=bool(data.get("anonymous")),
        confidential=bool(data.get("confidential")),
        latitude=latitude if point else None,
        longitude=longitude if point else None,
        address=_text(place.get("address"), 300),
        contact={k: v for k, v in contact.items() if v},
    )


def receive_forwarded(
    session: Session,
    region: Region,
    target_code: str,
    body: bytes,
    *,
    signature: str,
    timestamp: str,
    delivery_id: str,
    now: datetime | None = None,
) -> Complaint:
    """File a complaint another region forwarded to us: the sender is configured here as a
    target with the same code and secret. Refuses a bad signature, a stale or future
    timestamp, a delivery already received and a body over 64 KB."""
    if len(body) > MAX_INBOUND_BYTES:
        raise PayloadTooLarge(_("Isi kiriman terlalu besar."))
    refused = Unauthorized(_("Tanda tangan kiriman tidak sah."))
    sender = forwarding_repository.get_target_by_code(session, region.id, target_code)
    if sender is None or not sender.active:
        raise refused
    secret = security.decrypt(SECRET_PURPOSE, sender.secret_encrypted)
    if secret is None or not forward_signature_valid(secret, timestamp, signature, body, now):
        raise refused
    delivery = delivery_id.strip()
    try:
        delivery = str(uuid.UUID(delivery))
    except ValueError:
        problem = _("Nomor kiriman tidak valid.")
        raise InvalidInput(
            problem, details=[{"field": "X-Simpul-Delivery", "message": problem}]
        ) from None
    forwarding_repository.lock_delivery(session, region.id, delivery)
    if forwarding_repository.delivery_received(session, region.id, delivery):
        raise Conflict(_("Kiriman ini sudah diterima."))
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        problem = _("Isi kiriman bukan JSON yang valid.")
        raise InvalidInput(problem, details=[{"field": "body", "message": problem}])
    category_data = data.get("category")
    code = _text(category_data.get("code") if isinstance(category_data, dict) else None, 60)
    category = repository.get_category_by_code(session, region.id, code) if code else None
    if category is None or not category.active:
        # Unknown here: the region's first active category; the desk re-sorts it anyway.
        active = repository.list_categories(session, region.id, active_only=True)
        if not active:
            problem = _("Wilayah ini belum punya kategori pengaduan.")
            raise InvalidInput(problem, details=[{"field": "category", "message": problem}])
        category = active[0]
    filing = _filing_from(data, category.code)
    filed = file_complaint(
        session, region, filing, reporter=None, source=ComplaintSource.FORWARDED_IN, now=now
    )
    complaint = filed.complaint
    complaint.attributes = {**complaint.attributes, DELIVERY_KEY: delivery}
    origin = _section(data, "from")
    record_step(
        session,
        complaint,
        "received_from",
        complaint.status,
        complaint.status,
        Actor(None, sender.name, sender.name),
        message=_text(data.get("note"), 5000),
        details={
            "target": sender.code,
            "number": _text(data.get("number"), 40),
            "region": _text(origin.get("region"), 60),
        },
        now=now,
    )
    session.flush()
    return complaint

"""The demo region's complaints: Kota Bandung's categories, and a year of past complaints with
places in the city, so the map, the routing suggestion and the numbers show something real.

Categories are added on every seed (only the missing ones). The year of complaints is added
once (a fixed seed), straight into the tables (``complaints.seeding``): no notices for the past.
Texts come from per-category templates with slots, informal openings, typos, asides about a
second topic and vague ones, so a classifier learns from them without finding a fixed phrase.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts.models import User
from simpul.applications import service as applications
from simpul.applications.sla import WorkingCalendar
from simpul.catalogue import repository as catalogue_repository
from simpul.catalogue.models import Agency
from simpul.complaints import seeding
from simpul.complaints import service as complaints
from simpul.complaints.models import ComplaintKind, ComplaintStatus, DeadlineClass
from simpul.complaints.seeding import PastComplaint, PastStep
from simpul.core import security
from simpul.core.errors import InvalidInput
from simpul.core.i18n import format_date
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.demo.history import RESIDENTS, resident_email

DATA_FILE: Final = Path(__file__).resolve().parent / "data" / "kota-bandung-complaints.json"
#: Past complaints added (about; split parts come on top).
PAST_COMPLAINTS: Final = 400
DEMO_CITIZEN: Final = "warga@example.org"
DESK_EMAIL: Final = "pengaduan@example.org"
#: The demo officers who answer complaints, by agency slug (others answer as "Petugas X").
COMPLAINT_OFFICERS: Final = {
    "dsdabm": "petugas.dsdabm@example.org",
    "dlh": "petugas.dlh@example.org",
    "disdukcapil": "petugas.disdukcapil@example.org",
    "dpmptsp": "petugas.dpmptsp@example.org",
}
_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def load_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def seed_demo_categories(session: Session, region: Region) -> int:
    """Add the demo's complaint categories that are missing; returns how many were added."""
    existing = {c.code for c in complaints.categories(session, region, active_only=False)}
    added = 0
    for position, item in enumerate(load_data()["categories"]):
        if item["code"] in existing:
            continue
        agency = (
            catalogue_repository.get_agency_by_slug(session, region.id, item["agency"])
            if item["agency"]
            else None
        )
        complaints.create_category(
            session,
            region,
            code=item["code"],
            name=item["name"],
            name_en=item["name_en"],
            description=item["description"],
            group_name=item["group"],
            keywords=item["keywords"],
            deadline_class=DeadlineClass(item["deadline_class"]),
            default_agency_id=agency.id if agency else None,
            needs_location=item["needs_location"],
            attributes=item["attributes"],
            position=position,
        )
        added += 1
    return added


# -- what citizens write ----------------------------------------------------------------------

_WHEN: Final = (
    "sudah dua minggu",
    "dari bulan kemarin",
    "sejak hujan besar minggu lalu",
    "sudah hampir sebulan",
    "dari kemarin sore",
    "sudah lama sekali",
    "3 hari ini",
)
_OPEN: Final = (
    "",
    "",
    "Punten, ",
    "Assalamualaikum, ",
    "Mohon izin melapor. ",
    "Yth. Pemkot Bandung, ",
    "Pak/Bu, ",
    "Selamat siang. ",
)
_CLOSE: Final = (
    "",
    " Mohon segera ditindaklanjuti.",
    " Hatur nuhun.",
    " Tolong diperhatikan.",
    " Terima kasih.",
    " Warga sudah lapor ke RW tapi belum ada kabar.",
    " Mohon dicek langsung ke lokasi.",
)
#: A second topic some citizens mention in passing (the classifier has to look past it).
_ASIDES: Final = (
    " Sekalian, lampu jalan di situ juga sering mati.",
    " Oh iya, sampah di sana juga jarang diangkut.",
    " Selain itu banyak yang parkir sembarangan.",
    " Jalannya juga banyak yang bolong.",
    " Got di situ juga mampet.",
    " PKL juga makin banyak di trotoar.",
)
#: Reports too vague to say much about the category.
_VAGUE: Final = (
    "Tolong dicek kondisi di {jalan}, sudah lama dibiarkan begitu saja.",
    "Di daerah {kel} banyak masalah, mohon pemkot turun langsung.",
    "Lingkungan kami di {kec} kurang diperhatikan, mohon ditindaklanjuti.",
)
_SPAM: Final = (
    "Jual obat herbal ampuh, hubungi kami sekarang juga, promo terbatas!!!",
    "tes tes tes coba aplikasi pengaduan aja ini mah hehe",
    "Pinjaman dana cepat cair tanpa jaminan, klik link di bio.",
)
_ABBREVIATIONS: Final = (
    ("yang", "yg"),
    ("tidak", "tdk"),
    ("sudah", "sdh"),
    ("dengan", "dgn"),
    ("tolong", "tlg"),
    ("sekali", "bgt"),
)
_FIRST_ANSWERS: Final = (
    "Terima kasih atas laporannya. Laporan sudah kami terima dan diteruskan ke tim {agency} "
    "untuk ditinjau.",
    "Laporan Anda sedang kami tindak lanjuti; petugas {agency} akan memeriksa dan mengabari "
    "perkembangannya di sini.",
    "Terima kasih. Kami sudah menjadwalkan penanganan; mohon kesediaannya menunggu.",
)
_REJECT_REASON: Final = "Laporan tidak berisi keluhan yang dapat ditindaklanjuti."
_QUESTIONS: Final = (
    "Mohon kirimkan titik lokasi yang lebih tepat atau patokan terdekat.",
    "Boleh dilengkapi nomor permohonan atau tanggal pengajuan?",
    "Mohon sebutkan RT/RW agar petugas mudah menemukan lokasinya.",
)
_REPLIES: Final = (
    "Lokasinya persis di depan masjid, dekat warung kelontong.",
    "Nomornya sudah saya kirim, pengajuan tanggal 3 bulan lalu.",
    "RT 04 RW 07, patokannya gapura gang.",
)
_RATING_COMMENTS: Final = ("", "", "Cepat, terima kasih.", "Sudah beres.", "Lumayan lama.", "")
_REOPEN_NOTES: Final = ("Belum beres, lubangnya muncul lagi.", "Masih sama seperti sebelumnya.")
#: Agencies a desk sometimes picks instead of the category's default (a plausible mistake).
_OTHER_AGENCY: Final = {
    "drainase": "dlh",
    "sampah": "dsdabm",
    "penerangan-jalan": "dsdabm",
    "ketertiban": "dishub",
    "parkir-liar": "satpolpp",
    "pohon-taman": "dlh",
}
_OFFICE_AGENCIES: Final = ("disdukcapil", "dpmptsp", "dinkes", "dinsos")


def _typos(rng: random.Random, text: str) -> str:
    for word, short in _ABBREVIATIONS:
        if rng.random() < 0.5:
            text = re.sub(rf"\b{word}\b", short, text)
    return text.lower() if rng.random() < 0.3 else text


@dataclass
class _World:
    region: Region
    rng: random.Random
    zone: ZoneInfo
    calendar: WorkingCalendar
    deadlines: dict[DeadlineClass, tuple[int, int]]
    categories: list[dict[str, Any]]
    category_ids: dict[str, uuid.UUID]
    places: list[dict[str, Any]]
    agencies: dict[str, Agency]
    officers: dict[str, User]
    desk: User | None
    residents: list[User]
    numbers: set[str]
    now: datetime
    #: Per category: titles and bodies with slots {jalan}, {kel}, {kec}, {waktu}, {kantor};
    #: and the agency's closing answers.
    texts: dict[str, dict[str, list[str]]]
    final_answers: dict[str, list[str]]
    #: Each complaint's closing date as filed (reopening and waiting move it on).
    filed_due: dict[uuid.UUID, date] = field(default_factory=dict)


def _number(world: _World, at: datetime) -> str:
    while True:
        code = "".join(world.rng.choice(_ALPHABET) for _ in range(8))
        number = f"ADU-{at:%y%m}-{code[:4]}-{code[4:]}"
        if number not in world.numbers:
            world.numbers.add(number)
            return number


def _local(world: _World, day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=world.zone).astimezone(UTC)


def _later(world: _World, start: datetime, working_days: int) -> datetime:
    """A moment during office hours ``working_days`` after ``start`` (0: later that day)."""
    day = start.astimezone(world.zone).date()
    target = (
        world.calendar.add_working_days(day, working_days)
        if working_days
        else world.calendar.next_working_day(day)
    )
    moment = _local(world, target, world.rng.randint(8, 15), world.rng.randint(0, 59))
    return max(moment, start + timedelta(minutes=world.rng.randint(20, 90)))


def _desk(world: _World) -> tuple[uuid.UUID | None, str, str]:
    if world.desk is None:
        return None, "Admin Pengaduan (admin pengaduan)", seeding.desk_label()
    return world.desk.id, f"{world.desk.full_name} (admin pengaduan)", seeding.desk_label()


def _officer(world: _World, slug: str) -> tuple[uuid.UUID | None, str, str]:
    agency = world.agencies[slug]
    officer = world.officers.get(slug)
    if officer is None:
        return None, f"Petugas {agency.short_name} ({agency.short_name})", agency.name
    return officer.id, f"{officer.full_name} ({agency.short_name})", agency.name


def _reporter(user: User | None, anonymous: bool) -> tuple[uuid.UUID | None, str, str]:
    if user is None or anonymous:
        return (user.id if user else None), "Pelapor", seeding.reporter_label()
    return user.id, f"{user.full_name} (pelapor)", seeding.reporter_label()


def _text(world: _World, code: str, place: dict[str, Any]) -> tuple[str, str]:
    rng = world.rng
    titles, bodies = world.texts[code]["titles"], world.texts[code]["bodies"]
    office = world.agencies[rng.choice(_OFFICE_AGENCIES)].name
    slots = {
        "jalan": place["street"],
        "kel": place["kelurahan"],
        "kec": place["kecamatan"],
        "waktu": rng.choice(_WHEN),
        "kantor": office,
    }
    # The n-th title sums up the n-th body (the data file keeps them in the same order).
    index = rng.randrange(len(bodies))
    title = titles[index % len(titles)]
    body = bodies[index]
    if rng.random() < 0.06:
        body, title = rng.choice(_VAGUE), rng.choice(titles)
    text = rng.choice(_OPEN) + body.format(**slots)
    if rng.random() < 0.15:
        text += rng.choice(_ASIDES)
    text += rng.choice(_CLOSE)
    if rng.random() < 0.2:
        text = _typos(rng, text)
    return title.format(**slots)[:150], text.strip()


@dataclass
class _Plan:
    category: dict[str, Any]
    filed_at: datetime
    reporter: User | None
    anonymous: bool
    confidential: bool
    place: dict[str, Any]


def _complaint(world: _World, plan: _Plan, *, spam: bool = False) -> PastComplaint:
    rng = world.rng
    category = plan.category
    code = category["code"]
    kind = {
        "informasi-publik": ComplaintKind.INFORMATION,
        "aspirasi": ComplaintKind.ASPIRATION,
    }.get(code, ComplaintKind.COMPLAINT)
    deadline_class = (
        DeadlineClass.INFORMATION
        if kind is ComplaintKind.INFORMATION
        else DeadlineClass(category["deadline_class"])
    )
    first_days, closing_days = world.deadlines[deadline_class]
    filed_day = plan.filed_at.astimezone(world.zone).date()
    first_due = world.calendar.add_working_days(filed_day, first_days)
    resolution_due = world.calendar.add_working_days(filed_day, closing_days)
    title, description = _text(world, code, plan.place)
    if spam:
        title, description = "Info penting", rng.choice(_SPAM)
    point = category["needs_location"] or rng.random() < 0.1
    jitter = (rng.uniform(-0.004, 0.004), rng.uniform(-0.004, 0.004))
    item = PastComplaint(
        id=uuid.uuid4(),
        number=_number(world, plan.filed_at),
        kind=kind,
        category_id=world.category_ids[code],
        title=title,
        description=description,
        filed_at=plan.filed_at,
        first_response_due=first_due,
        resolution_due=resolution_due,
        steps=[],
        reporter_id=plan.reporter.id if plan.reporter else None,
        access_code_hash=None
        if plan.reporter
        else security.token_digest(security.new_token()),  # nobody holds the code
        anonymous=plan.anonymous,
        confidential=plan.confidential,
        latitude=round(plan.place["lat"] + jitter[0], 6) if point else None,
        longitude=round(plan.place["lng"] + jitter[1], 6) if point else None,
        address=(
            f"{plan.place['street']}, Kel. {plan.place['kelurahan']}, "
            f"Kec. {plan.place['kecamatan']}"
            if point
            else ""
        ),
    )
    world.filed_due[item.id] = resolution_due
    if code == "jalan-rusak" and rng.random() < 0.6:
        item.attributes = {"ukuran": rng.choice(("kecil", "sedang", "besar"))}
    if plan.reporter is not None:
        item.followers.append(plan.reporter.id)
        if not plan.confidential:
            supporters = rng.choice((0, 0, 0, 1, 2, 3))
            for supporter in rng.sample(world.residents, k=min(supporters, len(world.residents))):
                if supporter.id not in item.followers:
                    item.followers.append(supporter.id)
    rid, rlabel, rpublic = _reporter(plan.reporter, plan.anonymous)
    item.steps.append(
        PastStep(
            plan.filed_at,
            "filed",
            None,
            ComplaintStatus.NEW,
            rid,
            rlabel,
            rpublic,
            details={"source": "web"},
        )
    )
    return item


def _escalated(deadline: str, due: date) -> str:
    return f"Batas {deadline} ({format_date(due, 'id')}) terlewati; diteruskan ke pimpinan."


def _step(item: PastComplaint, to: ComplaintStatus, **fields: Any) -> None:
    item.steps.append(PastStep(from_status=item.steps[-1].to_status, to_status=to, **fields))


def _handle(world: _World, item: PastComplaint, plan: _Plan, *, spam: bool = False) -> None:
    """Carry the complaint through the steps that happened before now."""
    rng = world.rng
    now = world.now
    code = plan.category["code"]
    did, dlabel, dpublic = _desk(world)
    routed_at = _later(world, item.steps[-1].at, rng.choice((0, 0, 1, 1, 2)))
    if routed_at > now:
        return
    if spam:
        _step(
            item,
            ComplaintStatus.REJECTED,
            at=routed_at,
            action="rejected",
            actor_id=did,
            actor_label=dlabel,
            public_actor=dpublic,
            message=_REJECT_REASON,
        )
        item.resolved_at = routed_at
        return
    slug = plan.category["agency"] or rng.choice(_OFFICE_AGENCIES)
    if code in _OTHER_AGENCY and rng.random() < 0.07:
        slug = _OTHER_AGENCY[code]
    agency = world.agencies[slug]
    item.agency_id, item.routed_at = agency.id, routed_at
    _step(
        item,
        ComplaintStatus.ROUTED,
        at=routed_at,
        action="routed",
        actor_id=did,
        actor_label=dlabel,
        public_actor=dpublic,
        agency_id=agency.id,
        details={"as_suggested": False, "confidence": None},
    )
    oid, olabel, opublic = _officer(world, slug)
    late = rng.random() < 0.12
    first_at = _later(world, routed_at, rng.randint(4, 8) if late else rng.randint(0, 2))
    first_due_passed = _local(world, item.first_response_due + timedelta(days=1), 7, 0)
    if first_at.astimezone(world.zone).date() > item.first_response_due and first_due_passed < min(
        first_at, now
    ):
        item.first_response_escalated_at = first_due_passed
        _step(
            item,
            item.steps[-1].to_status,
            at=first_due_passed,
            action="escalated",
            actor_id=None,
            actor_label="Sistem",
            public_actor=seeding.system_label(),
            agency_id=agency.id,
            # As the escalation job writes it (complaints.escalation): the public sees it.
            message=_escalated("tanggapan pertama", item.first_response_due),
            details={"deadline": "first_response", "due": item.first_response_due.isoformat()},
        )
    if first_at > now:
        return
    # A desk's mistake: the agency hands it on to the category's own (within the region).
    if slug != (plan.category["agency"] or slug):
        right = world.agencies[plan.category["agency"]]
        item.agency_id = right.id
        _step(
            item,
            ComplaintStatus.ROUTED,
            at=first_at,
            action="forwarded_agency",
            actor_id=oid,
            actor_label=olabel,
            public_actor=opublic,
            agency_id=right.id,
            message=f"Bukan kewenangan kami; diteruskan ke {right.name}.",
        )
        slug = plan.category["agency"]
        oid, olabel, opublic = _officer(world, slug)
        first_at = _later(world, first_at, rng.randint(0, 2))
        if first_at > now:
            return
    item.first_responded_at = first_at
    agency = world.agencies[slug]
    _step(
        item,
        ComplaintStatus.IN_PROGRESS,
        at=first_at,
        action="answered",
        actor_id=oid,
        actor_label=olabel,
        public_actor=opublic,
        agency_id=agency.id,
        message=rng.choice(_FIRST_ANSWERS).format(agency=agency.short_name),
    )
    cursor = first_at
    if rng.random() < 0.08:
        asked = _later(world, cursor, rng.randint(0, 3))
        if asked > now:
            return
        _step(
            item,
            ComplaintStatus.WAITING_CITIZEN,
            at=asked,
            action="info_requested",
            actor_id=oid,
            actor_label=olabel,
            public_actor=opublic,
            agency_id=agency.id,
            message=rng.choice(_QUESTIONS),
        )
        replied = asked + timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 8))
        if replied > now or rng.random() < 0.15:
            item.waiting_since = asked
            return
        waited = world.calendar.working_days_between(
            asked.astimezone(world.zone).date(), replied.astimezone(world.zone).date()
        )
        item.resolution_due = world.calendar.add_working_days(item.resolution_due, waited)
        rid, rlabel, rpublic = _reporter(plan.reporter, plan.anonymous)
        _step(
            item,
            ComplaintStatus.IN_PROGRESS,
            at=replied,
            action="citizen_replied",
            actor_id=rid,
            actor_label=rlabel,
            public_actor=rpublic,
            message=rng.choice(_REPLIES),
        )
        cursor = replied
    _resolve(world, item, plan, agency, (oid, olabel, opublic), cursor)


def _resolve(
    world: _World,
    item: PastComplaint,
    plan: _Plan,
    agency: Agency,
    officer: tuple[uuid.UUID | None, str, str],
    cursor: datetime,
) -> None:
    rng = world.rng
    now = world.now
    code = plan.category["code"]
    oid, olabel, opublic = officer
    closing = {
        DeadlineClass.FIELD_CHECK: (5, 45),
        DeadlineClass.NO_FIELD_CHECK: (2, 11),
    }.get(DeadlineClass(plan.category["deadline_class"]), (1, 4))
    span = world.calendar.working_days_between(
        cursor.astimezone(world.zone).date(), item.resolution_due
    )
    late = rng.random() < 0.08
    days = rng.randint(*closing)
    days = max(1, span + rng.randint(2, 10)) if late else min(days, max(1, span))
    resolved_at = _later(world, cursor, days)
    overdue_since = _local(world, item.resolution_due + timedelta(days=1), 7, 0)
    if overdue_since < min(resolved_at, now) and overdue_since > cursor:
        item.resolution_escalated_at = overdue_since
        _step(
            item,
            item.steps[-1].to_status,
            at=overdue_since,
            action="escalated",
            actor_id=None,
            actor_label="Sistem",
            public_actor=seeding.system_label(),
            agency_id=agency.id,
            # As the escalation job writes it (complaints.escalation): the public sees it.
            message=_escalated("penyelesaian", item.resolution_due),
            details={"deadline": "resolution", "due": item.resolution_due.isoformat()},
        )
    if resolved_at > now:
        return
    _step(
        item,
        ComplaintStatus.RESOLVED,
        at=resolved_at,
        action="resolved",
        actor_id=oid,
        actor_label=olabel,
        public_actor=opublic,
        agency_id=agency.id,
        message=rng.choice(world.final_answers[code]),
    )
    item.resolved_at = resolved_at
    rid, rlabel, rpublic = _reporter(plan.reporter, plan.anonymous)
    if plan.reporter is not None and item.reopen_count == 0 and rng.random() < 0.05:
        reopened = resolved_at + timedelta(days=rng.randint(1, 8), hours=rng.randint(1, 6))
        if reopened < now:
            item.reopen_count = 1
            item.resolved_at = None
            item.resolution_escalated_at = None
            day = reopened.astimezone(world.zone).date()
            deadline_class = DeadlineClass(plan.category["deadline_class"])
            item.resolution_due = world.calendar.add_working_days(
                day, world.deadlines[deadline_class][1]
            )
            _step(
                item,
                ComplaintStatus.IN_PROGRESS,
                at=reopened,
                action="reopened",
                actor_id=rid,
                actor_label=rlabel,
                public_actor=rpublic,
                message=rng.choice(_REOPEN_NOTES),
            )
            _resolve(world, item, plan, agency, officer, reopened)
            return
    rated_at = resolved_at + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 10))
    if plan.reporter is not None and rng.random() < 0.65 and rated_at < now:
        rating = rng.choices((1, 2, 3, 4, 5), weights=(4, 6, 20, 40, 30))[0]
        comment = rng.choice(_RATING_COMMENTS)
        item.rating, item.rating_comment, item.rated_at = rating, comment, rated_at
        _step(
            item,
            ComplaintStatus.RESOLVED,
            at=rated_at,
            action="rated",
            actor_id=rid,
            actor_label=rlabel,
            public_actor=rpublic,
            message=comment,
            details={"rating": rating},
        )


def _back_to_filed(world: _World, item: PastComplaint) -> None:
    """Undo the planned handling: the desk closed it before routing (merged, split)."""
    item.steps = item.steps[:1]
    item.resolution_due = world.filed_due[item.id]
    item.agency_id = None
    item.routed_at = item.first_responded_at = item.resolved_at = item.waiting_since = None
    item.first_response_escalated_at = item.resolution_escalated_at = None
    item.rating, item.rating_comment, item.rated_at = None, "", None
    item.reopen_count = 0


def _merge(world: _World, duplicate: PastComplaint, into: PastComplaint) -> None:
    """The desk finds ``duplicate`` is ``into`` again: closed, its followers follow ``into``."""
    did, dlabel, dpublic = _desk(world)
    at = _later(world, duplicate.filed_at, 0)
    _back_to_filed(world, duplicate)
    duplicate.merged_into_id = into.id
    _step(
        duplicate,
        ComplaintStatus.MERGED,
        at=at,
        action="merged",
        actor_id=did,
        actor_label=dlabel,
        public_actor=dpublic,
        message=into.number,
        details={"into": into.number},
    )
    # The target's history in time order: the note goes where it happened.
    before = [s for s in into.steps if s.at <= at]
    after = [s for s in into.steps if s.at > at]
    status = before[-1].to_status
    into.steps = [
        *before,
        PastStep(
            at,
            "merged_here",
            status,
            status,
            did,
            dlabel,
            dpublic,
            message=duplicate.number,
            details={"from": duplicate.number},
        ),
        *after,
    ]
    for follower in duplicate.followers:
        if follower not in into.followers:
            into.followers.append(follower)
    duplicate.followers = []


def _world(session: Session, region: Region, seed: int) -> _World | None:
    data = load_data()
    category_ids = seeding.category_ids_by_code(session, region)
    agencies = {a.slug: a for a in catalogue_repository.list_agencies(session, region.id)}
    needed = {c["agency"] for c in data["categories"] if c["agency"]} | set(_OFFICE_AGENCIES)
    if not all(c["code"] in category_ids for c in data["categories"]) or not needed <= set(
        agencies
    ):
        return None
    residents = [
        user
        for index in range(len(RESIDENTS))
        if (
            user := accounts_repository.get_user_by_email(session, region.id, resident_email(index))
        )
    ]
    officers = {
        slug: user
        for slug, email in COMPLAINT_OFFICERS.items()
        if (user := accounts_repository.get_user_by_email(session, region.id, email))
    }
    return _World(
        region=region,
        rng=random.Random(seed),  # noqa: S311 - demo data, not secrets
        zone=ZoneInfo(region.timezone),
        calendar=applications.calendar_for(session, region),
        deadlines=complaints.deadline_table(session, region),
        categories=data["categories"],
        category_ids=category_ids,
        places=data["places"],
        agencies=agencies,
        officers=officers,
        desk=accounts_repository.get_user_by_email(session, region.id, DESK_EMAIL),
        residents=residents,
        numbers=set(),
        now=datetime.now(UTC),
        texts=data["texts"],
        final_answers=data["final_answers"],
    )


#: How often each category is reported (roads, waste and drains lead, as in LAPOR! Bandung).
_WEIGHTS: Final = {
    "jalan-rusak": 16,
    "drainase": 10,
    "sampah": 13,
    "penerangan-jalan": 8,
    "parkir-liar": 6,
    "lalu-lintas": 6,
    "ketertiban": 7,
    "pohon-taman": 5,
    "adminduk": 8,
    "perizinan": 3,
    "pelayanan-petugas": 4,
    "kesehatan": 4,
    "pendidikan": 4,
    "bantuan-sosial": 4,
    "informasi-publik": 3,
    "aspirasi": 3,
}


def seed_demo_complaints(session: Session, region: Region, *, seed: int = 17) -> int:
    """Add a year of past complaints (once: none when the region has any); returns how many."""
    if seeding.has_complaints(session, region):
        return 0
    world = _world(session, region, seed)
    if world is None:
        return 0
    rng = world.rng
    categories = world.categories
    weights = [_WEIGHTS.get(c["code"], 3) for c in categories]
    past: list[PastComplaint] = []
    for _ in range(PAST_COMPLAINTS):
        # More recent months slightly busier: the city's residents found the channel.
        days_ago = min(364, int(365 * rng.random() ** 1.3))
        day = today_in(region, world.now) - timedelta(days=days_ago)
        filed_at = _local(world, day, rng.randint(6, 22), rng.randint(0, 59))
        if filed_at >= world.now:
            filed_at = world.now - timedelta(hours=rng.randint(1, 5))
        with_account = bool(world.residents) and rng.random() < 0.78
        plan = _Plan(
            category=rng.choices(categories, weights=weights)[0],
            filed_at=filed_at,
            reporter=rng.choice(world.residents) if with_account else None,
            anonymous=rng.random() < 0.10,
            confidential=rng.random() < 0.08,
            place=rng.choice(world.places),
        )
        spam = rng.random() < 0.025
        item = _complaint(world, plan, spam=spam)
        _handle(world, item, plan, spam=spam)
        past.append(item)
    past.sort(key=lambda c: c.filed_at)
    _merge_some(world, past)
    past += _split_some(world, past)
    past += _citizen_complaints(session, world)
    return seeding.add_past_complaints(session, region, past)


def _merge_some(world: _World, past: list[PastComplaint]) -> None:
    """A few complaints repeat an earlier one nearby: the desk merged them."""
    merged = 0
    for index, item in enumerate(past):
        if merged >= 8 or index < 20 or item.steps[-1].action == "rejected":
            continue
        if len(item.steps) < 2:
            continue
        for earlier in past[max(0, index - 40) : index]:
            close = (
                earlier.category_id == item.category_id
                and earlier.latitude is not None
                and item.latitude is not None
                and abs(earlier.latitude - item.latitude) < 0.006
                and abs((earlier.longitude or 0) - (item.longitude or 0)) < 0.006
                and earlier.merged_into_id is None
                and earlier.parent_id is None
                and earlier.steps[-1].to_status
                not in {ComplaintStatus.REJECTED, ComplaintStatus.MERGED}
                and item.filed_at - earlier.filed_at < timedelta(days=30)
                and (earlier.resolved_at is None or earlier.resolved_at > item.filed_at)
            )
            if close and not earlier.confidential and not item.confidential:
                _merge(world, item, earlier)
                merged += 1
                break


def _split_some(world: _World, past: list[PastComplaint]) -> list[PastComplaint]:
    """Two complaints about a road and its drain: the desk split each into two parts."""
    parts: list[PastComplaint] = []
    did, dlabel, dpublic = _desk(world)
    candidates = [
        c
        for c in past
        if c.category_id == world.category_ids["jalan-rusak"]
        and len(c.steps) >= 4
        and c.merged_into_id is None
        and not any(s.action == "merged_here" for s in c.steps)
        and world.now - c.filed_at > timedelta(days=90)
    ][:2]
    for original in candidates:
        original.description += " Selokan di pinggir jalan itu juga mampet, air meluap ke jalan."
        at = _later(world, original.filed_at, 0)
        _back_to_filed(world, original)
        for code in ("jalan-rusak", "drainase"):
            category = next(c for c in world.categories if c["code"] == code)
            child = PastComplaint(
                id=uuid.uuid4(),
                number=_number(world, at),
                kind=original.kind,
                category_id=world.category_ids[code],
                title=original.title,
                description=original.description,
                filed_at=original.filed_at,
                first_response_due=original.first_response_due,
                resolution_due=world.calendar.add_working_days(
                    original.filed_at.astimezone(world.zone).date(),
                    world.deadlines[DeadlineClass(category["deadline_class"])][1],
                ),
                steps=[
                    PastStep(
                        at,
                        "split_from",
                        None,
                        ComplaintStatus.NEW,
                        did,
                        dlabel,
                        dpublic,
                        details={"parent": original.number},
                    )
                ],
                reporter_id=original.reporter_id,
                access_code_hash=original.access_code_hash,
                anonymous=original.anonymous,
                confidential=original.confidential,
                latitude=original.latitude,
                longitude=original.longitude,
                address=original.address,
                parent_id=original.id,
                followers=list(original.followers),
            )
            reporter = next((r for r in world.residents if r.id == original.reporter_id), None)
            plan = _Plan(category, at, reporter, original.anonymous, original.confidential, {})
            _handle(world, child, plan)
            parts.append(child)
        original.followers = []
        _step(
            original,
            ComplaintStatus.SPLIT,
            at=at,
            action="split",
            actor_id=did,
            actor_label=dlabel,
            public_actor=dpublic,
            details={"parts": [p.number for p in parts[-2:]]},
        )
    return parts


def _citizen_complaints(session: Session, world: _World) -> list[PastComplaint]:
    """The demo citizen's own: one resolved last week (to rate or reopen), one in progress,
    one just routed."""
    citizen = accounts_repository.get_user_by_email(session, world.region.id, DEMO_CITIZEN)
    if citizen is None:
        return []
    dago = next((p for p in world.places if p["kelurahan"] == "Dago"), world.places[0])
    by_code = {c["code"]: c for c in world.categories}
    made = []
    for code, days_ago, stop in (
        ("jalan-rusak", 40, "resolved"),
        ("sampah", 6, "answered"),
        ("penerangan-jalan", 2, "routed"),
    ):
        day = world.calendar.next_working_day(
            today_in(world.region, world.now) - timedelta(days=days_ago)
        )
        plan = _Plan(
            by_code[code],
            _local(world, day, 7, 30),
            citizen,
            anonymous=False,
            confidential=False,
            place=dago,
        )
        item = _complaint(world, plan)
        item.followers = [citizen.id]
        _walk(world, item, plan, stop)
        made.append(item)
    return made


def _walk(world: _World, item: PastComplaint, plan: _Plan, stop: str) -> None:
    """The demo citizen's complaint up to ``stop``, each step a working day after the last."""
    did, dlabel, dpublic = _desk(world)
    slug = plan.category["agency"]
    agency = world.agencies[slug]
    oid, olabel, opublic = _officer(world, slug)
    routed = _later(world, item.filed_at, 0)
    item.agency_id, item.routed_at = agency.id, routed
    _step(
        item,
        ComplaintStatus.ROUTED,
        at=routed,
        action="routed",
        actor_id=did,
        actor_label=dlabel,
        public_actor=dpublic,
        agency_id=agency.id,
        details={"as_suggested": False, "confidence": None},
    )
    if stop == "routed":
        return
    answered = _later(world, routed, 1)
    item.first_responded_at = answered
    _step(
        item,
        ComplaintStatus.IN_PROGRESS,
        at=answered,
        action="answered",
        actor_id=oid,
        actor_label=olabel,
        public_actor=opublic,
        agency_id=agency.id,
        message=_FIRST_ANSWERS[0].format(agency=agency.short_name),
    )
    if stop == "answered":
        return
    # Resolved a few days ago: the citizen can still rate it or reopen it.
    resolved = min(_later(world, answered, 20), world.now - timedelta(days=3))
    item.resolved_at = resolved
    _step(
        item,
        ComplaintStatus.RESOLVED,
        at=resolved,
        action="resolved",
        actor_id=oid,
        actor_label=olabel,
        public_actor=opublic,
        agency_id=agency.id,
        message=world.final_answers[plan.category["code"]][0],
    )


#: Demo only: the Open311 API key of the demo region, published in the README.
DEMO_OPEN311_KEY: Final = "demo-open311-kota-bandung-0001"


def seed_demo_open311_key(session: Session, region: Region) -> bool:
    """Issue the demo's published Open311 key once; True when it was issued now."""
    try:
        complaints.issue_open311_key(
            session, region, "Aplikasi demo (Open311)", "demo", key=DEMO_OPEN311_KEY
        )
    except InvalidInput:  # issued by an earlier seed (the check runs before anything is written)
        return False
    return True

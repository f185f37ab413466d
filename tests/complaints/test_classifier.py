"""The routing suggestion learns from the region's own routed complaints (decision 0056)."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Agency, Service
from simpul.catalogue.service import get_agency
from simpul.complaints import classifier
from simpul.complaints import service as complaints
from simpul.complaints.models import ComplaintCategory, DeadlineClass
from tests.complaints.conftest import ComplaintWorld, pothole_filing
from tests.factories import add_agency, service_seed

START = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)

# What citizens of an Indonesian city write, per agency: subjects, places, how long, asks.
_PLACES = [
    "Jalan Dago",
    "Jalan Cihampelas",
    "Jalan Soekarno-Hatta",
    "Kelurahan Sukajadi",
    "Kecamatan Coblong",
    "Gang Haji Umar",
    "RW 05 Kelurahan Cikutra",
    "depan Pasar Kosambi",
    "dekat SDN 3 Cicadas",
    "Jalan Pasteur",
    "Komplek Margahayu",
    "Jalan Buah Batu",
]
_SINCE = [
    "sudah dua minggu",
    "sejak bulan lalu",
    "sudah tiga hari",
    "dari minggu kemarin",
    "hampir sebulan",
    "sejak hujan deras kemarin",
]
_ASKS = [
    "Mohon segera ditindaklanjuti.",
    "Tolong diperbaiki secepatnya.",
    "Warga sangat berharap ada tindakan.",
    "Kami mohon perhatian dinas terkait.",
    "Sudah dilaporkan ke RT tapi belum ada tindakan.",
    "",
]
_TOPICS: dict[str, dict[str, list[str]]] = {
    "roads": {
        "jalan-rusak": [
            "Jalan berlubang besar dan aspal mengelupas, motor sering jatuh",
            "Aspal jalan rusak parah dan banyak lubang yang tergenang air",
            "Jembatan kecil retak dan pagar pengamannya patah",
            "Trotoar ambles dan paving blok lepas sehingga pejalan kaki terganggu",
            "Selokan tersumbat sehingga jalan banjir setiap hujan",
            "Tambalan jalan bekas galian kabel tidak rata dan berlubang lagi",
            "Gorong-gorong ambrol dan drainase meluap ke jalan",
        ]
    },
    "waste": {
        "sampah": [
            "Sampah menumpuk di TPS dan tidak diangkut truk sampah",
            "Tumpukan sampah rumah tangga berbau busuk dan banyak lalat",
            "Warga membakar sampah plastik sehingga asapnya mengganggu pernapasan",
            "Truk pengangkut sampah tidak datang dan tong sampah penuh",
            "Sampah dibuang sembarangan ke sungai sehingga airnya kotor dan bau",
            "Bank sampah tutup dan sampah organik membusuk di pinggir jalan",
        ]
    },
    "transport": {
        "lalu-lintas": [
            "Lampu lalu lintas di perempatan mati dan kendaraan saling serobot",
            "Parkir liar di bahu jalan menyebabkan kemacetan panjang",
            "Angkot ngetem sembarangan dan menghalangi arus kendaraan",
            "Rambu lalu lintas hilang sehingga pengendara salah arah",
            "Juru parkir liar memungut tarif parkir terlalu mahal",
            "Halte bus rusak dan marka penyeberangan zebra cross pudar",
        ]
    },
    "civil": {
        "adminduk": [
            "KTP elektronik belum jadi padahal sudah rekam data berbulan-bulan",
            "Pembuatan akta kelahiran anak dipersulit dan berkas diminta berulang",
            "Kartu keluarga salah cetak nama dan perbaikannya lama sekali",
            "Antrean di kantor disdukcapil sangat panjang dan blangko KTP habis",
            "Pindah domisili tidak diproses dan surat pindah belum terbit",
        ],
        "pelayanan-petugas": [
            "Petugas loket kependudukan meminta uang tambahan untuk mempercepat KTP",
            "Petugas pencatatan sipil bersikap kasar saat warga menanyakan akta",
        ],
    },
    "health": {
        "kesehatan": [
            "Puskesmas kehabisan obat dan pasien disuruh membeli sendiri",
            "Antrean pasien BPJS di puskesmas sangat lama dan dokter datang terlambat",
            "Banyak warga terkena demam berdarah dan belum ada pengasapan fogging",
            "Posyandu tidak buka dan imunisasi balita tertunda",
            "Ambulans puskesmas tidak bisa dihubungi saat warga sakit darurat",
        ],
        "pelayanan-petugas": [
            "Perawat puskesmas membentak pasien lansia yang bertanya",
            "Petugas puskesmas meminta biaya padahal pasien peserta BPJS",
        ],
    },
}


@dataclass
class History:
    world: ComplaintWorld
    agencies: dict[str, Agency]
    categories: dict[str, ComplaintCategory]


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    classifier.forget_models()
    yield
    classifier.forget_models()


def _category(session: Session, world: ComplaintWorld, code: str, name: str) -> ComplaintCategory:
    return complaints.create_category(
        session,
        world.region,
        code=code,
        name=name,
        name_en=name,
        group_name="Layanan",
        deadline_class=DeadlineClass.NO_FIELD_CHECK,
        needs_location=False,
    )


def _text(rng: random.Random, sentence: str) -> tuple[str, str]:
    place = rng.choice(_PLACES)
    title = f"{re.split(' dan | sehingga ', sentence, maxsplit=1)[0][:80]} di {place}"
    description = f"{sentence} di {place}, {rng.choice(_SINCE)}. {rng.choice(_ASKS)}".strip()
    return title[:150], description


def build_history(
    session: Session, world: ComplaintWorld, count: int = 200, seed: int = 7
) -> History:
    """``count`` complaints filed over a year and routed by the desk to five agencies (one in
    twenty routed "wrongly" to a random agency, as real desks do)."""
    region = world.region
    for slug, name in (
        ("dishub-uji", "Dinas Perhubungan Uji"),
        ("disdukcapil-uji", "Disdukcapil Uji"),
        ("dinkes-uji", "Dinas Kesehatan Uji"),
    ):
        add_agency(session, region, slug, name, [service_seed(f"{region.slug}-{slug}", name)])
    agencies = {
        "roads": world.roads,
        "waste": world.waste,
        "transport": get_agency(session, region, "dishub-uji"),
        "civil": get_agency(session, region, "disdukcapil-uji"),
        "health": get_agency(session, region, "dinkes-uji"),
    }
    categories = {
        "jalan-rusak": world.pothole,
        "sampah": world.garbage,
        "pelayanan-petugas": world.rude,
        "lalu-lintas": _category(session, world, "lalu-lintas", "Lalu lintas dan parkir"),
        "adminduk": _category(session, world, "adminduk", "Administrasi kependudukan"),
        "kesehatan": _category(session, world, "kesehatan", "Layanan kesehatan"),
    }
    rng = random.Random(seed)
    # Roads and waste get most complaints, as in a real city.
    weights = {"roads": 5, "waste": 4, "transport": 3, "civil": 2, "health": 2}
    keys = list(weights)
    filed = []
    for i in range(count):
        agency_key = rng.choices(keys, [weights[k] for k in keys])[0]
        category_code = rng.choice(
            [c for c, sentences in _TOPICS[agency_key].items() for _s in sentences]
        )
        title, description = _text(rng, rng.choice(_TOPICS[agency_key][category_code]))
        moment = START + timedelta(hours=i * 43 + rng.randint(0, 12))
        filing = complaints.Filing(
            kind="complaint",
            category=category_code,
            title=title,
            description=description,
            latitude=-6.9 + rng.random() / 20,
            longitude=107.6 + rng.random() / 20,
        )
        complaint = complaints.file_complaint(
            session, region, filing, reporter=None, now=moment
        ).complaint
        target = (
            agencies[agency_key] if rng.random() > 0.05 else rng.choice(list(agencies.values()))
        )
        filed.append((complaint, target, moment))
    # Routed after all are filed: filing with a growing history would train 200 times.
    for complaint, target, moment in filed:
        complaints.route(
            session, region, world.desk, complaint, target.id, now=moment + timedelta(hours=3)
        )
    return History(world, agencies, categories)


def test_held_out_accuracy_beats_the_majority_baseline_by_far(
    session: Session, world: ComplaintWorld
) -> None:
    build_history(session, world)
    report = complaints.evaluate_routing(session, world.region, test_fraction=0.2)
    assert report.train_size + report.test_size == 200
    assert 35 <= report.test_size <= 45
    assert report.agency_baseline < 0.45
    assert report.agency_accuracy >= report.agency_baseline + 0.35
    assert report.agency_top2 >= report.agency_accuracy
    assert report.category_accuracy >= report.category_baseline + 0.3
    assert {score.name for score in report.per_agency} >= {"Dinas Kesehatan Uji"}
    assert all(0 <= s.precision <= 1 and 0 <= s.recall <= 1 for s in report.per_agency)


def test_a_clear_pothole_goes_to_the_roads_agency_with_its_highest_confidence(
    session: Session, world: ComplaintWorld
) -> None:
    history = build_history(session, world)
    suggestion = complaints.suggest(
        session, world.region, "Jalan berlubang, aspal rusak di depan rumah kami"
    )
    assert suggestion is not None
    assert suggestion.agency_id == world.roads.id
    assert suggestion.category_id == history.categories["jalan-rusak"].id
    assert suggestion.agency_confidence >= classifier.CONFIDENCE_FLOOR
    model = classifier.model_for(session, world.region)
    assert model is not None
    others = complaints.suggest(
        session, world.region, "KTP elektronik belum jadi dan blangko habis"
    )
    assert others is not None and others.agency_id == history.agencies["civil"].id
    # Words the region never used: no suggestion rather than a guess.
    assert complaints.suggest(session, world.region, "xyzzy qwerty") is None


def test_too_little_history_gives_no_suggestion(session: Session, world: ComplaintWorld) -> None:
    build_history(session, world, count=20)
    assert complaints.suggest(session, world.region, "Jalan berlubang dan aspal rusak") is None
    filed = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    assert filed.suggested_agency_id is None and filed.suggestion_confidence is None


def test_one_agency_in_the_history_gives_no_suggestion(
    session: Session, world: ComplaintWorld
) -> None:
    for i in range(35):
        complaint = complaints.file_complaint(
            session,
            world.region,
            pothole_filing(title=f"Lubang nomor {i} di Jalan Dago"),
            reporter=None,
            now=START + timedelta(days=i),
        ).complaint
        complaints.route(session, world.region, world.desk, complaint, world.roads.id)
    assert complaints.suggest(session, world.region, "Jalan berlubang di Dago") is None


def test_filing_stores_the_suggestion_for_the_desk(session: Session, world: ComplaintWorld) -> None:
    history = build_history(session, world)
    classifier.model_for(session, world.region)  # the region's model is trained
    complaint = complaints.file_complaint(
        session,
        world.region,
        complaints.Filing(
            kind="complaint",
            category="sampah",
            title="Sampah tidak diangkut",
            description="Sampah menumpuk di TPS Jalan Dago dan baunya busuk, truk tidak datang.",
            address="Jalan Dago 10",
        ),
        reporter=world.citizen,
    ).complaint
    session.refresh(complaint)
    assert complaint.suggested_agency_id == world.waste.id
    assert complaint.suggested_category_id == history.categories["sampah"].id
    assert complaint.suggestion_confidence is not None
    assert complaint.suggestion_confidence >= classifier.CONFIDENCE_FLOOR
    # Routing as suggested is recorded in the history (the desk accepted it).
    complaints.route(session, world.region, world.desk, complaint, world.waste.id)
    routed = [
        e
        for e in complaints.history(session, world.region, complaint, public_only=False)
        if e.action == "routed"
    ]
    assert routed[-1].details["as_suggested"] is True


def test_a_complaint_about_an_application_suggests_its_services_agency_with_full_confidence(
    session: Session, world: ComplaintWorld
) -> None:
    build_history(session, world)
    service = session.scalars(
        select(Service).where(
            Service.region_id == world.region.id, Service.slug == "kota-aduan-sampah"
        )
    ).one()
    application = Application(
        region_id=world.region.id,
        service_id=service.id,
        applicant_id=world.citizen.id,
        tracking_number=uuid.uuid4().hex[:12].upper(),
        status=ApplicationStatus.SUBMITTED,
        submitted_at=START,
        due_date=date(2025, 9, 10),
        data={"nama": "Warga Uji"},
    )
    session.add(application)
    session.flush()
    # The text speaks of roads; the application says who answers.
    complaint = complaints.file_complaint(
        session,
        world.region,
        pothole_filing(application_id=application.id, category="pelayanan-petugas"),
        reporter=world.citizen,
    ).complaint
    session.refresh(complaint)
    assert complaint.suggested_agency_id == world.waste.id
    assert complaint.suggestion_confidence == 1.0


def test_a_text_the_classifier_cannot_read_never_stops_a_filing(
    session: Session, world: ComplaintWorld
) -> None:
    build_history(session, world, count=60)
    # Only digits, stop words and punctuation: nothing left to classify.
    complaint = complaints.file_complaint(
        session,
        world.region,
        pothole_filing(title="!!! ??? 123", description="yang dan di ke dari 12345 ... !!! ???"),
        reporter=world.citizen,
    ).complaint
    session.refresh(complaint)
    assert complaint.number.startswith("ADU-")
    assert complaint.suggested_agency_id is None and complaint.suggestion_confidence is None


def test_the_cli_prints_the_evaluation_as_a_table(
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    session: Session,
    world: ComplaintWorld,
) -> None:
    build_history(session, world)
    session.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    result = CliRunner().invoke(
        cli.app, ["complaints", "evaluate-routing", "--region", "kota-aduan"]
    )
    assert result.exit_code == 0, result.output
    assert "dilatih pada 160 pengaduan, diuji pada 40 terbaru" in result.stdout
    assert "Pembanding: selalu instansi terbanyak" in result.stdout
    assert "Dinas Perhubungan Uji" in result.stdout


def test_filing_never_waits_for_training_and_the_desk_fills_the_suggestion_in(
    session: Session, world: ComplaintWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A citizen's filing does not train the model in their request: the complaint is
    filed without a suggestion, and the desk's first look computes it."""
    build_history(session, world)
    classifier.forget_models()
    started: list[str] = []
    # The background training is held (never run) until the filing is done.
    monkeypatch.setattr(classifier, "_fit_in_background", lambda *a: started.append("training"))
    try:
        complaint = complaints.file_complaint(
            session,
            world.region,
            complaints.Filing(
                kind="complaint",
                category="sampah",
                title="Sampah tidak diangkut",
                description="Sampah menumpuk di TPS Jalan Dago, truk tidak datang.",
                address="Jalan Dago 10",
            ),
            reporter=world.citizen,
        ).complaint
    finally:
        classifier.forget_models()
    assert started == ["training"]  # handed to the background, not done in the request
    assert complaint.suggested_agency_id is None and complaint.suggestion_confidence is None
    complaints.suggest_if_missing(session, world.region, complaint)
    assert complaint.suggested_agency_id == world.waste.id

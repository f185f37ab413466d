"""The respondent's profile on the survey and in the report, the agency's review of the
suggestions, and the public IKM pages of a region and of a service."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.evaluation.surveys import report
from simpul.evaluation.surveys.masking import mask_personal_text
from simpul.evaluation.surveys.models import SurveyResponse
from simpul.evaluation.surveys.service import parse_survey_form
from tests.evaluation.surveys.conftest import World, application, log_in, rate, responses_of
from tests.factories import csrf_from

ANSWERS = {f"u{n}": "3" for n in range(1, 10)}
IN_S1 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
IN_S2 = datetime(2026, 8, 3, 3, 0, tzinfo=UTC)


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    token = csrf_from(client.get("/kota-uji/masuk").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _rated(
    session: Session,
    world: World,
    answers: tuple[int, ...],
    *,
    suggestion: str = "",
    finished_at: datetime = IN_S1,
    **profile: str,
) -> SurveyResponse:
    response = rate(session, application(session, world.ktp, world.citizen, finished_at), answers)
    response.suggestion = suggestion
    for column, value in profile.items():
        setattr(response, column, value)
    session.flush()
    return response


def test_profile_answers_are_optional_and_must_come_from_their_lists() -> None:
    empty = parse_survey_form(ANSWERS)
    assert empty.answers is not None
    assert empty.profile == {
        "gender": None,
        "age_group": None,
        "education": None,
        "occupation": None,
    }
    full = parse_survey_form(
        {
            **ANSWERS,
            "jenis_kelamin": "perempuan",
            "usia": "30_39",
            "pendidikan": "d4_s1",
            "pekerjaan": "wirausaha",
        }
    )
    assert full.profile == {
        "gender": "perempuan",
        "age_group": "30_39",
        "education": "d4_s1",
        "occupation": "wirausaha",
    }
    wrong = parse_survey_form({**ANSWERS, "pendidikan": "S4", "pekerjaan": "presiden"})
    assert wrong.answers is None
    assert set(wrong.errors) == {"pendidikan", "pekerjaan"}
    assert "Pendidikan terakhir" in wrong.errors["pendidikan"]


def test_the_survey_stores_the_profile_and_shows_a_focused_error_summary(
    client: TestClient, session: Session, world: World
) -> None:
    item = application(session, world.ktp, world.citizen)
    session.commit()
    log_in(client, session, world.region, "warga@example.org")
    form = client.get(f"/kota-uji/permohonan/{item.id}/survei").text
    for field in ("jenis_kelamin", "usia", "pendidikan", "pekerjaan"):
        assert f'id="f-{field}" name="{field}"' in form
    assert ">D4/S1</option>" in form and ">POLRI</option>" in form

    wrong = _post(
        client,
        f"/kota-uji/permohonan/{item.id}/survei",
        {**ANSWERS, "u4": "", "pekerjaan": "presiden", "pendidikan": "sma"},
    )
    assert wrong.status_code == 422
    summary = wrong.text.split('id="ringkasan-galat"')[1].split("</div>")[0]
    assert "data-error-summary" in wrong.text
    assert 'href="#f-u4"' in summary and 'href="#f-pekerjaan"' in summary
    assert 'id="f-u4" name="u4" type="radio" value="1"' in wrong.text
    assert '<option value="sma" selected>' in wrong.text
    assert responses_of(session, world.region) == 0

    sent = _post(
        client,
        f"/kota-uji/permohonan/{item.id}/survei",
        {**ANSWERS, "jenis_kelamin": "laki_laki", "usia": "lt20", "pendidikan": "sma"},
    )
    assert sent.status_code == 303
    stored = session.scalars(
        select(SurveyResponse).where(SurveyResponse.application_id == item.id)
    ).one()
    assert (stored.gender, stored.age_group, stored.education, stored.occupation) == (
        "laki_laki",
        "lt20",
        "sma",
        None,
    )


def test_the_report_shows_each_profile_group_and_hides_the_ikm_of_small_groups(
    client: TestClient, session: Session, world: World
) -> None:
    for _ in range(5):
        _rated(session, world, (4,) * 9, gender="perempuan", occupation="pns")
    for _ in range(2):
        _rated(session, world, (2,) * 9, gender="laki_laki", occupation="pns")
    _rated(session, world, (3,) * 9)
    session.commit()
    log_in(client, session, world.region, "admin@example.org", AccountKind.REGION_ADMIN)
    page = client.get("/kota-uji/admin/ikm?tahun=2026")
    assert page.status_code == 200
    tables = page.text.split('id="profil"')[1]
    gender = tables.split("<caption>Jenis kelamin</caption>")[1].split("</table>")[0]
    women = gender.split("Perempuan</th>")[1].split("</tr>")[0]
    assert "<td>5</td>" in women and "100,00 · A" in women
    men = gender.split("Laki-laki</th>")[1].split("</tr>")[0]
    assert "<td>2</td>" in men and "terlalu sedikit responden" in men and "50,00" not in men
    assert "<td>1</td>" in gender.split("Tidak diisi</th>")[1].split("</tr>")[0]
    work = tables.split("<caption>Pekerjaan utama</caption>")[1].split("</table>")[0]
    # Seven civil servants: 5 x 100 and 2 x 50 -> IKM 85.71 (B).
    assert "85,71 · B" in work.split("PNS</th>")[1].split("</tr>")[0]


def test_personal_data_in_free_text_is_masked() -> None:
    text = (
        "NIK saya 3273011505900002, hubungi 0812-3456-7890 atau +62 812 3456 7890, "
        "e-mail budi.santoso@mail.co.id, paspor 123456789. Antre 2 jam di loket 3 tahun 2026."
    )
    masked = mask_personal_text(text)
    for secret in ("3273011505900002", "3456-7890", "812 3456", "budi.santoso", "123456789"):
        assert secret not in masked
    assert "3273••••••••0002" in masked and "@mail.co.id" in masked
    assert "Antre 2 jam di loket 3 tahun 2026." in masked
    assert mask_personal_text("NIK 3273 0115 0590 0002") == "NIK 3273••••••••0002"


def test_agency_reviews_answers_and_publishes_a_suggestion(
    client: TestClient, session: Session, world: World
) -> None:
    noisy = _rated(
        session,
        world,
        (3,) * 9,
        suggestion="Loket lambat. Telp saya 081234567890, NIK 3273011505900002.",
    )
    quiet = _rated(session, world, (4,) * 9, suggestion="Petugas ramah.")
    _rated(session, world, (4,) * 9)  # no suggestion: not in the list
    session.commit()
    log_in(
        client,
        session,
        world.region,
        "opd-uji@example.org",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    listing = client.get("/kota-uji/admin/ikm/saran")
    assert listing.status_code == 200
    assert "Loket lambat" in listing.text and "Petugas ramah." in listing.text
    assert listing.text.count('class="panel" id="saran-') == 2

    # Publishing needs a reply: the form comes back with the error linked to the field.
    refused = _post(client, f"/kota-uji/admin/ikm/saran/{noisy.id}", {"terbitkan": "1"})
    assert refused.status_code == 422
    assert f'href="#f-jawaban-{noisy.id}"' in refused.text
    assert "Tulis jawaban sebelum menerbitkan saran ini." in refused.text
    session.refresh(noisy)
    assert noisy.reviewed_at is None and not noisy.published

    done = _post(
        client,
        f"/kota-uji/admin/ikm/saran/{noisy.id}?status=baru",
        {"jawaban": "Kami menambah satu loket mulai Juli.", "terbitkan": "1"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/kota-uji/admin/ikm/saran?status=baru&pesan=saran-terbit"
    reviewed_only = _post(client, f"/kota-uji/admin/ikm/saran/{quiet.id}", {"jawaban": ""})
    assert reviewed_only.status_code == 303
    session.refresh(noisy)
    session.refresh(quiet)
    assert noisy.published and noisy.reviewed_at is not None and noisy.public_suggestion
    assert "081234567890" not in noisy.public_suggestion
    assert quiet.reviewed_at is not None and not quiet.published

    assert "Loket lambat" not in client.get("/kota-uji/admin/ikm/saran").text  # new only
    assert "Loket lambat" in client.get("/kota-uji/admin/ikm/saran?status=ditinjau").text

    client.cookies.clear()
    public = client.get("/kota-uji/layanan/ktp-uji/ikm?periode=2026-s1")
    assert public.status_code == 200
    assert "Kami menambah satu loket mulai Juli." in public.text
    assert "Loket lambat. Telp saya 0812" in public.text
    assert "081234567890" not in public.text and "3273011505900002" not in public.text
    assert "Petugas ramah." not in public.text  # reviewed, not published


def test_public_pages_show_the_ikm_of_a_period_without_login(
    client: TestClient, session: Session, world: World
) -> None:
    _rated(session, world, (4, 3, 3, 4, 3, 3, 4, 3, 3))
    _rated(session, world, (3, 3, 2, 4, 3, 4, 4, 3, 3))
    _rated(session, world, (4, 4, 3, 4, 4, 4, 4, 3, 2))
    _rated(session, world, (1,) * 9, finished_at=IN_S2)
    rate(session, application(session, world.foreign, world.foreign_citizen, IN_S1), (4,) * 9)
    session.commit()

    semester = client.get("/kota-uji/layanan/ktp-uji/ikm?periode=2026-s1")
    assert semester.status_code == 200
    text = semester.text
    summary = text.split('id="ringkasan"')[1].split("</ul>")[0]
    assert "84,26" in summary and ">B<" in summary and "Baik" in summary
    assert '<span class="number">3</span> responden' in summary
    assert "Semester I (Januari-Juni) 2026" in text
    units = text.split('id="per-unsur"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr><th scope=\"row\">U\d", units)) == 9
    assert "U3 Waktu penyelesaian</th><td>2,67" in units
    assert text.count("<rect ") == 9

    year = client.get("/kota-uji/layanan/ktp-uji/ikm?periode=2026")
    assert '<span class="number">4</span> responden' in year.text

    region = client.get("/kota-uji/ikm?periode=2026-S1")
    assert region.status_code == 200
    listed = region.text.split('id="ikm-layanan"')[1].split("</table>")[0]
    assert 'href="/kota-uji/layanan/ktp-uji/ikm?periode=2026-s1"' in listed
    assert "84,26" in listed
    assert "Layanan Khas Kabupaten Lain" not in region.text

    bad = client.get("/kota-uji/ikm?periode=2026-s3")
    assert bad.status_code == 422
    assert "Periode tidak dikenali" in bad.text and 'href="#f-periode"' in bad.text
    assert client.get("/kota-uji/layanan/tidak-ada/ikm").status_code == 404
    assert client.get("/kota-uji/layanan/kab-lain-layanan/ikm").status_code == 404
    empty = client.get("/kota-uji/layanan/izin-usaha/ikm?periode=2025")
    assert empty.status_code == 200 and "Belum ada responden pada periode ini." in empty.text


def test_an_agency_admin_sees_the_profile_of_their_own_agencys_respondents_only(
    session: Session, world: World
) -> None:
    for _ in range(5):
        _rated(session, world, (4,) * 9, gender="perempuan")
    izin = rate(session, application(session, world.izin, world.neighbour, IN_S1), (2,) * 9)
    izin.gender = "perempuan"
    session.flush()
    region = world.region
    everyone = report.profile_tables(session, region, report.Period(2026))
    own = report.profile_tables(session, region, report.Period(2026), {world.izin.agency_id})

    def women(tables: list[report.ProfileTable]) -> report.ProfileGroup:
        return next(g for g in tables[0].groups if g.label == "Perempuan")

    assert women(everyone).respondents == 6 and women(everyone).result is not None
    assert women(own).respondents == 1 and women(own).result is None and women(own).too_few
    # Another period holds none of them.
    assert women(report.profile_tables(session, region, report.Period(2026, "s2"))).respondents == 0

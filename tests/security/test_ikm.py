"""Attacks on the IKM survey and its publication: answering another agency's (or region's)
suggestions, publishing a suggestion with personal data in it, rating twice, profile answers
outside their lists, script in a suggestion, a review without its CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.evaluation.surveys.models import SurveyResponse
from tests.evaluation.surveys.conftest import (  # noqa: F401 - fixture, found by name
    World,
    application,
    log_in,
    rate,
    responses_of,
    world,
)
from tests.factories import csrf_from

ANSWERS = {f"u{n}": "3" for n in range(1, 10)}
IN_2026 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
NIK = "3273011505900002"
PHONE = "0812-3456-7890"
EMAIL = "siti.rahma@contoh.id"


def _post(client: TestClient, region: str, path: str, data: dict[str, str]) -> Any:
    token = csrf_from(client.get(f"/{region}/masuk").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _suggestion(session: Session, place: World, text: str) -> SurveyResponse:
    response = rate(session, application(session, place.ktp, place.citizen, IN_2026), (3,) * 9)
    response.suggestion = text
    session.commit()
    return response


def _untouched(session: Session, response: SurveyResponse) -> bool:
    session.refresh(response)
    return response.reviewed_at is None and not response.published and response.reply == ""


def test_another_agencys_admin_cannot_read_or_answer_a_suggestion(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811 - the fixture imported above
) -> None:
    target = _suggestion(session, world, "Saran untuk Dinas Uji.")
    log_in(
        client,
        session,
        world.region,
        "opd-izin@example.org",
        AccountKind.STAFF,
        roles=[("dinas-izin", StaffRoleName.ADMIN_OPD)],
    )
    for status in ("baru", "ditinjau", "semua"):
        assert (
            "Saran untuk Dinas Uji."
            not in client.get(f"/kota-uji/admin/ikm/saran?status={status}").text
        )
    answer = {"jawaban": "Bukan urusan kami.", "terbitkan": "1"}
    refused = _post(client, "kota-uji", f"/kota-uji/admin/ikm/saran/{target.id}", answer)
    assert refused.status_code == 404
    assert _untouched(session, target)

    # An officer of the right agency without the admin OPD role is refused too.
    client.cookies.clear()
    log_in(
        client,
        session,
        world.region,
        "verif-uji@example.org",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    assert client.get("/kota-uji/admin/ikm/saran").status_code == 403
    refused = _post(client, "kota-uji", f"/kota-uji/admin/ikm/saran/{target.id}", answer)
    assert refused.status_code == 403
    assert _untouched(session, target)

    # A citizen (the respondent included) cannot either.
    client.cookies.clear()
    log_in(client, session, world.region, "warga@example.org")
    refused = _post(client, "kota-uji", f"/kota-uji/admin/ikm/saran/{target.id}", answer)
    assert refused.status_code in (401, 403)
    assert _untouched(session, target)


def test_another_regions_admin_cannot_answer_through_their_own_region(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811
) -> None:
    target = _suggestion(session, world, "Saran di Kota Uji.")
    log_in(client, session, world.other, "admin-lain@example.org", AccountKind.REGION_ADMIN)
    answer = {"jawaban": "Dijawab dari wilayah lain.", "terbitkan": "1"}
    refused = _post(client, "kab-lain", f"/kab-lain/admin/ikm/saran/{target.id}", answer)
    assert refused.status_code == 404
    assert "Saran di Kota Uji." not in client.get("/kab-lain/admin/ikm/saran?status=semua").text
    # Their session is not valid in the other region's back office.
    assert _post(
        client, "kab-lain", f"/kota-uji/admin/ikm/saran/{target.id}", answer
    ).status_code in (
        401,
        403,
    )
    assert _untouched(session, target)


def test_a_review_without_its_csrf_token_changes_nothing(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811
) -> None:
    target = _suggestion(session, world, "Tolong tambah kursi.")
    log_in(client, session, world.region, "admin@example.org", AccountKind.REGION_ADMIN)
    refused = client.post(
        f"/kota-uji/admin/ikm/saran/{target.id}",
        data={"jawaban": "Siap.", "terbitkan": "1"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert _untouched(session, target)


def test_personal_data_in_a_published_suggestion_never_reaches_the_public_page(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811
) -> None:
    target = _suggestion(
        session,
        world,
        f"Saya {NIK}, telepon {PHONE}, surel {EMAIL}. <script>alert(1)</script> Loket sempit.",
    )
    log_in(client, session, world.region, "admin@example.org", AccountKind.REGION_ADMIN)
    published = _post(
        client,
        "kota-uji",
        f"/kota-uji/admin/ikm/saran/{target.id}",
        {
            "jawaban": f"Silakan hubungi kami; nomor Anda {PHONE} sudah kami catat.",
            "terbitkan": "1",
        },
    )
    assert published.status_code == 303
    client.cookies.clear()
    page = client.get("/kota-uji/layanan/ktp-uji/ikm?periode=2026").text
    assert "Loket sempit." in page
    for secret in (NIK, PHONE, "3456-7890", "siti.rahma", "<script>alert(1)</script>"):
        assert secret not in page
    assert "&lt;script&gt;" in page

    # Even a row flagged published by hand shows only its masked copy, never the raw text.
    raw = _suggestion(session, world, f"NIK saya {NIK} tolong dicek.")
    raw.reviewed_at = IN_2026
    raw.published = True
    session.commit()
    page = client.get("/kota-uji/layanan/ktp-uji/ikm?periode=2026").text
    assert NIK not in page and "tolong dicek" not in page


def test_a_survey_sent_twice_counts_once_and_keeps_the_first_answers(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811
) -> None:
    item = application(session, world.ktp, world.citizen, IN_2026)
    session.commit()
    log_in(client, session, world.region, "warga@example.org")
    path = f"/kota-uji/permohonan/{item.id}/survei"
    token = csrf_from(client.get(path).text)
    first = client.post(
        path, data={**ANSWERS, "u1": "4", "csrf_token": token}, follow_redirects=False
    )
    again = client.post(
        path,
        data={**ANSWERS, "u1": "1", "jenis_kelamin": "perempuan", "csrf_token": token},
        follow_redirects=False,
    )
    assert first.status_code == again.status_code == 303
    assert responses_of(session, world.region) == 1
    stored = session.scalars(
        select(SurveyResponse).where(SurveyResponse.application_id == item.id)
    ).one()
    assert stored.u1 == 4 and stored.gender is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("jenis_kelamin", "lainnya"),
        ("usia", "-1"),
        ("pendidikan", "S4"),
        ("pekerjaan", "'; drop table survey_response; --"),
        ("pekerjaan", "PNS"),  # the label, not the key
    ],
)
def test_profile_answers_outside_their_lists_are_refused(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811
    field: str,
    value: str,
) -> None:
    item = application(session, world.ktp, world.citizen, IN_2026)
    session.commit()
    log_in(client, session, world.region, "warga@example.org")
    refused = _post(
        client, "kota-uji", f"/kota-uji/permohonan/{item.id}/survei", {**ANSWERS, field: value}
    )
    assert refused.status_code == 422
    assert f'href="#f-{field}"' in refused.text
    assert responses_of(session, world.region) == 0


def _flush_with(session: Session, response: SurveyResponse, column: str, *, value: object) -> None:
    setattr(response, column, value)
    session.flush()


def test_the_database_refuses_a_profile_value_outside_its_list(
    session: Session,
    world: World,  # noqa: F811
) -> None:
    response = rate(session, application(session, world.ktp, world.citizen, IN_2026), (3,) * 9)
    session.commit()
    for column in ("gender", "age_group", "education", "occupation"):
        with pytest.raises(IntegrityError), session.begin_nested():
            _flush_with(session, response, column, value="x")
        session.refresh(response)
    published_unreviewed = rate(
        session, application(session, world.ktp, world.citizen, IN_2026), (3,) * 9
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        _flush_with(session, published_unreviewed, "published", value=True)
    assert (
        session.scalar(
            select(func.count()).where(
                SurveyResponse.region_id == world.region.id, SurveyResponse.published.is_(True)
            )
        )
        == 0
    )

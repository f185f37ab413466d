"""Attacks on public tracking, the receipt and cancellation (issue 16, decision 0051):
telling which numbers exist, guessing the four NIK digits, another region's number,
cancelling someone else's application, a forged cancel form, and a citizen cancelling while an
officer claims the same application."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import User
from simpul.applications import repository, submission, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Task,
    TaskStatus,
)
from simpul.applications.tracking import service as tracking
from simpul.core.errors import Conflict, DomainError
from simpul.core.models import Region
from tests.applications.conftest import World
from tests.applications.conftest import world as world  # noqa: PLC0414 - the fixture
from tests.applications.desk_world import make_desk
from tests.applications.test_tracking import LAST4, log_in, lookup, submitted
from tests.factories import csrf_from, make_region, make_user, post_form, service_seed


@pytest.fixture
def web(client: TestClient, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    return client


def _comparable(html: str, *numbers: str) -> str:
    for number in numbers:
        html = html.replace(number, "NOMOR")
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_an_unknown_number_and_a_wrong_check_get_the_same_answer(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    known = application.tracking_number
    unknown = "2611-ZZZZ-ZZZZ" if known != "2611-ZZZZ-ZZZZ" else "2611-YYYY-YYYY"
    wrong_check = lookup(web, known, nik4="9999")
    no_such_number = lookup(web, unknown, nik4="9999")
    assert wrong_check.status_code == no_such_number.status_code == 404  # type: ignore[attr-defined]
    assert _comparable(wrong_check.text, known) == _comparable(no_such_number.text, unknown)  # type: ignore[attr-defined]
    assert "Perizinan Uji" not in wrong_check.text  # type: ignore[attr-defined]
    # The right check opens it: the test above compares two refusals, not two pages alike.
    assert lookup(web, known, nik4=LAST4).status_code == 200  # type: ignore[attr-defined]


@pytest.mark.usefixtures("still_limits")
def test_guessing_the_four_digits_is_throttled_per_address_and_per_number(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    number = application.tracking_number
    guesses = [f"{n:04d}" for n in range(2, 2 + tracking.LOOKUPS_PER_MINUTE_PER_SOURCE)]
    for guess in guesses:
        assert lookup(web, number, nik4=guess).status_code == 404  # type: ignore[attr-defined]
    stopped = lookup(web, number, nik4=LAST4)  # even the right digits, once spent
    assert stopped.status_code == 429  # type: ignore[attr-defined]
    assert int(stopped.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    assert "Terlalu banyak percobaan pelacakan" in stopped.text  # type: ignore[attr-defined]
    assert "Perizinan Uji" not in stopped.text  # type: ignore[attr-defined]
    # From another address the number is still closed (its own allowance is spent) ...
    elsewhere = TestClient(web.app, client=("198.51.100.7", 40000), raise_server_exceptions=False)
    assert lookup(elsewhere, number, nik4=LAST4).status_code == 429  # type: ignore[attr-defined]
    # ... while another number is open to that address (404: looked up, not refused).
    assert lookup(elsewhere, "2611-ZZZZ-ZZZY", nik4="1234").status_code == 404  # type: ignore[attr-defined]


@pytest.mark.usefixtures("still_limits")
def test_one_address_trying_many_numbers_is_throttled(web: TestClient) -> None:
    for n in range(tracking.LOOKUPS_PER_MINUTE_PER_SOURCE):
        assert lookup(web, f"2611-ZZZZ-{n:04d}", nik4="1234").status_code == 404  # type: ignore[attr-defined]
    assert lookup(web, "2611-ZZZZ-AAAA", nik4="1234").status_code == 429  # type: ignore[attr-defined]


def test_another_regions_number_is_not_found_here(
    web: TestClient, session: Session, world: World
) -> None:
    other = make_region(
        session,
        "kota-sebelah",
        "Kota Sebelah",
        [
            service_seed(
                "izin-sebelah",
                "Perizinan Sebelah",
                eform={
                    "schema": {
                        "type": "object",
                        "properties": {"catatan": {"type": "string", "title": "Catatan"}},
                    },
                    "ui": {},
                },
                required_documents=[],
            )
        ],
    )
    neighbour = make_user(session, other, "warga@example.org", "sandi-warga-1")
    draft = submission.start_draft(session, other, neighbour, "izin-sebelah")
    submission.submit(session, other, neighbour, draft.id)
    session.flush()
    here = lookup(web, draft.tracking_number, nik4=LAST4)
    assert here.status_code == 404 and "Perizinan Sebelah" not in here.text  # type: ignore[attr-defined]
    there = post_form(web, "/kota-sebelah/lacak", {"nomor": draft.tracking_number, "nik4": LAST4})
    assert there.status_code == 200 and "Perizinan Sebelah" in there.text
    # Its receipt and its cancellation through this region's addresses: not found.
    log_in(web, "warga@example.org", "sandi-warga-1")
    assert web.get(f"/kota-uji/permohonan/{draft.id}/bukti-pendaftaran").status_code == 404
    assert (
        post_form(
            web, f"/kota-uji/permohonan/{draft.id}/batalkan", {}, page="/kota-uji/permohonan"
        ).status_code
        == 404
    )
    session.expire_all()
    assert session.get(Application, draft.id).status is ApplicationStatus.SUBMITTED  # type: ignore[union-attr]


def test_nobody_cancels_someone_elses_application(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    path = f"/kota-uji/permohonan/{application.id}/batalkan"
    log_in(web, "tetangga@example.org", "sandi-warga-2")
    assert web.get(path).status_code == 404
    assert post_form(web, path, {}, page="/kota-uji/permohonan").status_code == 404
    # Nor an officer of the agency (they decide in the back office, they do not withdraw).
    log_in(web, "verif@example.org", "sandi-verif-1")
    assert post_form(web, path, {}, page="/kota-uji/petugas/kotak-masuk").status_code == 404
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.SUBMITTED  # type: ignore[union-attr]


def test_a_cancel_without_the_csrf_token_or_from_another_site_is_refused(
    web: TestClient, session: Session, world: World
) -> None:
    application = submitted(session, world)
    path = f"/kota-uji/permohonan/{application.id}/batalkan"
    log_in(web, "warga@example.org", "sandi-warga-1")
    without = web.post(path, data={"alasan": "x"}, follow_redirects=False)
    assert without.status_code == 403
    token = csrf_from(web.get(path).text)
    cross_site = web.post(
        path,
        data={"csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross_site.status_code == 403
    session.expire_all()
    assert session.get(Application, application.id).status is ApplicationStatus.SUBMITTED  # type: ignore[union-attr]
    # The tracking form is a form too.
    assert web.post("/kota-uji/lacak", data={"nomor": "x"}).status_code == 403


def test_a_cancel_and_a_claim_at_the_same_moment_one_wins(
    committed_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    slug = f"lacak-{uuid.uuid4().hex[:8]}"
    with committed_sessions() as setup:
        desk = make_desk(setup, tmp_path, slug=slug)
        application = desk.submit(setup)
        task = repository.open_task_of(setup, application.id)
        assert task is not None
        task_id = task.id
        setup.commit()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    lock = threading.Lock()

    def attempt(who: str) -> None:
        with committed_sessions() as mine:
            region = mine.get(Region, desk.region.id)
            assert region is not None
            try:
                barrier.wait()
                if who == "citizen":
                    citizen = mine.get(User, desk.citizen.id)
                    assert citizen is not None
                    tracking.cancel_application(mine, region, citizen, application.id, "batal")
                else:
                    officer = mine.get(User, desk.ani.id)
                    assert officer is not None
                    workflow.claim_task(mine, region, officer, task_id)
                mine.commit()
                result = "won"
            except Conflict:
                mine.rollback()
                result = "refused"
            except DomainError as other:  # pragma: no cover - reported by the assertion
                mine.rollback()
                result = f"other: {other.message}"
        with lock:
            outcomes[who] = result

    threads = [threading.Thread(target=attempt, args=(who,)) for who in ("citizen", "officer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["refused", "won"], outcomes
    with committed_sessions() as check:
        final = check.get(Application, application.id)
        task_now = check.get(Task, task_id)
        assert final is not None and task_now is not None
        actions = set(
            check.scalars(
                select(ApplicationEvent.action).where(
                    ApplicationEvent.application_id == application.id
                )
            )
        )
        if outcomes["citizen"] == "won":
            assert final.status is ApplicationStatus.CANCELLED
            assert task_now.status is TaskStatus.CANCELLED and task_now.assignee_id is None
            assert "claim" not in actions and "cancel" in actions
        else:
            assert final.status is ApplicationStatus.SUBMITTED
            assert task_now.status is TaskStatus.OPEN and task_now.assignee_id == desk.ani.id
            assert "cancel" not in actions and "claim" in actions

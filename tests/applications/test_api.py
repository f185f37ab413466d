"""Simpul's own applications API: a citizen's list and file, an officer's view, notifications."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.accounts.service import create_api_token
from simpul.applications import submission
from tests.applications.conftest import VALID_DATA, World


def bearer(session: Session, user: User) -> dict[str, str]:
    _token, raw = create_api_token(session, user, "uji")
    session.flush()
    return {"Authorization": f"Bearer {raw}"}


def test_citizen_and_officer_views(client: TestClient, session: Session, world: World) -> None:
    draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(VALID_DATA))
    submission.attach_document(
        session, world.region, world.citizen, draft.id, "ktp", world.upload(), "ktp.pdf"
    )
    submission.submit(session, world.region, world.citizen, draft.id)
    session.flush()

    citizen = bearer(session, world.citizen)
    mine = client.get("/api/kota-uji/applications", headers=citizen).json()
    assert [a["tracking_number"] for a in mine] == [draft.tracking_number]
    assert mine[0]["status"] == "submitted" and mine[0]["due_date"]
    detail = client.get(f"/api/kota-uji/applications/{draft.id}", headers=citizen).json()
    assert detail["data"] == VALID_DATA
    assert [d["requirement"] for d in detail["documents"]] == ["ktp"]
    assert [e["action"] for e in detail["history"]] == ["draft", "submit"]
    notices = client.get("/api/kota-uji/notifications", headers=citizen).json()
    assert notices[0]["kind"] == "submitted" and draft.tracking_number in notices[0]["text"]

    officer = bearer(session, world.verifier)
    assert [a["id"] for a in client.get("/api/kota-uji/applications", headers=officer).json()] == [
        str(draft.id)
    ]
    for stranger in (world.other_citizen, world.other_agency_officer):
        headers = bearer(session, stranger)
        assert client.get("/api/kota-uji/applications", headers=headers).json() == []
        refused = client.get(f"/api/kota-uji/applications/{draft.id}", headers=headers)
        assert refused.status_code == 404
    assert client.get("/api/kota-uji/applications").status_code == 401

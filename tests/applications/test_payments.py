"""Payments of a retribusi: the officer records them at the payment step, or the provider's
signed notification does and the application moves on (decision 0047)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from simpul import cli
from simpul.applications import payments, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.applications.payment_models import ApplicationPayment
from simpul.catalogue.standard import Workflow
from simpul.core.errors import InvalidInput
from tests.support.desk_world import (
    FEE,
    DeskWorld,
    build_desk_world,
    log_in,
    notification,
    send_notification,
    service_of,
    submit,
)


@dataclass(frozen=True)
class Inputs:
    payment_reference: str
    payment_amount: str


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def at_payment(session: Session, desk: DeskWorld, slug: str = "izin-bayar") -> Application:
    application = submit(session, desk, slug)
    task = session.scalars(select(Task).where(Task.application_id == application.id)).one()
    workflow.act_on_task(session, desk.region, desk.officer_b, task.id, TaskOutcome.APPROVE)
    assert application.current_step == "pembayaran"
    session.commit()
    return application


def open_task(session: Session, application: Application) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()


def payment_step(session: Session, desk: DeskWorld, slug: str = "izin-bayar") -> object:
    step = Workflow.model_validate(service_of(session, desk, slug).workflow).step("pembayaran")
    assert step is not None
    return step


def test_signed_notification_records_the_payment_and_opens_the_next_step(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = at_payment(session, desk)
    body = notification(application.tracking_number, "BJB-2026-000123")
    response = send_notification(client, desk.region, body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "recorded",
        "bill": application.tracking_number,
        "reference": "BJB-2026-000123",
        "current_step": "persetujuan",
    }
    session.expire_all()
    payment = session.scalars(select(ApplicationPayment)).one()
    assert (payment.amount, payment.source, payment.step) == (FEE, "provider", "pembayaran")
    assert open_task(session, application).step == "persetujuan"
    paid = session.scalars(
        select(Task).where(Task.application_id == application.id, Task.step == "pembayaran")
    ).one()
    assert paid.outcome is TaskOutcome.APPROVE
    event = session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.at.desc(), ApplicationEvent.id)
    ).first()
    assert event is not None
    assert event.actor_label == "sistem pembayaran"
    assert "BJB-2026-000123" in event.note
    refreshed = session.get(Application, application.id)
    assert refreshed is not None
    assert refreshed.officer_data["pembayaran"]["reference"] == "BJB-2026-000123"

    # The provider sends it again: nothing new.
    again = send_notification(client, desk.region, body)
    assert again.status_code == 200
    assert again.json()["status"] == "already_recorded"
    assert session.scalar(select(func.count()).select_from(ApplicationPayment)) == 1
    assert session.scalar(select(func.count()).select_from(Task)) == 3


def test_refusals_change_nothing(client: TestClient, session: Session, desk: DeskWorld) -> None:
    application = at_payment(session, desk)
    number = application.tracking_number
    wrong_amount = send_notification(client, desk.region, notification(number, "REF-001", 70_000))
    assert wrong_amount.status_code == 422
    assert "Rp75.000" in wrong_amount.text
    unknown = send_notification(client, desk.region, notification("2612-XXXX-YYYY", "REF-002"))
    assert unknown.status_code == 404
    unsigned = send_notification(
        client, desk.region, notification(number, "REF-003"), signature=None
    )
    assert unsigned.status_code == 401
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ApplicationPayment)) == 0
    assert open_task(session, application).step == "pembayaran"


def test_a_bill_not_waiting_for_payment_is_refused(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = submit(session, desk)  # still at verifikasi
    session.commit()
    early = send_notification(
        client, desk.region, notification(application.tracking_number, "REF-EARLY")
    )
    assert early.status_code == 409
    assert "tidak sedang menunggu pembayaran" in early.json()["error"]["message"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ApplicationPayment)) == 0


def test_officer_records_the_payment_with_the_amount_due(session: Session, desk: DeskWorld) -> None:
    application = at_payment(session, desk)
    service = service_of(session, desk, "izin-bayar")
    step = payment_step(session, desk)
    with pytest.raises(InvalidInput) as wrong:
        payments.before_approve(
            session, desk.region, desk.officer_a, application, service, step,
            Inputs("BJB-77", "50.000"),
        )  # fmt: skip
    assert set(wrong.value.field_errors()) == {"payment_amount"}
    with pytest.raises(InvalidInput) as blank:
        payments.before_approve(
            session, desk.region, desk.officer_a, application, service, step, Inputs(" ", "")
        )
    assert set(blank.value.field_errors()) == {"payment_reference", "payment_amount"}
    assert session.scalar(select(func.count()).select_from(ApplicationPayment)) == 0
    payments.before_approve(
        session, desk.region, desk.officer_a, application, service, step,
        Inputs("BJB-77", "Rp 75.000"),
    )  # fmt: skip
    payment = session.scalars(select(ApplicationPayment)).one()
    assert (payment.reference, payment.amount, payment.source) == ("BJB-77", FEE, "officer")
    assert payment.recorded_by_id == desk.officer_a.id
    # Once recorded, the approval asks nothing more.
    payments.before_approve(
        session, desk.region, desk.officer_a, application, service, step, Inputs("", "")
    )
    # A reference is used once in the region.
    other = at_payment(session, desk)
    with pytest.raises(InvalidInput) as reused:
        payments.before_approve(
            session, desk.region, desk.officer_a, other, service, step, Inputs("BJB-77", "75000")
        )
    assert "sudah tercatat" in reused.value.field_errors()["payment_reference"]


def test_assessed_amount_when_the_service_states_no_fee(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = at_payment(session, desk, "izin-taksir")
    service = service_of(session, desk, "izin-taksir")
    assert payments.amount_due(application, service) is None
    refused = send_notification(
        client, desk.region, notification(application.tracking_number, "REF-T1", 10_000)
    )
    assert refused.status_code == 409
    session.expire_all()
    application = session.get(Application, application.id)  # type: ignore[assignment]
    application.officer_data = {"retribusi_rupiah": "120.000"}
    session.commit()
    assert payments.amount_due(application, service) == 120_000
    paid = send_notification(
        client, desk.region, notification(application.tracking_number, "REF-T2", 120_000)
    )
    assert paid.status_code == 200, paid.text


def test_citizen_sees_what_to_pay_and_the_bill(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = at_payment(session, desk)
    log_in(client, desk.region.slug, "warga@example.org", "sandi-warga-1")
    page = client.get(f"/{desk.region.slug}/permohonan/{application.id}")
    assert page.status_code == 200
    assert "Menunggu pembayaran retribusi" in page.text
    assert "Rp75.000" in page.text
    assert application.tracking_number in page.text
    send_notification(client, desk.region, notification(application.tracking_number, "REF-PAID"))
    after = client.get(f"/{desk.region.slug}/permohonan/{application.id}")
    assert "Menunggu pembayaran retribusi" not in after.text


def test_cli_prints_the_region_secret(
    session_factory: object, session: Session, desk: DeskWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    result = CliRunner().invoke(cli.app, ["payments", "secret", "--region", desk.region.slug])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == payments.webhook_secret(desk.region)
    assert len(result.output.strip()) == 64

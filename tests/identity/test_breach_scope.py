"""``simpul pdp breach-scope`` lists whose data a breach touched, with what kinds of it, and
``simpul pdp purge`` runs the retention purge."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from simpul import cli
from simpul.core.models import AuditEvent
from simpul.identity import closure
from tests.identity.closure_world import PASSWORD, ClosureWorld, build_closure_world

Run = Callable[..., Result]


@pytest.fixture
def world(session: Session) -> ClosureWorld:
    world = build_closure_world(session, "kota-bocor")
    session.commit()
    return world


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]) -> Run:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli.app, ["pdp", *args])

    return invoke


def _rows(result: Result) -> dict[str, dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return {row["email"]: row for row in json.loads(result.output)}


def test_a_service_breach_lists_its_applicants_with_answers_and_uploads(
    run: Run, world: ClosureWorld
) -> None:
    rows = _rows(
        run(
            "breach-scope",
            "--region",
            "kota-bocor",
            "--service",
            world.service.slug,
            "--format",
            "json",
        )
    )
    assert set(rows) == {world.citizen.email, world.other.email}
    mine = rows[world.citizen.email]
    assert mine["account_id"] == str(world.citizen.id)
    assert mine["phone"] == "+6281234567890"
    assert mine["kinds"] == ["account", "application_answers", "uploads"]
    # The other citizen uploaded nothing.
    assert rows[world.other.email]["kinds"] == ["account", "application_answers"]


def test_an_app_breach_lists_who_consented_with_the_claims_given(
    run: Run, world: ClosureWorld
) -> None:
    rows = _rows(
        run("breach-scope", "--region", "kota-bocor", "--app", "portal-tutup", "--format", "json")
    )
    assert set(rows) == {world.citizen.email}
    assert rows[world.citizen.email]["kinds"] == [
        "oidc:email",
        "oidc:email_verified",
        "oidc_app:portal-tutup",
    ]


def test_a_complaints_table_breach_and_csv_output(run: Run, world: ClosureWorld) -> None:
    result = run("breach-scope", "--region", "kota-bocor", "--table", "complaint")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["email"] for r in rows] == [world.citizen.email]
    assert rows[0]["kinds"] == "account;complaint"


def test_the_default_is_every_account_and_each_run_is_audited_without_the_list(
    run: Run, world: ClosureWorld, session: Session
) -> None:
    rows = _rows(run("breach-scope", "--region", "kota-bocor", "--format", "json"))
    assert world.citizen.email in rows and world.base.desk.email in rows
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "pdp.breach_scope")).one()
    assert event.details["subjects"] == len(rows)
    assert world.citizen.email not in json.dumps(event.details)


def test_a_closed_account_is_listed_without_contact(
    run: Run, world: ClosureWorld, session: Session
) -> None:
    closure.close_account(session, world.region, world.citizen, password=PASSWORD, confirmed=True)
    session.commit()
    rows = json.loads(
        run(
            "breach-scope", "--region", "kota-bocor", "--table", "complaint", "--format", "json"
        ).output
    )
    assert rows == []  # the complaint no longer points at anyone
    rows = json.loads(
        run(
            "breach-scope", "--region", "kota-bocor", "--app", "portal-tutup", "--format", "json"
        ).output
    )
    assert [(r["email"], r["phone"], r["closed"]) for r in rows] == [("", "", True)]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--service", "tidak-ada"), "Layanan tidak ditemukan."),
        (("--app", "tidak-ada"), "tanpa klien OIDC"),
        (("--agency", "tidak-ada"), "Perangkat daerah tidak ditemukan."),
        (("--table", "gateway_message"), "Tabel tidak dikenal: gateway_message"),
        (("--since", "kemarin"), "--since"),
        (("--format", "xml"), "--format"),
    ],
)
def test_a_wrong_scope_is_refused_naming_it(
    run: Run, world: ClosureWorld, args: tuple[str, ...], said: str
) -> None:
    result = run("breach-scope", "--region", "kota-bocor", *args)
    assert result.exit_code == 1
    assert said in result.output


def test_purge_runs(run: Run, world: ClosureWorld) -> None:
    result = run("purge", "--region", "kota-bocor")
    assert result.exit_code == 0, result.output
    assert "0 akun tertutup diperiksa" in result.output

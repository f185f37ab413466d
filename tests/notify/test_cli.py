"""``simpul worker --once`` delivers what is due and says how many it worked on."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul.core import database
from simpul.notify import config as notify_config_module
from simpul.notify.cli import worker_app
from simpul.notify.models import DeliveryStatus
from tests.notify.conftest import NotifyWorld, make_config, notify, running_mail_server


def test_worker_once_delivers_and_exits(
    monkeypatch: pytest.MonkeyPatch,
    committed_engine: Engine,
    committed_sessions: sessionmaker[Session],
    notify_world: NotifyWorld,
) -> None:
    monkeypatch.setattr(database, "get_engine", lambda: committed_engine)
    with running_mail_server() as mail:
        config = make_config(mail.port)
        monkeypatch.setattr(notify_config_module, "notify_config", lambda: config)
        _, (delivery,) = notify(committed_sessions, notify_world.application, config)
        result = CliRunner().invoke(worker_app, ["--once"])
        assert result.exit_code == 0, result.output
        assert "1 pekerjaan dikerjakan." in result.output
        assert CliRunner().invoke(worker_app, ["--once"]).output.strip() == (
            "0 pekerjaan dikerjakan."
        )
    assert len(mail.messages) == 1
    with committed_sessions() as session:
        row = session.get(type(delivery), delivery.id)
        assert row is not None and row.status is DeliveryStatus.DELIVERED

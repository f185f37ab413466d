"""``simpul serve`` makes the coming months' log partitions at startup (no worker needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.settings import Settings


def _months_ahead(months: int) -> date:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _exists(session: Session, name: str) -> bool:
    return session.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar_one()


def test_web_app_startup_creates_missing_log_partitions(
    engine, session_factory: sessionmaker[Session], settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    from simpul.web.app import create_app

    month = _months_ahead(2)
    names = [f"{table}_y{month:%Y}m{month:%m}" for table in ("audit_event", "gateway_message")]
    with session_factory() as session:
        # As if nobody had run ``simpul worker`` for months (rolled back with the test).
        for name in names:
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))
        session.commit()
        assert not any(_exists(session, name) for name in names)

    app = create_app(settings, engine)
    app.state.session_factory = session_factory
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200

    with session_factory() as session:
        assert all(_exists(session, name) for name in names)
        # An audit event stamped in that month now lands.
        session.execute(
            text(
                "INSERT INTO audit_event (id, at, actor_label, action, target_type, details) "
                "VALUES (gen_random_uuid(), :at, 'test', 'test', 'test', '{}')"
            ),
            {"at": datetime(month.year, month.month, 1, 0, 0, 1, tzinfo=UTC)},
        )
        session.commit()

"""The application's connections never run server-side prepared statements (decision 0034):
PostgreSQL would switch a statement run five times to one generic plan for every parameter."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from simpul.core.database import make_engine, sqlalchemy_url
from simpul.core.settings import Settings
from tests.conftest import TEST_SECRET

QUERY = text("SELECT count(*) FROM region WHERE created_at >= now() - make_interval(days => :d)")


def _prepared_after_runs(engine: Engine) -> int:
    with engine.connect() as connection:
        for days in range(10):
            connection.execute(QUERY, {"d": days})
        return int(
            connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
        )


def test_no_statement_is_prepared_however_often_it_runs(database_url: str, tmp_path: Path) -> None:
    settings = Settings(secret_key=TEST_SECRET, debug=True, data_dir=tmp_path)
    engine = make_engine(sqlalchemy_url(database_url), settings)
    try:
        assert _prepared_after_runs(engine) == 0
    finally:
        engine.dispose()
    # The same loop with psycopg's default does prepare (what the setting prevents).
    default = create_engine(sqlalchemy_url(database_url))
    try:
        assert _prepared_after_runs(default) >= 1
    finally:
        default.dispose()

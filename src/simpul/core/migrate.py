"""Alembic, configured in code so `simpul migrate` works from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

_PACKAGE_DIR = Path(__file__).resolve().parent.parent

#: ``Config.attributes`` key: the operator accepted that a downgrade destroys rows.
ALLOW_DATA_LOSS = "allow_data_loss"


class MigrationRefused(RuntimeError):
    """A migration step refuses to run; its message says why and what to do instead.

    Raised inside Alembic's transaction, so nothing of the migration run has happened."""


class DataLossRefused(MigrationRefused):
    """A downgrade would destroy rows, and the operator did not say that is meant."""

    def __init__(self, revision: str, losses: dict[str, int], what: str | None = None) -> None:
        self.revision = revision
        self.losses = losses
        self.what = what
        listed = ", ".join(f"{table} ({rows} rows)" for table, rows in losses.items())
        super().__init__(
            f"Downgrading below {revision} would delete {what or 'the rows of'} {listed}. "
            "Nothing was changed. Take a backup (pg_dump) first; then, if you mean it, run "
            f"`simpul migrate --to <revision> --allow-data-loss`."
        )


def migrations_dir() -> Path:
    """``migrations/`` of the source tree, or the copy packed inside an installed wheel."""
    packed = _PACKAGE_DIR / "migrations"
    return packed if packed.is_dir() else _PACKAGE_DIR.parent.parent / "migrations"


def alembic_config(url: str, *, allow_data_loss: bool = False) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes[ALLOW_DATA_LOSS] = allow_data_loss
    return config


def upgrade_to_head(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def migrate_to(url: str, revision: str, *, allow_data_loss: bool = False) -> None:
    """Upgrade or downgrade to ``revision`` (``head``, ``base`` or an id such as ``0011``)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    config = alembic_config(url, allow_data_loss=allow_data_loss)
    scripts = ScriptDirectory.from_config(config)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    target = scripts.get_current_head() if revision == "head" else revision
    if revision == "base":
        command.downgrade(config, "base")
    elif current is None:
        command.upgrade(config, revision)
    elif target != current:
        below = {script.revision for script in scripts.iterate_revisions(current, "base")}
        if target in below:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def refuse_data_loss(
    revision: str, *tables: str, where: str | None = None, what: str | None = None
) -> None:
    """First step of a downgrade that drops ``tables`` (or, with ``where``, the rows matching
    it): refuse while any of them holds rows, unless the operator allowed data loss.

    Runs inside Alembic's migration context; the transaction is rolled back, so nothing of
    the downgrade has happened when this raises."""
    from alembic import context, op

    if context.config.attributes.get(ALLOW_DATA_LOSS):
        return
    bind = op.get_bind()
    losses: dict[str, int] = {}
    for table in tables:
        condition = f" WHERE {where}" if where else ""
        rows = bind.execute(text(f"SELECT count(*) FROM {table}{condition}")).scalar_one()  # noqa: S608 - table names are the migration's own literals
        if rows:
            losses[table] = rows
    if losses:
        raise DataLossRefused(revision, losses, what)

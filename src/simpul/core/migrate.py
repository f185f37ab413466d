"""Alembic, configured in code so `simpul migrate` works from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """``migrations/`` of the source tree, or the copy packed inside an installed wheel."""
    packed = _PACKAGE_DIR / "migrations"
    return packed if packed.is_dir() else _PACKAGE_DIR.parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def upgrade_to_head(url: str) -> None:
    command.upgrade(alembic_config(url), "head")

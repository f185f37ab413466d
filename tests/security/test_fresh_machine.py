"""A fresh machine, tried as a new operator would: the pinned install, the whole migration
history both ways, and the ``simpul`` command run from an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import alembic_config
from tests.support.devserver import libpq_url, recreate_database

ROOT = Path(__file__).resolve().parents[2]
SIMPUL = str(Path(sys.executable).parent / "simpul")


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A database of its own with nothing in it, dropped afterwards."""
    name = f"{make_url(sqlalchemy_url(database_url)).database}_cycle"
    url = recreate_database(database_url, name)
    yield sqlalchemy_url(url)
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _types_and_tables(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            types = set(
                conn.execute(
                    text(
                        "SELECT t.typname FROM pg_type t JOIN pg_namespace n "
                        "ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'"
                    )
                ).scalars()
            )
            tables = set(
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
    finally:
        engine.dispose()
    return types, tables


def test_whole_history_runs_down_to_base_and_up_again(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    types, tables = _types_and_tables(empty_database)
    assert types == set(), "a downgrade left its enum types behind"
    assert tables <= {"alembic_version"}
    command.upgrade(config, "head")  # the second time fails when anything was left behind
    types, tables = _types_and_tables(empty_database)
    assert "document_job_status" in types and "application" in tables


def test_downgrade_that_would_lose_token_keys_refuses(empty_database: str) -> None:
    """Keys held on a PKCS#11 token have no PKCS#12 file: going below 0012 would have to
    drop them. The downgrade says so and changes nothing."""
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    engine = create_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO region (id, slug, name, kind) VALUES "
                    "(gen_random_uuid(), 'uji', 'Uji', 'kota')"
                )
            )
            region_id = conn.execute(text("SELECT id FROM region")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO user_account (id, region_id, kind, email, full_name, phone, "
                    "password_hash, locale, is_active, activated_at) VALUES (gen_random_uuid(), "
                    ":r, 'staff', 'p@example.org', 'Petugas', '', 'x', 'id', true, now())"
                ),
                {"r": region_id},
            )
            user_id = conn.execute(text("SELECT id FROM user_account")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO signing_credential (id, region_id, user_id, kind, token_label,"
                    " key_label, certificate_pem, subject_name, fingerprint, not_after) VALUES "
                    "(gen_random_uuid(), :r, :u, 'pkcs11', 'tok', 'key', 'pem', 'CN=P', 'f', "
                    "now())"
                ),
                {"r": region_id, "u": user_id},
            )
        with pytest.raises(RuntimeError, match="PKCS#11"):
            command.downgrade(config, "0011")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
                _head()
            )
            assert conn.execute(text("SELECT count(*) FROM signing_credential")).scalar_one() == 1
    finally:
        engine.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head


def test_no_migration_keeps_alembics_please_adjust_leftovers() -> None:
    leftovers = [
        path.name
        for path in sorted((ROOT / "migrations" / "versions").glob("*.py"))
        if "please adjust" in path.read_text()
    ]
    assert leftovers == []


def _simpul_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``simpul`` as a new operator runs it: from ``folder``, no database URL, no data dir."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SIMPUL_") or key == "SIMPUL_LANG"
    }
    env["SIMPUL_LANG"] = "id"
    env["SIMPUL_NEW_PASSWORD"] = "sandi-operator-baru"
    return subprocess.run(
        [SIMPUL, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def empty_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "operator"
    folder.mkdir()
    yield folder
    if (folder / "var" / "pgdata" / "postmaster.pid").exists():
        _simpul_in(folder, "db", "stop")


def test_command_in_an_empty_folder_says_it_made_a_new_database_and_refuses(
    empty_folder: Path,
) -> None:
    token = _simpul_in(empty_folder, "user", "token", "admin@example.org")
    assert token.returncode == 1
    lines = [line for line in token.stderr.splitlines() if str(empty_folder) in line]
    assert len(lines) == 1, token.stderr
    assert "baru" in lines[0] and "kosong" in lines[0]
    assert "Traceback" not in token.stderr
    assert "SIMPUL_DATABASE_URL" in token.stderr and "simpul migrate" in token.stderr
    (empty_folder / "apps.csv").write_text("kode,nama\n")
    for args in (("user", "create", "x@example.org"), ("apps", "import", "apps.csv")):
        refused = _simpul_in(empty_folder, *args)
        assert refused.returncode == 1, refused.stderr
        assert "Traceback" not in refused.stderr
        assert "simpul migrate" in refused.stderr


def test_lock_file_pins_every_dependency_with_hashes() -> None:
    """What `make install` installs is what uv.lock names, and the lock matches pyproject."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {package["name"]: package for package in lock["package"]}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in [*declared["dependencies"], *declared["optional-dependencies"]["dev"]]:
        name = requirement.split(">")[0].split("[")[0].split("=")[0].split("<")[0].strip()
        assert name.lower().replace("_", "-") in packages, name
    for name, package in packages.items():
        if package.get("source", {}).get("registry"):
            files = [*package.get("wheels", []), *filter(None, [package.get("sdist")])]
            assert files and all(f["hash"].startswith("sha256:") for f in files), name
    makefile = (ROOT / "Makefile").read_text()
    assert "sync --frozen" in makefile


def test_the_lock_is_the_one_pyproject_asks_for_and_uv_is_the_pinned_one() -> None:
    """A change to pyproject.toml comes with its uv.lock: uv itself says the lock is current
    (``uv lock --locked`` refuses otherwise), and the uv that reads it is the one
    ``requirements-uv.txt`` installs by hash, the version ``[tool.uv] required-version`` asks."""
    uv = ROOT / ".uv" / "bin" / "uv"
    checked = subprocess.run(
        [str(uv), "lock", "--locked", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"][
        "required-version"
    ]
    pinned = (ROOT / "requirements-uv.txt").read_text().split()[0]
    assert pinned == f"uv{required}", (pinned, required)

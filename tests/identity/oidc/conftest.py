"""A real ``simpul serve`` with the demo region, for the independent client's test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from simpul.core.database import sqlalchemy_url
from tests.conftest import TEST_SECRET, _server_url
from tests.support.devserver import (
    free_port,
    migrate_and_seed_demo,
    recreate_database,
    server_process,
)


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh database with the demo region (and its relying party ``demo-rp``)."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_oidc"
    url = recreate_database(server_url, name)
    migrate_and_seed_demo(url)
    return url


@pytest.fixture(scope="session")
def provider_url(demo_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``simpul serve`` on a free port whose public address is that port (the issuer)."""
    data_dir: Path = tmp_path_factory.mktemp("oidc-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with server_process(
            demo_database_url,
            secret_key=TEST_SECRET,
            data_dir=data_dir,
            timeout=120,
            port=port,
            env={"SIMPUL_PUBLIC_URL": base},
        ) as server:
            yield server.base_url
    except RuntimeError as exc:
        pytest.fail(str(exc))

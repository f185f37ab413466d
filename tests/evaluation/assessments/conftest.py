"""Two regions, each with a region admin, and a local storage for SPBE evidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from simpul.evaluation import spbe
from tests.factories import make_region, make_user
from tests.samples import pdf_bytes

PASSWORD = "sandi-rahasia-1"
#: A real one-page PDF (uploads are parsed: one qpdf cannot read is refused), and the first
#: bytes of a Windows program (MZ header).
PDF = pdf_bytes()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@dataclass
class World:
    region: Region
    other: Region
    admin: User
    other_admin: User


@pytest.fixture
def world(session: Session) -> World:
    region = make_region(session, "kota-uji", "Kota Uji")
    other = make_region(session, "kab-lain", "Kabupaten Lain")
    admin = make_user(session, region, "admin@example.org", PASSWORD, AccountKind.REGION_ADMIN)
    other_admin = make_user(session, other, "admin@example.org", PASSWORD, AccountKind.REGION_ADMIN)
    session.commit()
    return World(region, other, admin, other_admin)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture
def ruleset() -> spbe.RuleSet:
    return spbe.load_ruleset()


def levels_for(ruleset: spbe.RuleSet, base: int) -> dict[int, int]:
    """A level for every indicator: ``base``, one more on every third indicator (max 5)."""
    return {i.number: min(base + (i.number % 3 == 0), 5) for i in ruleset.indicators}

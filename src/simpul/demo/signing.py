"""The demo region's electronic signatures: a demo CA and one certificate per demo officer.

Demo only: the passphrase is published in the README, like the demo passwords. The CA's
certificate is written where the verification page publishes it
(``<data_dir>/pki/<region>/ca.pem``); its key is not kept (see ``pki.init_region_pki``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts.models import User
from simpul.core.models import Region
from simpul.documents import credentials
from simpul.documents.pki import OfficerSpec, init_region_pki

#: Demo only, published in the README: the passphrase of every demo officer's signing key.
DEMO_SIGNING_PASSPHRASE: Final = "tte-demo-bandung"  # noqa: S105 (a published demo value)
#: The demo officers who sign (e-mail of their account).
DEMO_SIGNERS: Final = (
    "petugas.disdukcapil@example.org",
    "kepala.disdukcapil@example.org",
    "petugas.dpmptsp@example.org",
    "kepala.dpmptsp@example.org",
)


def seed_demo_signing(session: Session, region: Region, pki_dir: Path) -> int:
    """Give the demo officers signing credentials (creating the demo PKI if needed).

    Returns how many credentials were enrolled (0 when every demo officer already has one).
    When ``pki_dir`` already holds a CA from an earlier run (the database was reset but the
    files were kept), its officer files are enrolled again.
    """
    signers = [
        user
        for email in DEMO_SIGNERS
        if (user := accounts_repository.get_user_by_email(session, region.id, email)) is not None
    ]
    waiting = [u for u in signers if credentials.active_credential(session, region, u) is None]
    if not waiting:
        return 0
    if not (pki_dir / "ca.pem").exists():
        init_region_pki(
            pki_dir,
            region.slug,
            region.name,
            [_spec(user) for user in signers],
            DEMO_SIGNING_PASSPHRASE.encode(),
        )
    enrolled = 0
    for user in waiting:
        path = pki_dir / f"officer-{_spec(user).slug}.p12"
        if not path.exists():
            continue
        credentials.enrol(
            session, region, user, path.read_bytes(), DEMO_SIGNING_PASSPHRASE, actor_label="demo"
        )
        enrolled += 1
    return enrolled


def _spec(user: User) -> OfficerSpec:
    return OfficerSpec(name=user.full_name, email=user.email)

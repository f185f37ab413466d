"""What every ``simpul`` command shares: its transaction, its refusals, the ``--region`` lookup."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.database import get_engine, make_session_factory
from simpul.core.errors import DomainError
from simpul.core.i18n import _
from simpul.core.models import Region

#: ``--region SLUG``: optional while the deployment hosts one region (see ``_region``).
RegionOption = Annotated[
    str | None, typer.Option(help="Region slug (needed when there are several).")
]


def session_factory() -> sessionmaker[Session]:
    return make_session_factory(get_engine())


@contextmanager
def session_scope() -> Iterator[Session]:
    """The CLI's transaction boundary: commit when the command succeeds, else roll back."""
    # Looked up on the package at call time: ``simpul.cli.session_factory`` is the seam tests
    # replace (monkeypatch.setattr(cli, "session_factory", ...)).
    from simpul import cli

    session = cli.session_factory()()
    try:
        _refuse_unprepared_database(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def fail(message: str, details: list[dict[str, object]] | None = None) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    for detail in details or []:
        typer.secho(f"  - {detail.get('field', '')}: {detail.get('message', '')}", err=True)
    return typer.Exit(code=1)


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise fail(exc.message, exc.details) from None


def _refuse_unprepared_database(session: Session) -> None:
    """A command that reads or writes Simpul's tables needs a migrated database: say what to
    do instead of failing on a missing table."""
    from simpul.core.database import schema_is_migrated

    if not schema_is_migrated(session):
        raise fail(
            _(
                "Basis data ini belum disiapkan. Jalankan `simpul migrate` dulu, atau atur "
                "SIMPUL_DATABASE_URL ke basis data Simpul yang sudah ada."
            )
        )


def _region(session: Session, slug: str | None) -> Region:
    """The region a command works on. In a database this process has just created empty,
    there is nothing to work on: refuse with where the data is expected."""
    from simpul.core.database import created_empty_embedded_database
    from simpul.core.regions import get_region_by_slug, list_regions

    created = created_empty_embedded_database()
    if created is not None:
        raise fail(
            _(
                "Basis data di %(path)s baru saja dibuat dan masih kosong, jadi perintah ini "
                "tidak punya data untuk dikerjakan. Jalankan dari folder data Simpul Anda "
                "(yang berisi var/), atur SIMPUL_DATABASE_URL, atau siapkan basis data baru "
                "dengan `simpul migrate` lalu `simpul region create` / `simpul seed-demo`."
            )
            % {"path": created}
        )

    if slug is None:
        regions = list_regions(session)
        if len(regions) != 1:
            raise fail(
                _("Sebutkan wilayah dengan --region (ada %(n)d wilayah).") % {"n": len(regions)}
            )
        return regions[0]
    region = get_region_by_slug(session, slug)
    if region is None:
        raise fail(_("Wilayah '%(slug)s' tidak ada. Lihat: simpul region list") % {"slug": slug})
    return region

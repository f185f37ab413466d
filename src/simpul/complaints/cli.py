"""``simpul complaints ...`` and ``simpul open311 ...``: the typer apps the complaint commands
hang on. Each use case adds its commands in its own ``*_cli.py`` module (imported by
``simpul.cli`` so the commands are registered)."""

from __future__ import annotations

import typer

complaints_app = typer.Typer(
    no_args_is_help=True, help="Complaints (pengaduan): escalation, the routing suggestion."
)
open311_app = typer.Typer(no_args_is_help=True, help="Open311 GeoReport v2: the API keys.")

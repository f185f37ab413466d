"""`simpul gateway ...`: the control plane from the command line (the Diskominfo team's scripts).

Every command takes ``--region SLUG`` (optional when the deployment hosts one region), acts as
the actor ``cli`` (a region admin), prints JSON on stdout where data comes back, and exits
with code 2 and a message on stderr when something is refused. The main CLI (``simpul.cli``)
mounts ``gateway_admin``; its helpers are imported inside functions to avoid an import cycle.

The modules: ``services`` (service, endpoint), ``access`` (client, key, group, grant) and
``common`` (the transaction, refusals, lookups by code, the shared arguments).
"""

from __future__ import annotations

import typer

from simpul.gateway.registry.cli.access import client_app, grant_app, group_app, key_app
from simpul.gateway.registry.cli.common import CLI_ACTOR, EXIT_REFUSED
from simpul.gateway.registry.cli.services import endpoint_app, service_app

__all__ = ["CLI_ACTOR", "EXIT_REFUSED", "gateway_admin"]

gateway_admin = typer.Typer(
    help="Gateway control plane: services, endpoints, clients, keys, groups, grants.",
    no_args_is_help=True,
)
gateway_admin.add_typer(service_app, name="service")
gateway_admin.add_typer(endpoint_app, name="endpoint")
gateway_admin.add_typer(client_app, name="client")
gateway_admin.add_typer(key_app, name="key")
gateway_admin.add_typer(group_app, name="group")
gateway_admin.add_typer(grant_app, name="grant")

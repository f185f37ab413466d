"""The demo's relying party for trying one login: ``demo-rp`` (secret ``demo-rp-secret``,
redirect ``http://127.0.0.1:8765/callback``), the OIDC client of the inventory app "Bandung
Sehat". Demo only: the secret is fixed and printed in the README."""

from __future__ import annotations

from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.identity import service as identity
from simpul.inventory import service as inventory

DEMO_RP_CLIENT_ID = "demo-rp"
DEMO_RP_SECRET = "demo-rp-secret"  # noqa: S105 - the demo's published secret
DEMO_RP_REDIRECT = "http://127.0.0.1:8765/callback"
DEMO_RP_APP_NAME = "Bandung Sehat"


def seed_demo_relying_party(session: Session, region: Region) -> bool:
    """Register ``demo-rp`` once; returns whether it was made now."""
    if identity.client_by_client_id(session, region, DEMO_RP_CLIENT_ID) is not None:
        return False
    apps = inventory.list_all_apps(session, region)
    app = next((a for a in apps if a.name == DEMO_RP_APP_NAME), None) or next(
        (a for a in apps if identity.client_of_app(session, region, a.id) is None), None
    )
    if app is None:
        return False
    identity.register_client(
        session,
        region,
        app_id=app.id,
        registration=identity.ClientRegistration(
            client_id=DEMO_RP_CLIENT_ID,
            name=app.name,
            is_public=False,
            redirect_uris=[DEMO_RP_REDIRECT],
            allowed_scopes=["openid", "profile", "email", "phone", "offline_access"],
            post_logout_redirect_uris=["http://127.0.0.1:8765/"],
        ),
        actor=None,
        secret=DEMO_RP_SECRET,
    )
    return True

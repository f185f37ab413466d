"""The provider's tests: a live server with the demo region for the independent client."""

from __future__ import annotations

from tests.support.oidc_live import demo_database_url, provider_url

__all__ = ["demo_database_url", "provider_url"]

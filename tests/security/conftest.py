"""Fixtures the security tests share with the areas they attack.

The gateway's attacks run against a real ``simpul gateway`` on the committed database of
``tests/gateway`` (each test in a region of its own), so its fixtures are reused here.
"""

from tests.gateway.conftest import (  # noqa: F401 - fixtures, found by name
    committed_engine,
    committed_sessions,
    committed_url,
    gateway_world,
)

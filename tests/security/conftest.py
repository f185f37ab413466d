"""Fixtures the security tests share with the areas they attack.

The gateway's attacks run against a real ``simpul gateway`` on the committed database of
``tests/gateway`` (each test in a region of its own), so its fixtures are reused here, and
each attacking module gets one provider (``recorder``) and one gateway (``gateway``, refusal
counts flushed every 0.2 s) of its own.

``still_limits`` holds the in-process limiters' clock still for a test that spends an
allowance and expects the refusal: on a loaded machine a burst of slow requests could
otherwise earn a token back (one every 12 s at 5 a minute) before the request meant to fail.
"""

from collections.abc import Iterator

import pytest

from simpul.core import ratelimit
from tests.gateway.conftest import (  # noqa: F401 - fixtures, found by name
    committed_engine,
    committed_sessions,
    committed_url,
    gateway_world,
)
from tests.gateway.upstream import Recorder, running_recorder
from tests.security.gateway_support import running_gateway


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, Recorder]]:
    """A provider app on loopback that records what reaches it."""
    with running_recorder() as provider:
        yield provider


@pytest.fixture(scope="module")
def gateway(
    committed_url: str,  # noqa: F811 - the fixture imported above, asked for by name
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A ``simpul gateway`` of the module's own, flushing refusal counts every 0.2 s."""
    with running_gateway(
        committed_url,
        tmp_path_factory.mktemp("gateway"),
        {"SIMPUL_GATEWAY_REFUSAL_FLUSH_SECONDS": "0.2"},
    ) as url:
        yield url


@pytest.fixture
def still_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process limiters see no time pass during the test."""
    now = ratelimit.monotonic()
    monkeypatch.setattr(ratelimit, "monotonic", lambda: now)

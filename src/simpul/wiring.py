"""The assembly of the domains' event subscriptions (``simpul.core.events``).

Every entry point that runs domain code calls ``subscribe_all`` once before it does: the web
app (``web.app.create_app``), the ``simpul`` command (``cli.main``: the worker, the demo seed,
the operator's commands), the benchmarks and the tests. Calling it again changes nothing.
"""

from __future__ import annotations

from simpul.core import events


def subscribe_all(registry: events.Registry | None = None) -> None:
    """Subscribe every domain's handlers to the events they listen to (idempotent)."""
    from simpul.applications import subscribers as applications
    from simpul.documents import subscribers as documents
    from simpul.evaluation.rollups import subscribers as rollups
    from simpul.evaluation.savings import subscribers as savings
    from simpul.notify import subscribers as notify

    registry = registry or events.registry
    # The order handlers run in, per event: savings before documents on ApplicationCompleted
    # (the ledger entry, then the document job, as before the events).
    applications.subscribe(registry)
    notify.subscribe(registry)
    savings.subscribe(registry)
    documents.subscribe(registry)
    rollups.subscribe(registry)
    registry.wired = True

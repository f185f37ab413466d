"""The provider behind the gateway in ``bench/cluster.py``: answers every request with a fixed
JSON body (about 100 bytes), so the cluster run measures Simpul, not a provider.

Run by the cluster bench inside its own network namespace::

    python -m bench.cluster_upstream --host ADDRESS --port PORT
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from aiohttp import web

BODY = (
    b'{"id":"3273-0001","status":"aktif","nama":"Data Uji","items":[1,2,3],'
    b'"diperbarui":"2025-01-01T00:00:00Z"}'
)


async def answer(_request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()

"""The data plane: the ``simpul gateway`` process that forwards calls between apps.

``server`` (the ASGI app), ``upstream`` (the client to providers), ``config`` (the cached
configuration snapshot), ``ratelimit``, ``health``, ``metrics``, ``paths``, ``protocol`` (HTTP
limits), ``directory`` and ``directory_openapi`` (the GovStack IM directory).
"""

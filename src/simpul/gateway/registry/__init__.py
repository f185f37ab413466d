"""The gateway's control plane: providers, services, endpoints, clients, keys, groups, grants.

``service`` holds the rules (import it as ``registry``), ``repository`` every query,
``pages`` and its ``*_pages`` the region admin's pages, ``cli`` the ``simpul gateway`` commands,
``openapi_docs`` the checks of a provider's OpenAPI document.
"""

"""The reads the registry's admin pages show, offered by the service layer.

None of them has a rule to add to its query (each is scoped to the region in the repository),
so the service offers the repository's functions and row types as they are: routes import the
service, never a repository (decision 0033). A read that needs a rule becomes a function here.
"""

from __future__ import annotations

from simpul.gateway.registry.admin_repository import (
    KEY_FORM_ACTION,
    GrantQuery,
    Overview,
    count_overview,
    key_form_was_used,
    list_endpoints_by_service,
    list_grants_for_review,
    list_group_ids_of_client,
)
from simpul.gateway.registry.repository import (
    ClientRow,
    ServiceDetail,
    count_grants_by_status,
    get_client_row,
    get_credential,
    get_endpoint,
    get_grant,
    get_group,
    get_service_detail,
    list_clients,
    list_credentials,
    list_gateway_audit_events,
    list_groups,
    list_services,
)

__all__ = [
    "KEY_FORM_ACTION",
    "ClientRow",
    "GrantQuery",
    "Overview",
    "ServiceDetail",
    "count_grants_by_status",
    "count_overview",
    "get_client_row",
    "get_credential",
    "get_endpoint",
    "get_grant",
    "get_group",
    "get_service_detail",
    "key_form_was_used",
    "list_clients",
    "list_credentials",
    "list_endpoints_by_service",
    "list_gateway_audit_events",
    "list_grants_for_review",
    "list_group_ids_of_client",
    "list_groups",
    "list_services",
]

"""The gateway's control plane: providers register services, clients get keys, grants open access.

Rules every function keeps:

- everything is region-scoped: an id or a code from another region is ``NotFound``;
- access is denied until a grant is approved, and only the region admin approves or rejects;
- an API key is shown once (the return value) and stored only as its SHA-256 and a short hint;
- every change appends an audit event (``gateway.*``) in the same transaction; no event holds a
  key;
- a provider app counts as integrated while at least one of its services is enabled;
- functions flush, never commit: the caller's request or command is the boundary.

Import from here; the modules split the use cases: ``services`` (providers, endpoints),
``clients`` (clients, keys, groups), ``grants``; ``common`` holds what they share; ``reads``
offers the repository's reads the admin pages show (decision 0033).
"""

from __future__ import annotations

from simpul.gateway.registry.service.clients import (
    add_group_member,
    create_group,
    issue_key,
    register_client,
    remove_group_member,
    revoke_key,
    rotate_key,
    update_client,
)
from simpul.gateway.registry.service.common import (
    API_KEY_PREFIX,
    AUDIT_ACTION_LABELS,
    CODE_PATTERN,
    DEFAULT_MAX_BODY_BYTES,
    KEY_HINT_LENGTH,
    MAX_BODY_BYTES_LIMIT,
    MAX_GRACE_HOURS,
    MAX_RATE_LIMIT,
    MAX_TIMEOUT_SECONDS,
    Actor,
    actor_for_user,
    key_digest,
    key_hint,
    shown_hint,
    upstream_url_problem,
)
from simpul.gateway.registry.service.grants import (
    approve_grant,
    reject_grant,
    request_grant,
    revoke_grant,
)
from simpul.gateway.registry.service.reads import (
    KEY_FORM_ACTION,
    ClientRow,
    GrantQuery,
    Overview,
    ServiceDetail,
    count_grants_by_status,
    count_overview,
    get_client_row,
    get_credential,
    get_endpoint,
    get_grant,
    get_group,
    get_service_detail,
    key_form_was_used,
    list_clients,
    list_credentials,
    list_endpoints_by_service,
    list_gateway_audit_events,
    list_grants_for_review,
    list_group_ids_of_client,
    list_groups,
    list_services,
)
from simpul.gateway.registry.service.services import (
    register_service,
    set_endpoint_enabled,
    set_service_enabled,
    update_service_document,
    update_service_settings,
)

__all__ = [
    "API_KEY_PREFIX",
    "AUDIT_ACTION_LABELS",
    "CODE_PATTERN",
    "DEFAULT_MAX_BODY_BYTES",
    "KEY_FORM_ACTION",
    "KEY_HINT_LENGTH",
    "MAX_BODY_BYTES_LIMIT",
    "MAX_GRACE_HOURS",
    "MAX_RATE_LIMIT",
    "MAX_TIMEOUT_SECONDS",
    "Actor",
    "ClientRow",
    "GrantQuery",
    "Overview",
    "ServiceDetail",
    "actor_for_user",
    "add_group_member",
    "approve_grant",
    "count_grants_by_status",
    "count_overview",
    "create_group",
    "get_client_row",
    "get_credential",
    "get_endpoint",
    "get_grant",
    "get_group",
    "get_service_detail",
    "issue_key",
    "key_digest",
    "key_form_was_used",
    "key_hint",
    "list_clients",
    "list_credentials",
    "list_endpoints_by_service",
    "list_gateway_audit_events",
    "list_grants_for_review",
    "list_group_ids_of_client",
    "list_groups",
    "list_services",
    "register_client",
    "register_service",
    "reject_grant",
    "remove_group_member",
    "request_grant",
    "revoke_grant",
    "revoke_key",
    "rotate_key",
    "set_endpoint_enabled",
    "set_service_enabled",
    "shown_hint",
    "update_client",
    "update_service_document",
    "update_service_settings",
    "upstream_url_problem",
]

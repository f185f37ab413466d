"""The GovStack Information Mediator directory: who is there, what they offer, what I may call.

Pure functions over a ``Snapshot`` (no database on these paths), answering in the shapes of
``GovStack_IM_Directory_Services_API.yaml``: ``listClients``, and per provider application
``listMethods``, ``allowedMethods`` and ``getOpenAPI``. Only enabled services and enabled
endpoints are ever shown; ``allowedMethods`` shows only what an approved grant covers.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Final

from simpul.core.errors import DomainError
from simpul.core.i18n import _
from simpul.gateway.dataplane.config import (
    ClientConf,
    EndpointConf,
    ServiceConf,
    Snapshot,
    SubsystemConf,
    SubsystemId,
    parse_subsystem,
)

JSON_CONTENT_TYPE: Final = "application/json"
#: One part of a caller's identity: RFC 3986 unreserved characters only.
_CODE_PART: Final = re.compile(r"[A-Za-z0-9._~-]+")
#: The operations of an OpenAPI path item (everything else there is shared metadata).
_OPERATIONS: Final = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)


class DirectoryError(DomainError):
    """A directory request that cannot be answered; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status
        self.code = code

    @property
    def status(self) -> int:
        return self.status_code

    def body(self) -> dict[str, Any]:
        """The JSON error body, in the same shape as the rest of Simpul's APIs."""
        return {"error": {"code": self.code, "message": self.message, "details": []}}


def parse_subsystem_id(text: str) -> SubsystemId:
    """``INSTANCE/CLASS/MEMBER/APPLICATION`` (the ``X-GovStack-Client`` header) as a tuple.

    Each part is a code (letters, digits, ``-``, ``_``, ``.``, ``~``), as every slug and code
    Simpul issues is: ``%2F`` or another escape cannot smuggle a separator into a part.
    """
    ident = parse_subsystem(text)
    if ident is None or not all(_CODE_PART.fullmatch(part) for part in ident):
        raise DirectoryError(
            400,
            "invalid_client_id",
            _(
                "Identitas klien harus berbentuk INSTANCE/CLASS/MEMBER/APPLICATION, "
                "misalnya kota-bandung/GOV/diskominfo/portal."
            ),
        )
    return ident


def gateway_path(service: ServiceConf) -> str:
    """Where an integrator calls ``service`` through the gateway (GovStack IM addressing)."""
    return "/r1/" + "/".join(service.ident)


# -- listClients -----------------------------------------------------------------------------


def _member_entry(sub: SubsystemConf) -> dict[str, Any]:
    instance, member_class, member_code, _app = sub.ident
    return {
        "name": sub.member_name,
        "id": {
            "objectType": "MEMBER",
            "instanceId": instance,
            "memberClass": member_class,
            "memberCode": member_code,
        },
    }


def _application_entry(sub: SubsystemConf) -> dict[str, Any]:
    instance, member_class, member_code, app_code = sub.ident
    return {
        "name": sub.name,
        "id": {
            "objectType": "APPLICATION",
            "instanceId": instance,
            "memberClass": member_class,
            "memberCode": member_code,
            "applicationCode": app_code,
        },
    }


def list_clients(snapshot: Snapshot, instance_id: str | None) -> dict[str, Any]:
    """Members (agencies) and applications known to the gateway (``restClientDetailsListType``).

    Each agency that owns a provider or client app appears once as a MEMBER, each such app as
    an APPLICATION. ``instance_id`` None lists every instance; an unknown one lists nothing.
    """
    subsystems = sorted(
        (s for s in snapshot.subsystems.values() if instance_id in (None, s.ident[0])),
        key=lambda s: s.ident,
    )
    entries: list[dict[str, Any]] = []
    last_member: tuple[str, str, str] | None = None
    for sub in subsystems:
        member = sub.ident[:3]
        if member != last_member:  # sorted, so an agency's apps follow its MEMBER entry
            entries.append(_member_entry(sub))
            last_member = member
        entries.append(_application_entry(sub))
    return {"member": entries}


# -- listMethods / allowedMethods ------------------------------------------------------------


def _service_entry(service: ServiceConf, endpoints: list[EndpointConf]) -> dict[str, Any]:
    instance, member_class, member_code, app_code, service_code = service.ident
    return {
        "objectType": "SERVICE",
        "serviceType": "REST",
        "instanceId": instance,
        "memberClass": member_class,
        "memberCode": member_code,
        "applicationCode": app_code,
        "serviceCode": service_code,
        "serviceVersion": service.version,
        "endpointList": {
            "member": [
                {"method": e.method, "path": e.path}
                for e in sorted(endpoints, key=lambda e: (e.path, e.method))
            ],
        },
    }


def _service_code_filter(provider: SubsystemId, service_id: str | None) -> str | None:
    """The service code asked for: a bare code, or a full ``INSTANCE/.../SERVICE`` id."""
    if service_id is None or not service_id.strip():
        return None
    value = service_id.strip()
    if "/" not in value:
        return value
    parts = value.split("/")
    if len(parts) != 5 or tuple(parts[:4]) != provider or not parts[4]:
        raise DirectoryError(
            400,
            "invalid_service_id",
            _(
                "serviceId harus berupa kode layanan, atau INSTANCE/CLASS/MEMBER/APPLICATION/"
                "SERVICE milik aplikasi penyedia di alamat ini."
            ),
        )
    return parts[4]


def _provider_services(
    snapshot: Snapshot, provider: SubsystemId, service_id: str | None
) -> list[ServiceConf]:
    """The provider's enabled services (optionally only one), by code; 404 for no provider."""
    if provider not in snapshot.subsystems:
        raise DirectoryError(
            404,
            "unknown_provider",
            _("Aplikasi penyedia %(id)s tidak dikenal di gateway ini.")
            % {"id": "/".join(provider)},
        )
    code = _service_code_filter(provider, service_id)
    services = [
        s
        for s in snapshot.provider_services(provider)
        if s.enabled and (code is None or s.code == code)
    ]
    return sorted(services, key=lambda s: s.code)


def list_methods(
    snapshot: Snapshot, provider: SubsystemId, service_code: str | None
) -> dict[str, Any]:
    """Every enabled service of ``provider`` with its enabled endpoints.

    ``service_code`` (the spec's ``serviceId``) narrows the list to one service; one that does
    not exist, or is switched off, gives an empty list. An unknown provider is a 404.
    """
    return {
        "member": [
            _service_entry(s, [e for e in s.endpoints if e.enabled])
            for s in _provider_services(snapshot, provider, service_code)
        ]
    }


def allowed_methods(
    snapshot: Snapshot, provider: SubsystemId, caller: ClientConf, service_code: str | None
) -> dict[str, Any]:
    """What ``caller`` may call at ``provider``: services and endpoints an approved grant covers.

    A grant for the whole service covers all its enabled endpoints; endpoint grants cover
    those endpoints. Disabled services, disabled endpoints and disabled clients give nothing,
    and a service the caller can call no endpoint of is left out.
    """
    services = _provider_services(snapshot, provider, service_code)
    if not caller.enabled:
        return {"member": []}
    entries = []
    for service in services:
        endpoints = [
            e for e in service.endpoints if e.enabled and snapshot.allowed(caller.id, service, e)
        ]
        if endpoints:
            entries.append(_service_entry(service, endpoints))
    return {"member": entries}


# -- getOpenAPI ------------------------------------------------------------------------------


def _for_the_gateway(
    document: dict[str, Any], service: ServiceConf, gateway_url: str
) -> dict[str, Any]:
    """The stored document as integrators should see it through the gateway.

    ``servers`` points at the gateway address of the service, and servers declared on path
    items or operations are dropped: they would name the provider's internal host, which the
    gateway exists to hide. Operations the region switched off are removed.
    """
    disabled = {(e.method.lower(), e.path) for e in service.endpoints if not e.enabled}
    document["servers"] = [
        {
            "url": gateway_url.rstrip("/") + gateway_path(service),
            "description": _("Melalui gateway integrasi Simpul"),
        }
    ]
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return document
    kept: dict[str, Any] = {}
    for template, item in paths.items():
        if not isinstance(item, dict):
            kept[template] = item
            continue
        item.pop("servers", None)
        operations = [key for key in item if key in _OPERATIONS]
        for key in operations:
            if (key, template) in disabled:
                del item[key]
            elif isinstance(item[key], dict):
                item[key].pop("servers", None)
        if not operations or any(key in _OPERATIONS for key in item):
            kept[template] = item
    document["paths"] = kept
    return document


def get_openapi(
    snapshot: Snapshot,
    provider: SubsystemId,
    service_code: str | None,
    *,
    gateway_url: str = "",
) -> tuple[bytes, str]:
    """The OpenAPI document of an enabled service, to call it through the gateway.

    ``gateway_url`` is the gateway's public base (``https://gateway.example.go.id``); left
    empty, ``servers`` holds the absolute path, which OpenAPI resolves against the host the
    document was fetched from. Missing ``serviceCode`` is a 400; an unknown or disabled
    service (or provider) a 404.
    """
    if service_code is None or not service_code.strip():
        raise DirectoryError(
            400,
            "missing_service_code",
            _("Parameter serviceCode wajib diisi dengan kode layanan."),
        )
    code = _service_code_filter(provider, service_code)
    services = _provider_services(snapshot, provider, code)
    if not services:
        raise DirectoryError(
            404,
            "unknown_service",
            _("Layanan %(code)s tidak ada atau tidak aktif pada aplikasi penyedia ini.")
            % {"code": code},
        )
    document = _for_the_gateway(copy.deepcopy(dict(services[0].openapi)), services[0], gateway_url)
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return body, JSON_CONTENT_TYPE

"""What a running gateway knows: an immutable snapshot of providers, clients, keys and grants.

The data plane never queries the database on the hot path. It loads a ``Snapshot`` at start
and loads a new one whenever ``gateway_config_state`` changes (triggers bump it on every change
to the gateway tables, to apps and to agencies). GovStack identifiers map onto the region:

- instance: the region's slug (``kota-bandung``): one region never reaches another's apps;
- member class: ``GOV`` (the region's own agencies);
- member code: the owning agency's slug (``diskominfo``);
- application code: the app's inventory code; service code: the service's code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.core.settings import get_settings
from simpul.gateway.dataplane import repository
from simpul.gateway.dataplane.usertoken import IssuerConf, public_key
from simpul.gateway.registry.models import GOVERNMENT_MEMBER_CLASS, EndUserIdentity
from simpul.gateway.registry.openapi_docs import personal_parameters
from simpul.identity import service as identity
from simpul.inventory.models import App

#: ``(instance, member class, member code, application code)``
SubsystemId = tuple[str, str, str, str]
#: ``(instance, member class, member code, application code, service code)``
ServiceId = tuple[str, str, str, str, str]

#: A template parameter, ``{name}`` (as in OpenAPI path templates).
_PARAM = re.compile(r"\{([^/{}]+)\}")
#: Characters a template's literal text keeps as they are (RFC 3986 pchar and ``/``), so that
#: templates are in the canonical form ``paths.canonical_path`` gives a request's path.
_LITERAL_SAFE = "/!$&'()*+,;=:@"


def template_pattern(template: str) -> re.Pattern[str]:
    """Compile an OpenAPI path template (``/pets/{petId}``) to a full-match regex over canonical
    paths (``paths.canonical_path``): one group per parameter, in order, each one segment."""
    pattern = []
    position = 0
    text = template.rstrip("/") or "/"
    for match in _PARAM.finditer(text):
        pattern.append(re.escape(quote(text[position : match.start()], safe=_LITERAL_SAFE)))
        pattern.append("([^/]+)")
        position = match.end()
    pattern.append(re.escape(quote(text[position:], safe=_LITERAL_SAFE)))
    return re.compile("".join(pattern) + "/?")


def template_parameters(template: str) -> tuple[str, ...]:
    """The names of a template's parameters in the order of their groups."""
    return tuple(_PARAM.findall(template))


def subsystem_text(ident: Iterable[str]) -> str:
    return "/".join(ident)


def parse_subsystem(text: str | None) -> SubsystemId | None:
    """``INSTANCE/CLASS/MEMBER/APPLICATION`` (a caller's header) as a tuple, or None."""
    parts = (text or "").strip().split("/")
    if len(parts) != 4 or not all(parts):
        return None
    return (parts[0], parts[1], parts[2], parts[3])


@dataclass(frozen=True)
class EndpointConf:
    id: uuid.UUID
    method: str
    path: str
    enabled: bool
    pattern: re.Pattern[str]
    #: Fewer parameters and longer literal text win when several templates match.
    specificity: tuple[int, int]
    #: Path parameters the OpenAPI document marks personal: (group of ``pattern``, name).
    personal_path: tuple[tuple[int, str], ...] = ()
    #: Query parameters it marks personal.
    personal_query: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def has_personal(self) -> bool:
        return bool(self.personal_path or self.personal_query)


@dataclass(frozen=True)
class ServiceConf:
    id: uuid.UUID
    region_id: uuid.UUID
    ident: ServiceId
    title: str
    description: str
    version: str
    upstream_url: str
    enabled: bool
    log_bodies: bool
    timeout_seconds: float
    max_body_bytes: int
    openapi: Mapping[str, Any]
    endpoints: tuple[EndpointConf, ...]
    #: Some endpoint has a personal parameter: the message log keeps no path of this service
    #: as it was called (``gateway.msglog.personal``).
    has_personal: bool = False
    #: Whether calls carry the end user's access token, and the scopes it must hold.
    end_user: EndUserIdentity = EndUserIdentity.NONE
    end_user_scopes: frozenset[str] = frozenset()

    @property
    def provider(self) -> SubsystemId:
        return self.ident[:4]

    @property
    def code(self) -> str:
        return self.ident[4]

    @property
    def text(self) -> str:
        return subsystem_text(self.ident)

    def match(self, method: str | None, path: str) -> EndpointConf | None:
        """The endpoint whose method and template match ``path`` (relative to the service, in
        canonical form); with ``method`` None, the best template whatever its method."""
        best: EndpointConf | None = None
        for endpoint in self.endpoints:
            if method is not None and endpoint.method != method:
                continue
            if not endpoint.pattern.fullmatch(path or "/"):
                continue
            if best is None or endpoint.specificity < best.specificity:
                best = endpoint
        return best


@dataclass(frozen=True)
class SubsystemConf:
    """An app known to the gateway (a provider, a client or both) and its owner agency."""

    app_id: uuid.UUID
    region_id: uuid.UUID
    ident: SubsystemId
    name: str
    member_name: str

    @property
    def text(self) -> str:
        return subsystem_text(self.ident)


@dataclass(frozen=True)
class ClientConf:
    id: uuid.UUID
    region_id: uuid.UUID
    ident: SubsystemId
    name: str
    enabled: bool
    rate_limit_per_minute: int
    #: The inventory app: a user's token must have been issued to this app's relying party.
    app_id: uuid.UUID | None = None

    @property
    def text(self) -> str:
        return subsystem_text(self.ident)

    @cached_property
    def key(self) -> str:
        """The client's rate-limit bucket."""
        return str(self.id)

    @cached_property
    def header_value(self) -> bytes:
        """``Information-Mediator-Client`` as the provider receives it: who was authenticated."""
        return self.text.encode()


@dataclass(frozen=True)
class CredentialConf:
    client_id: uuid.UUID
    expires_at: datetime | None


@dataclass(frozen=True)
class Snapshot:
    """Everything the data plane and the directory need, keyed for O(1) lookups."""

    #: region id -> config version the snapshot was built from
    versions: Mapping[uuid.UUID, int]
    #: region slug (the GovStack instance) -> region id
    instances: Mapping[str, uuid.UUID]
    services: Mapping[ServiceId, ServiceConf]
    #: apps that offer at least one service or hold a client registration
    subsystems: Mapping[SubsystemId, SubsystemConf]
    clients: Mapping[SubsystemId, ClientConf]
    clients_by_id: Mapping[uuid.UUID, ClientConf]
    #: SHA-256 of an API key -> its client (revoked keys are left out)
    credentials: Mapping[bytes, CredentialConf]
    #: approved grants, groups expanded: (client id, service id, endpoint id or None)
    grants: frozenset[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]] = field(
        default_factory=frozenset
    )
    #: region id -> its provider's issuer, published keys, relying parties, revoked tokens
    issuers: Mapping[uuid.UUID, IssuerConf] = field(default_factory=dict)

    def allowed(self, client_id: uuid.UUID, service: ServiceConf, endpoint: EndpointConf) -> bool:
        """An approved grant for the whole service or for this endpoint."""
        return (client_id, service.id, None) in self.grants or (
            client_id,
            service.id,
            endpoint.id,
        ) in self.grants

    def provider_services(self, provider: SubsystemId) -> list[ServiceConf]:
        return [s for s in self.services.values() if s.provider == provider]


def identity_problems(snapshot: Snapshot) -> list[str]:
    """Services that ask for the end user's token but whose region publishes no signing key
    (every such call would be refused): checked and logged on each reload."""
    return sorted(
        service.text
        for service in snapshot.services.values()
        if service.end_user is not EndUserIdentity.NONE
        and not (
            snapshot.issuers.get(service.region_id) and snapshot.issuers[service.region_id].keys
        )
    )


def _specificity(template: str) -> tuple[int, int]:
    params = len(_PARAM.findall(template))
    literal = len(_PARAM.sub("", template))
    return (params, -literal)


def current_versions(session: Session) -> dict[uuid.UUID, int]:
    """The config version per region: cheap enough to poll."""
    return repository.config_versions(session)


def issuers(
    session: Session, regions: Iterable[Region], public_url: str
) -> dict[uuid.UUID, IssuerConf]:
    """Each region's provider as ``usertoken.verify`` needs it; keys that are not RS256
    public keys of at least 2048 bits are left out."""
    result: dict[uuid.UUID, IssuerConf] = {}
    for region_id, conf in identity.gateway_identity_snapshot(session, regions, public_url).items():
        keys = {}
        for kid, (jwk, retire_after) in conf.keys.items():
            key = public_key(jwk)
            if key is not None:
                keys[kid] = (key, retire_after)
        result[region_id] = IssuerConf(
            issuer=conf.issuer,
            keys=keys,
            client_apps={client_id: app for client_id, (app, _pk) in conf.clients.items()},
            revoked=conf.revoked,
        )
    return result


def load_snapshot(session: Session, public_url: str | None = None) -> Snapshot:
    """Build a snapshot of every region in one read-only pass (a handful of queries);
    ``public_url`` (the issuers' base) defaults to the setting."""
    versions = current_versions(session)
    regions = {r.id: r for r in repository.all_regions(session)}
    agencies = {a.id: a for a in repository.all_agencies(session)}

    def subsystem(app: App) -> SubsystemConf:
        agency = agencies[app.agency_id]
        return SubsystemConf(
            app_id=app.id,
            region_id=app.region_id,
            ident=(regions[app.region_id].slug, GOVERNMENT_MEMBER_CLASS, agency.slug, app.code),
            name=app.name,
            member_name=agency.name,
        )

    service_rows = repository.all_services(session)
    client_rows = repository.all_clients(session)
    app_ids = {s.app_id for s in service_rows} | {c.app_id for c in client_rows}
    apps = {a.id: a for a in repository.apps_by_ids(session, app_ids)}
    subsystems = {app_id: subsystem(app) for app_id, app in apps.items()}

    documents = {s.id: s.openapi for s in service_rows}
    endpoints: dict[uuid.UUID, list[EndpointConf]] = {}
    for e in repository.all_endpoints(session):
        in_path, in_query = personal_parameters(documents.get(e.service_id, {}), e.path, e.method)
        endpoints.setdefault(e.service_id, []).append(
            EndpointConf(
                id=e.id,
                method=e.method,
                path=e.path,
                enabled=e.enabled,
                pattern=template_pattern(e.path),
                specificity=_specificity(e.path),
                personal_path=tuple(
                    (group, name)
                    for group, name in enumerate(template_parameters(e.path), start=1)
                    if name in in_path
                ),
                personal_query=in_query,
            )
        )

    services: dict[ServiceId, ServiceConf] = {}
    for s in service_rows:
        provider = subsystems[s.app_id]
        ident: ServiceId = (*provider.ident, s.code)
        services[ident] = ServiceConf(
            id=s.id,
            region_id=s.region_id,
            ident=ident,
            title=s.title,
            description=s.description,
            version=s.version,
            upstream_url=s.upstream_url.rstrip("/"),
            enabled=s.enabled,
            log_bodies=s.log_bodies,
            timeout_seconds=s.timeout_seconds,
            max_body_bytes=s.max_body_bytes,
            openapi=s.openapi,
            endpoints=tuple(endpoints.get(s.id, ())),
            has_personal=any(e.has_personal for e in endpoints.get(s.id, ())),
            end_user=s.end_user_identity,
            end_user_scopes=frozenset(s.end_user_scopes) | {"openid"},
        )

    clients_by_id: dict[uuid.UUID, ClientConf] = {}
    for c in client_rows:
        sub = subsystems[c.app_id]
        clients_by_id[c.id] = ClientConf(
            id=c.id,
            region_id=c.region_id,
            ident=sub.ident,
            name=sub.name,
            enabled=c.enabled,
            rate_limit_per_minute=c.rate_limit_per_minute,
            app_id=c.app_id,
        )

    credentials = {
        cred.key_digest: CredentialConf(client_id=cred.client_id, expires_at=cred.expires_at)
        for cred in repository.live_credentials(session)
    }

    members: dict[uuid.UUID, set[uuid.UUID]] = {}
    for m in repository.all_group_members(session):
        members.setdefault(m.group_id, set()).add(m.client_id)
    grants: set[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]] = set()
    for g in repository.approved_grants(session):
        grantees = (
            {g.client_id} if g.client_id else members.get(g.group_id or uuid.UUID(int=0), set())
        )
        for client_id in grantees:
            if client_id is not None:
                grants.add((client_id, g.service_id, g.endpoint_id))

    return Snapshot(
        versions=versions,
        instances={r.slug: r.id for r in regions.values()},
        services=services,
        subsystems={sub.ident: sub for sub in subsystems.values()},
        clients={c.ident: c for c in clients_by_id.values()},
        clients_by_id=clients_by_id,
        credentials=credentials,
        grants=frozenset(grants),
        issuers=issuers(
            session,
            regions.values(),
            public_url if public_url is not None else get_settings().public_url,
        ),
    )

"""Accounts API: register a citizen, read your account, manage your personal API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from simpul.accounts import registration, service
from simpul.accounts.auth import CurrentApiUser
from simpul.accounts.models import User
from simpul.accounts.schemas import (
    AccountOut,
    CitizenRegistration,
    RegistrationAccepted,
    StaffRoleOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from simpul.catalogue import service as catalogue_service
from simpul.core.database import DbSession
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.web.api_errors import CLIENT_ERRORS
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}",
    tags=["accounts"],
    route_class=CommittingRoute,
    responses=CLIENT_ERRORS,
)


def _account_out(session: DbSession, region: Region, user: User) -> AccountOut:
    agencies = {
        a.agency.id: a.agency.slug for a in catalogue_service.list_agencies(session, region)
    }
    return AccountOut(
        id=user.id,
        kind=user.kind.value,
        email=user.email,
        full_name=user.full_name,
        phone=user.phone,
        nik_masked=service.masked_nik_of(user),
        roles=[
            StaffRoleOut(agency=agencies.get(r.agency_id, ""), role=r.role.value)
            for r in user.roles
        ],
        created_at=user.created_at,
    )


@router.post("/accounts", response_model=RegistrationAccepted, status_code=status.HTTP_202_ACCEPTED)
def register_citizen(
    request: Request, region: CurrentRegion, session: DbSession, body: CitizenRegistration
) -> RegistrationAccepted:
    """Register a citizen with NIK. Malformed fields are named (422) and nothing is made.

    Otherwise the answer is always the same, whether or not the NIK or e-mail already has an
    account: the account opens when the link sent to the e-mail address is used, and the
    owner of a taken NIK or address is told by e-mail instead. Limited per source address,
    NIK and e-mail address (429 with ``Retry-After``).
    """
    received = registration.register_citizen(
        session, region, body, client=request.client.host if request.client else None
    )
    return RegistrationAccepted(status="pending_activation", message=received.message())


@router.get("/me", response_model=AccountOut)
def me(region: CurrentRegion, session: DbSession, user: CurrentApiUser) -> AccountOut:
    """The account the bearer token belongs to (the NIK is masked)."""
    return _account_out(session, region, user)


@router.get("/me/data")
def export_my_data(
    region: CurrentRegion, session: DbSession, user: CurrentApiUser
) -> dict[str, object]:
    """Everything the region holds about your account (UU 27/2022: the right of access).

    This is the only response that carries your NIK in full.
    """
    return service.export_personal_data(session, region, user)


@router.get("/me/tokens", response_model=list[TokenOut])
def list_tokens(session: DbSession, user: CurrentApiUser, region: CurrentRegion) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_api_tokens(session, user)]


@router.post("/me/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(
    session: DbSession, user: CurrentApiUser, region: CurrentRegion, body: TokenCreate
) -> TokenCreated:
    """Create another personal token. The token is in the response once; only a hash is kept."""
    token, raw = service.create_api_token(session, user, body.name)
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=raw)


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    session: DbSession, user: CurrentApiUser, region: CurrentRegion, token_id: uuid.UUID
) -> Response:
    service.revoke_api_token(session, user, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

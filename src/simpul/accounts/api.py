"""Accounts API: register a citizen, read your account, manage your personal API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from simpul.accounts import service
from simpul.accounts.auth import CurrentApiUser
from simpul.accounts.models import User
from simpul.accounts.schemas import (
    AccountOut,
    CitizenRegistration,
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


@router.post("/accounts", response_model=AccountOut, status_code=status.HTTP_201_CREATED)
def register_citizen(
    region: CurrentRegion, session: DbSession, body: CitizenRegistration
) -> AccountOut:
    """Open a citizen account with NIK. Nothing is created when any field is invalid."""
    user = service.register_citizen(session, region, body)
    return _account_out(session, region, user)


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

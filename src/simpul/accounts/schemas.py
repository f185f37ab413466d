"""Shapes of account data going in and out of the API and forms."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simpul.core.text import SafeText


class CitizenRegistration(BaseModel):
    """What a citizen gives to open an account. Checked by ``registration.register_citizen``."""

    model_config = ConfigDict(str_strip_whitespace=True)

    nik: str = Field(max_length=40)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str = Field(max_length=30)
    password: str = Field(max_length=200)
    password_confirm: str | None = Field(default=None, max_length=200)
    consent: bool = Field(
        default=False, description="Agreement to the processing of personal data (UU 27/2022)."
    )


class RegistrationAccepted(BaseModel):
    """The answer to every well-formed registration, whatever is already registered."""

    status: Literal["pending_activation"]
    message: str = Field(description="What happens next, in the caller's language.")


class StaffRoleOut(BaseModel):
    agency: str
    role: str


class AccountOut(BaseModel):
    id: uuid.UUID
    kind: str
    email: str
    full_name: str
    phone: str
    nik_masked: str | None
    roles: list[StaffRoleOut]
    created_at: datetime


class TokenCreate(BaseModel):
    name: SafeText = Field(min_length=1, max_length=100)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown only now: store it safely.")

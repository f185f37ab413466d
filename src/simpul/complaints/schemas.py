"""The JSON API's bodies (``complaints.api``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class ComplaintIn(BaseModel):
    """A complaint, aspiration or request for information sent by an app."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field("complaint", description="complaint, aspiration or information")
    category: str = Field(max_length=60, description="The category's code (Open311 service_code)")
    title: str = Field(max_length=150)
    description: str = Field(max_length=4000)
    anonymous: bool = Field(default=False, description="The agency does not see who filed it")
    confidential: bool = Field(default=False, description="The public does not see it")
    latitude: float | None = None
    longitude: float | None = None
    address: str = Field("", max_length=300)


class ComplaintCreated(BaseModel):
    number: str
    status: str
    #: Shown once when filed without an account: with the number it opens the complaint.
    access_code: str | None = None


class ComplaintOut(BaseModel):
    number: str
    kind: str
    status: str
    category: str
    category_name: str
    agency: str
    title: str
    description: str
    confidential: bool
    latitude: float | None
    longitude: float | None
    address: str
    filed_at: datetime
    resolution_due: date


class CategoryOut(BaseModel):
    code: str
    name: str
    description: str
    group: str
    needs_location: bool

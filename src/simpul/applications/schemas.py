"""JSON shapes of Simpul's own applications API (GovStack shapes: registration_schemas)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class ApplicationSummaryOut(BaseModel):
    id: uuid.UUID
    tracking_number: str
    service: str = Field(description="Service slug.")
    service_name: str
    status: str = Field(description="draft, submitted, returned, completed or rejected.")
    current_step: str | None
    submitted_at: datetime | None
    due_date: date | None = Field(description="The agency's deadline (working days, local date).")
    finished_at: datetime | None
    url: str
    document_url: str | None = Field(
        default=None,
        description="The signed PDF issued for a completed application, once it is issued.",
    )


class EventOut(BaseModel):
    at: datetime
    action: str
    from_status: str | None
    to_status: str
    step: str | None
    actor: str
    note: str


class DocumentOut(BaseModel):
    id: uuid.UUID
    requirement: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str


class ApplicationOut(ApplicationSummaryOut):
    data: dict[str, Any]
    masked_fields: list[str] = Field(
        default_factory=list,
        description="Paths of the answers in `data` shown masked (personal data the caller "
        "may not read whole); empty when every answer is whole.",
    )
    documents: list[DocumentOut]
    history: list[EventOut]


class NotificationOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID | None
    kind: str
    text: str
    created_at: datetime
    read: bool

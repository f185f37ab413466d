"""Every query of the documents domain."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.applications.models import Application
from simpul.catalogue.models import Agency, Service
from simpul.documents.models import IssuedDocument


def get_issued_document_by_code(
    session: Session, region_id: uuid.UUID, code: str
) -> IssuedDocument | None:
    """The region's issued document with this verification code, revoked or not."""
    return session.scalar(
        select(IssuedDocument).where(
            IssuedDocument.region_id == region_id, IssuedDocument.code == code
        )
    )


def get_issued_documents_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> list[IssuedDocument]:
    """The application's issued documents, newest first (a re-issue follows a revocation)."""
    return list(
        session.scalars(
            select(IssuedDocument)
            .where(
                IssuedDocument.region_id == region_id,
                IssuedDocument.application_id == application_id,
            )
            .order_by(IssuedDocument.created_at.desc())
        )
    )


def get_agency_id_of_document(
    session: Session, region_id: uuid.UUID, document: IssuedDocument
) -> uuid.UUID | None:
    """The agency responsible for the service the document was issued for."""
    return session.scalar(
        select(Service.agency_id)
        .join(Application, Application.service_id == Service.id)
        .where(
            Application.region_id == region_id,
            Application.id == document.application_id,
            Service.region_id == region_id,
        )
    )


def get_service_and_agency_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> tuple[Service, Agency] | None:
    """The service an application was for, and its agency (what a verification page names)."""
    row = session.execute(
        select(Service, Agency)
        .join(Application, Application.service_id == Service.id)
        .join(Agency, Agency.id == Service.agency_id)
        .where(
            Application.region_id == region_id,
            Application.id == application_id,
            Service.region_id == region_id,
            Agency.region_id == region_id,
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])

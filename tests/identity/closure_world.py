"""A citizen with something of every kind Simpul holds, to close the account of: a completed
application (kept by the archive rule) and a rejected one (its answers and uploads erased),
an upload never attached, a complaint, notifications and their deliveries, an API token, a
browser session, and a consent and tokens of an app of the inventory."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import User
from simpul.applications.models import (
    Application,
    ApplicationIdentifier,
    ApplicationStatus,
    Document,
    Notification,
)
from simpul.catalogue.models import Service
from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint
from simpul.core.models import Region, utcnow
from simpul.identity import service as identity_service
from simpul.identity.models import OidcClient, OidcToken
from simpul.notify.models import Channel, Delivery
from tests.complaints.conftest import PASSWORD, ComplaintWorld, build_world, pothole_filing
from tests.gateway.conftest import add_app

__all__ = ["PASSWORD", "ClosureWorld", "build_closure_world"]


@dataclass
class ClosureWorld:
    base: ComplaintWorld
    region: Region
    citizen: User
    other: User
    service: Service
    completed: Application
    rejected: Application
    kept_upload: Document
    erased_uploads: list[Document]
    complaint: Complaint
    client: OidcClient
    api_token: str
    session_token: str


def _document(
    session: Session, world: ComplaintWorld, owner: User, application: Application | None
) -> Document:
    key = f"uploads/{uuid.uuid4().hex}.pdf"
    document = Document(
        region_id=world.region.id,
        owner_id=owner.id,
        application_id=application.id if application else None,
        requirement_code="ktp" if application else None,
        filename="ktp.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        storage_key=key,
    )
    session.add(document)
    return document


def _application(
    session: Session, region: Region, service: Service, user: User, status: ApplicationStatus
) -> Application:
    application = Application(
        region_id=region.id,
        service_id=service.id,
        applicant_id=user.id,
        tracking_number=uuid.uuid4().hex[:12].upper(),
        status=status,
        submitted_at=utcnow() - timedelta(days=3),
        finished_at=utcnow(),
        data={"nama": "Siti Aminah", "nik": "3273********0001"},
        data_encrypted="terenkripsi",
        application_name="Siti Aminah",
    )
    session.add(application)
    session.flush()
    return application


def build_closure_world(session: Session, slug: str = "kota-tutup") -> ClosureWorld:
    base = build_world(session, slug)
    region, citizen = base.region, base.citizen
    citizen.phone = "+6281234567890"
    service = session.scalars(
        select(Service).where(Service.region_id == region.id).order_by(Service.slug)
    ).first()
    assert service is not None
    completed = _application(session, region, service, citizen, ApplicationStatus.COMPLETED)
    rejected = _application(session, region, service, citizen, ApplicationStatus.REJECTED)
    session.add(
        ApplicationIdentifier(
            region_id=region.id,
            application_id=rejected.id,
            field="nik",
            kind="nik",
            value_hash=b"x" * 32,
        )
    )
    kept_upload = _document(session, base, citizen, completed)
    erased = [_document(session, base, citizen, rejected), _document(session, base, citizen, None)]
    # The other citizen's upload and application: untouched by the closure.
    _application(session, region, service, base.other_citizen, ApplicationStatus.REJECTED)
    notification = Notification(
        region_id=region.id, user_id=citizen.id, application_id=rejected.id, kind="rejected"
    )
    session.add(notification)
    session.flush()
    session.add(
        Delivery(
            region_id=region.id,
            notification_id=notification.id,
            user_id=citizen.id,
            channel=Channel.EMAIL,
            recipient=citizen.email,
        )
    )
    complaint = complaints.file_complaint(
        session, region, pothole_filing(), reporter=citizen
    ).complaint
    _token, raw_api_token = accounts_service.create_api_token(session, citizen, "skrip")
    session_token, _expires = accounts_service.start_session(session, citizen)
    app = add_app(session, region, base.roads, "portal-tutup", "Portal Tutup")
    client, _secret = identity_service.register_client(
        session,
        region,
        app_id=app.id,
        registration=identity_service.ClientRegistration(
            client_id="portal-tutup",
            name="Portal Tutup",
            is_public=False,
            redirect_uris=["http://127.0.0.1:8765/callback"],
            allowed_scopes=["openid", "profile", "email"],
        ),
        actor=None,
        secret="rahasia-klien-tutup-0123456789",
    )
    identity_service.grant_consent(session, citizen, client, ["openid", "email"])
    now = utcnow()
    session.add(
        OidcToken(
            region_id=region.id,
            client_pk=client.id,
            user_id=citizen.id,
            family_id=uuid.uuid4(),
            scope="openid email",
            access_jti=uuid.uuid4().hex,
            access_expires_at=now + timedelta(minutes=10),
            auth_time=now,
        )
    )
    session.flush()
    return ClosureWorld(
        base=base,
        region=region,
        citizen=citizen,
        other=base.other_citizen,
        service=service,
        completed=completed,
        rejected=rejected,
        kept_upload=kept_upload,
        erased_uploads=erased,
        complaint=complaint,
        client=client,
        api_token=raw_api_token,
        session_token=session_token,
    )

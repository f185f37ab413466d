"""GovStack Registration Building Block API at ``/api/{region}/registration``.

Implements the paths of the GovStack Registration BB API 0.1.1 and its statistics API 1.0.0
so that an integrated app, or another GovStack system, applies and processes applications
by API. Decisions (the spec leaves these open):

- Auth: every endpoint needs ``Authorization: Bearer <personal API token>`` (401 otherwise).
  Applicants are citizens; operators are staff with an agency role. Region admins are
  neither: they may read the catalogue and statistics only.
- ``Information-Mediator-Client`` (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``) is optional on every
  endpoint; a malformed one is refused (400). It is kept on submitted applications
  (``client_identity``, channel ``api``) and in the audit record of operator actions
  (``application.update``, ``application.decide``: details ``client``).
- IDs are UUIDs. A path ID that is not one, or names nothing the caller may see, is a 404:
  another citizen's file, or another agency's file or task, does not exist for the caller.
- A service has one eForm, whose id is the service's id; ``version`` is the time of the
  service's last edit (``YYYYMMDDhhmmss`` UTC), so it changes whenever the service does.
- ``POST /documents`` takes one or more ``file`` parts from a citizen (content-sniffed:
  PDF, JPEG, PNG; 415 otherwise, 413 over the size limit) and answers the spec's
  ``uploadResponse`` whose ``url`` (plus the ``documentUrls`` extension, one per file) goes
  into ``documentUrls`` of the submission; ``submission.submit_new`` matches them to the
  service's required documents (listed in ``serviceBody`` as ``required_document.{code}``)
  by position. ``additionalMetadata`` is accepted and ignored. ``GET /documents/{documentId}``
  is a Simpul addition: the owner or a responsible officer downloads the file (officers'
  downloads are recorded).
- ``POST /services/{serviceId}/applications``: ``applicantId`` must be the caller's own id
  (403 otherwise); ``created`` is ignored. Send ``Idempotency-Key``: a retry with the same key
  returns the first result (``Idempotent-Replayed: true``) and creates nothing. Field errors
  (422) name the eForm path (``alamat.jalan``) or ``documents.{code}``.
- ``PUT /applications/{fileId}`` (operators) replaces the form data only; ``applicantId``
  must be the file's applicant, ``documentUrls`` are ignored.
- Status: submitted -> PENDING, returned -> SENDBACK, completed -> APPROVED, rejected ->
  REJECTED; ``ended`` once completed or rejected. Drafts (made on the web) are never listed.
- Lists page with ``firstResult`` (0-based) and ``maxResult`` (1-100, default 20), sort by
  ``created`` only, newest first unless ``sortOrder=asc``; the total is in ``X-Total-Count``.
- Tasks are flat (one per workflow step), so a task is its own ``mainTaskId``. ``GET /tasks``
  lists the tasks at the steps of the officer's roles, open and done. Completing takes
  ``{"data": {"decision": "APPROVED"|"SENDBACK"|"REJECTED", "comment": "..."}}``; citizens get
  403 on task endpoints.
- Personal data (decision 0022): form fields marked ``x-simpul-personal`` come back whole to
  the applicant (their own file) and to operators at the file's current step (each read is
  an audit event naming the fields and the ``Information-Mediator-Client``); other operators
  get masks (``3273••••••••0001``) in ``formData.data`` and ``formVariables``. Lists carry no
  form data.
- Statistics: see ``applications.statistics`` for exactly what is counted.
- Errors keep Simpul's shape ``{"error": {"code", "message", "details"}}`` rather than the
  spec's ``systemError``, like the rest of the API.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, File, Header, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from simpul.accounts.auth import CurrentApiUser, require_api_user
from simpul.applications import documents, registration_service, statistics
from simpul.applications.files import ACCEPTED_TYPES
from simpul.applications.registration_schemas import (
    AdditionalData,
    ApplicantApplicationFileListResponse,
    ApplicationFileResponse,
    ApplicationFileSubmit,
    CompletedTaskResponse,
    DataUserTaskResponse,
    EForm,
    EFormListItem,
    RegistrationService,
    StatisticsRow,
    UploadResponse,
    UserTaskResponse,
    application_file_response,
    application_list_item,
    completed_task_response,
    data_user_task_response,
    eform_item,
    eform_out,
    service_out,
    statistics_rows,
    upload_response,
    user_task_response,
)
from simpul.applications.registration_service import paging
from simpul.applications.uploads import AppStorage, AppUploadRules, SourceAddress
from simpul.core.database import DbSession
from simpul.core.errors import DomainError, NotFound
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.web.api_errors import ErrorResponse
from simpul.web.routing import CommittingRoute

# -- headers and path parameters ----------------------------------------------------------

_IDENTITY_PART = r"[\x21-\x2e\x30-\x7e]{1,100}"  # printable ASCII except "/" and space
_IDENTITY: Final = re.compile(rf"{_IDENTITY_PART}(?:/{_IDENTITY_PART}){{3}}")
MAX_IDENTITY: Final = 300


def client_identity(
    header: Annotated[
        str | None,
        Header(
            alias="Information-Mediator-Client",
            description="The calling GovStack system: INSTANCE/CLASS/MEMBER/SUBSYSTEM.",
            examples=["eGovStack/GOV/90000009/digitalregistries"],
        ),
    ] = None,
) -> str | None:
    """The caller's Information Mediator identity, if sent; a malformed one is refused."""
    if header is None:
        return None
    if len(header) > MAX_IDENTITY or not _IDENTITY.fullmatch(header):
        raise DomainError(
            _("Information-Mediator-Client harus berbentuk INSTANCE/CLASS/MEMBER/SUBSYSTEM."),
            details=[{"field": "Information-Mediator-Client", "message": _("Format tidak valid.")}],
        )
    return header


ClientIdentity = Annotated[str | None, Depends(client_identity)]


_UUID: Final = {"format": "uuid"}


def _uuid_or_404(raw: str, message: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(message) from None


def _service_id(
    value: Annotated[
        str, Path(alias="serviceId", description="The id of a service.", json_schema_extra=_UUID)
    ],
) -> uuid.UUID:
    return _uuid_or_404(value, _("Layanan tidak ditemukan di wilayah ini."))


def _eform_id(
    value: Annotated[
        str, Path(alias="eFormId", description="The id of an eForm.", json_schema_extra=_UUID)
    ],
) -> uuid.UUID:
    return _uuid_or_404(value, _("Formulir tidak ditemukan."))


def _file_id(
    value: Annotated[
        str,
        Path(alias="fileId", description="The id of an application file.", json_schema_extra=_UUID),
    ],
) -> uuid.UUID:
    return _uuid_or_404(value, _("Permohonan tidak ditemukan."))


def _task_id(
    value: Annotated[
        str, Path(alias="taskId", description="The id of a task.", json_schema_extra=_UUID)
    ],
) -> uuid.UUID:
    return _uuid_or_404(value, _("Tugas tidak ditemukan."))


def _document_id(
    value: Annotated[
        str, Path(alias="documentId", description="The id of a document.", json_schema_extra=_UUID)
    ],
) -> uuid.UUID:
    return _uuid_or_404(value, _("Dokumen tidak ditemukan."))


ServiceId = Annotated[uuid.UUID, Depends(_service_id)]
EFormId = Annotated[uuid.UUID, Depends(_eform_id)]
FileId = Annotated[uuid.UUID, Depends(_file_id)]
TaskId = Annotated[uuid.UUID, Depends(_task_id)]
DocumentId = Annotated[uuid.UUID, Depends(_document_id)]

FirstResult = Annotated[
    int | None,
    Query(
        alias="firstResult",
        description="0-based index of the first result.",
        ge=0,
        le=registration_service.MAX_OFFSET,
    ),
]
MaxResult = Annotated[
    int | None,
    Query(
        alias="maxResult",
        description="1-100; default 20.",
        ge=1,
        le=registration_service.MAX_PAGE_SIZE,
    ),
]
SortBy = Annotated[str | None, Query(alias="sortBy", description="Only `created`.")]
SortOrder = Annotated[str | None, Query(alias="sortOrder", description="`asc` or `desc`.")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error responses in Simpul's shape (422 replaces FastAPI's default validation error)."""
    return {code: {"model": ErrorResponse} for code in (401, *codes, 422)}


def _operation(operation_id: str, tags: str, *errors: int) -> dict[str, Any]:
    """The spec's operation id and tags (``Applicant,Operator``), and the errors it answers.

    Unset optional fields are left out of answers: the spec's types do not allow null.
    """
    return {
        "operation_id": operation_id,
        "tags": tags.split(","),
        "responses": _errors(*errors),
        "response_model_exclude_none": True,
    }


router = APIRouter(
    prefix="/api/{region}/registration",
    route_class=CommittingRoute,
    dependencies=[Depends(client_identity), Depends(require_api_user)],
    responses={
        400: {"model": ErrorResponse, "description": "Malformed Information-Mediator-Client"}
    },
)


# -- available services -------------------------------------------------------------------


@router.get(
    "/services",
    response_model=list[RegistrationService],
    **_operation("getServiceList", "Available Services"),
)
def list_services(
    region: CurrentRegion,
    session: DbSession,
    name: Annotated[str | None, Query(description="Part of the name, any case.")] = None,
) -> list[RegistrationService]:
    """The region's published services (also those not yet open for online applications)."""
    return [service_out(s) for s in registration_service.published_services(session, region, name)]


@router.get(
    "/services/{serviceId}",
    response_model=RegistrationService,
    **_operation("getService", "Available Services", 404),
)
def get_service(
    region: CurrentRegion, session: DbSession, service_id: ServiceId
) -> RegistrationService:
    """A published service with its standard (14 components), SLA, fee and documents."""
    return service_out(registration_service.published_service(session, region, service_id))


@router.get(
    "/services/{serviceId}/eForms",
    response_model=list[EFormListItem],
    **_operation("getServiceSchemaByServiceKey", "Available Services", 404),
)
def list_eforms(
    region: CurrentRegion, session: DbSession, service_id: ServiceId
) -> list[EFormListItem]:
    """The service's eForm (a service has exactly one; its id is the service's)."""
    return [eform_item(registration_service.published_service(session, region, service_id))]


@router.get(
    "/eForms/{eFormId}",
    response_model=EForm,
    **_operation("getEFormById", "Available Services", 404),
)
def get_eform(region: CurrentRegion, session: DbSession, eform_id: EFormId) -> EForm:
    """The eForm's JSON Schema (draft 2020-12), UI hints under `x-ui`."""
    return eform_out(registration_service.published_eform(session, region, eform_id))


# -- applicant ----------------------------------------------------------------------------


@router.post(
    "/documents",
    response_model=UploadResponse,
    **_operation("uploadFile", "Applicant,Operator", 403, 413, 415, 429),
)
def upload_documents(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    storage: AppStorage,
    rules: AppUploadRules,
    address: SourceAddress,
    file: Annotated[
        list[UploadFile],
        File(
            description="One or more PDF, JPEG or PNG files (limits: SIMPUL_UPLOAD_MAX_BYTES "
            "per file, SIMPUL_UPLOAD_MAX_IMAGE_PIXELS per image, no active content in PDFs, "
            "the citizen's pending-upload quota and upload rate; every refusal names the "
            "limit it hit)."
        ),
    ],
    additional_metadata: Annotated[
        str | None, Query(alias="additionalMetadata", description="Accepted and ignored.")
    ] = None,
) -> UploadResponse:
    """Upload requirement documents (citizens) to link to a submission by their URLs."""
    del additional_metadata
    files = [(part.file, part.filename or "") for part in file]
    stored = documents.upload_documents(
        session, region, storage, user, files, rules=rules, address=address
    )
    return upload_response(region.slug, stored)


@router.get(
    "/documents/{documentId}",
    response_class=StreamingResponse,
    **_operation("downloadFile", "Applicant,Operator", 404)
    | {"responses": {200: {"content": {t: {} for t in ACCEPTED_TYPES}}, **_errors(404)}},
)
def download_document(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    storage: AppStorage,
    document_id: DocumentId,
) -> StreamingResponse:
    """Download a document: its owner, or an officer responsible for its application."""
    document, stream = documents.open_document(session, region, storage, user, document_id)
    return StreamingResponse(
        stream, media_type=document.content_type, headers=documents.download_headers(document)
    )


@router.post(
    "/services/{serviceId}/applications",
    response_model=ApplicationFileResponse,
    **_operation("submitApplicationFile", "Applicant", 403, 404, 409),
)
def submit_application(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    client: ClientIdentity,
    service_id: ServiceId,
    body: ApplicationFileSubmit,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="1-200 characters; a retry with the same key returns the first result.",
        ),
    ] = None,
) -> ApplicationFileResponse:
    """Submit an application with its form data and uploaded documents, in one call."""
    form = body.form_data
    file, created = registration_service.submit_file(
        session,
        region,
        user,
        service_id,
        applicant_id=body.applicant_id,
        data=form.data if form else {},
        eform_id=form.e_form_id if form else None,
        document_urls=body.document_urls,
        application_name=body.application_name,
        idempotency_key=idempotency_key,
        client_identity=client,
    )
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return application_file_response(region.slug, file)


@router.get(
    "/applications",
    response_model=list[ApplicantApplicationFileListResponse],
    **_operation("getApplicantFileList", "Applicant,Operator", 403),
)
def list_applications(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    response: Response,
    service_id: Annotated[uuid.UUID | None, Query(alias="serviceId")] = None,
    applicant_id: Annotated[str | None, Query(alias="applicantId")] = None,
    first_result: FirstResult = None,
    max_result: MaxResult = None,
    sort_by: SortBy = None,
    sort_order: SortOrder = None,
) -> list[ApplicantApplicationFileListResponse]:
    """A citizen's own files, or an officer's: the files of their agencies' services."""
    page = registration_service.list_files(
        session,
        region,
        user,
        service_id=service_id,
        applicant_id=applicant_id,
        page=paging(first_result, max_result, sort_by, sort_order),
    )
    response.headers["X-Total-Count"] = str(page.total)
    return [
        application_list_item(region.slug, row, page.documents[row.application.id])
        for row in page.rows
    ]


@router.get(
    "/applications/{fileId}",
    response_model=ApplicationFileResponse,
    **_operation("getApplicationFileById", "Applicant,Operator", 404),
)
def get_application(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    client: ClientIdentity,
    file_id: FileId,
) -> ApplicationFileResponse:
    """One file, for its applicant or an officer of its agency (officers' reads are audited).

    Personal answers (eForm fields marked `x-simpul-personal`) are whole for the applicant
    and for officers at the file's current step; other officers get masks.
    """
    file = registration_service.read_file(session, region, user, file_id, client_identity=client)
    return application_file_response(region.slug, file)


@router.put(
    "/applications/{fileId}",
    response_model=ApplicationFileResponse,
    **_operation("updateApplicationFileForm", "Operator", 403, 404, 409),
)
def update_application(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    client: ClientIdentity,
    file_id: FileId,
    body: ApplicationFileSubmit,
) -> ApplicationFileResponse:
    """An operator corrects the form data of a file waiting at their step."""
    file = registration_service.update_file(
        session,
        region,
        user,
        file_id,
        applicant_id=body.applicant_id,
        data=body.form_data.data if body.form_data else {},
        client_identity=client,
    )
    return application_file_response(region.slug, file)


# -- operator -----------------------------------------------------------------------------


@router.get(
    "/tasks",
    response_model=list[UserTaskResponse],
    **_operation("getTasks", "Operator,Applicant", 403),
)
def list_tasks(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    response: Response,
    main_task_id: Annotated[str | None, Query(alias="mainTaskId")] = None,
    file_id: Annotated[str | None, Query(alias="fileId")] = None,
    assignee_id: Annotated[str | None, Query(alias="assigneeId")] = None,
    first_result: FirstResult = None,
    max_result: MaxResult = None,
    sort_by: SortBy = None,
    sort_order: SortOrder = None,
) -> list[UserTaskResponse]:
    """The tasks at the steps of the operator's roles in their agencies, open and done."""
    rows, total = registration_service.list_tasks(
        session,
        region,
        user,
        main_task_id=main_task_id,
        file_id=file_id,
        assignee_id=assignee_id,
        page=paging(first_result, max_result, sort_by, sort_order),
    )
    response.headers["X-Total-Count"] = str(total)
    return [user_task_response(row) for row in rows]


@router.get(
    "/tasks/{taskId}",
    response_model=DataUserTaskResponse,
    **_operation("getTaskById", "Operator,Applicant", 403, 404),
)
def get_task(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    client: ClientIdentity,
    task_id: TaskId,
) -> DataUserTaskResponse:
    """A task with the application's form data (the read is audited; personal answers are
    whole only while the task is the caller's to work on)."""
    view = registration_service.read_task(session, region, user, task_id, client_identity=client)
    return data_user_task_response(view)


@router.post(
    "/tasks/{taskId}/complete",
    response_model=CompletedTaskResponse,
    **_operation("completeTaskById", "Operator,Applicant", 403, 404, 409),
)
def complete_task(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    client: ClientIdentity,
    task_id: TaskId,
    body: AdditionalData,
) -> CompletedTaskResponse:
    """Decide: APPROVED (to the next step or done), SENDBACK or REJECTED (with a comment)."""
    done = registration_service.complete_task(
        session, region, user, task_id, body.data, client_identity=client
    )
    return completed_task_response(done)


# -- statistics ---------------------------------------------------------------------------


@router.get(
    "/data/statistics",
    response_model=list[StatisticsRow],
    **_operation("Statistics", "Statistics API"),
)
def service_statistics(
    region: CurrentRegion,
    session: DbSession,
    start_date: Annotated[date | None, Query(alias="startDate")] = None,
    end_date: Annotated[date | None, Query(alias="endDate")] = None,
    registration_name: Annotated[str | None, Query(alias="registrationName")] = None,
    operator: Annotated[str | None, Query(description="Part of an officer's name.")] = None,
    role: Annotated[str | None, Query(description="verifikator, penyetuju or admin_opd.")] = None,
    timeframe: statistics.Timeframe | None = None,
) -> list[StatisticsRow]:
    """Applications received and decided per period (see `applications.statistics`)."""
    query, rows = statistics.service_statistics(
        session,
        region,
        start_date=start_date,
        end_date=end_date,
        registration_name=registration_name,
        operator=operator,
        role=role,
        timeframe=timeframe,
    )
    return statistics_rows(query, rows)

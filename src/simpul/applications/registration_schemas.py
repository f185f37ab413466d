"""JSON shapes of the GovStack Registration BB API (spec 0.1.1 and statistics 1.0.0).

Field names are the spec's (camelCase on the wire, snake_case in Python through an alias
generator). Optional fields with no value are left out of responses rather than sent as
``null``, which the spec's types do not allow. Fields the spec does not have are marked
"Simpul extension" in their description; the spec's objects allow additional properties.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from simpul.accounts.models import STAFF_ROLE_LABELS
from simpul.applications.labels import STATUS_LABELS
from simpul.applications.models import (
    Application,
    ApplicationStatus,
    Document,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.applications.registration_service import CompletedTask, FileView, TaskView
from simpul.applications.repository import ApplicationListRow, InboxRow
from simpul.applications.statistics import PeriodStatistics, StatisticsFilter, Timeframe
from simpul.catalogue.models import Service
from simpul.catalogue.standard import STANDARD_COMPONENTS
from simpul.core.i18n import _, lazy

StatusCode = Literal["PENDING", "APPROVED", "SENDBACK", "REJECTED"]

#: How a task's status is named to people (translated when a response is made); an
#: application's status is named as on the web pages (``labels.STATUS_LABELS``).
TASK_STATUS_TITLES: Final[dict[str, str]] = {
    "PENDING": lazy("Diproses"),
    "APPROVED": lazy("Disetujui"),
    "SENDBACK": lazy("Perlu perbaikan"),
    "REJECTED": lazy("Ditolak"),
}
_APPLICATION_STATUS: Final[dict[ApplicationStatus, StatusCode]] = {
    ApplicationStatus.DRAFT: "PENDING",
    ApplicationStatus.SUBMITTED: "PENDING",
    ApplicationStatus.RETURNED: "SENDBACK",
    ApplicationStatus.COMPLETED: "APPROVED",
    ApplicationStatus.REJECTED: "REJECTED",
    # Withdrawn by the applicant (decision 0051): ended without approval; the spec has no
    # code of its own for that.
    ApplicationStatus.CANCELLED: "REJECTED",
}
_TASK_OUTCOME: Final[dict[TaskOutcome, StatusCode]] = {
    TaskOutcome.APPROVE: "APPROVED",
    TaskOutcome.RETURN: "SENDBACK",
    TaskOutcome.REJECT: "REJECTED",
}


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# -- errors (Simpul's shape, documented so clients can rely on it) -----------------------


# -- services and eForms -----------------------------------------------------------------


class ServiceProperty(_Model):
    code: str
    value: str


class RegistrationService(_Model):
    """The spec's ``service``."""

    id: uuid.UUID
    name: str
    version: str = Field(description="Changes whenever the service is edited.")
    type: Literal["None", "Private", "Public"]
    is_executable: bool = Field(description="True when the service can be applied for online.")
    is_closed: bool
    description: str
    service_body: list[ServiceProperty] = Field(
        description="The 14 components of the service standard (PermenPANRB 15/2014) by key, "
        "sla_working_days, fee_rupiah, agency, and required_document.{code} / "
        "optional_document.{code} in the order documentUrls are matched to them."
    )


class EFormListItem(_Model):
    e_form_id: str
    name: str
    description: str
    version: str
    latest: bool


class EForm(EFormListItem):
    """The spec's ``EForm``: a JSON Schema (draft 2020-12); UI hints under ``x-ui``."""

    json_schema: dict[str, Any] = Field(alias="schema")


def _version(service: Service) -> str:
    return service.updated_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def service_out(service: Service) -> RegistrationService:
    body = [
        ServiceProperty(code=key, value=str(service.standard[key])) for key in STANDARD_COMPONENTS
    ]
    body += [
        ServiceProperty(code="sla_working_days", value=str(service.sla_working_days)),
        ServiceProperty(code="fee_rupiah", value=str(service.fee_rupiah)),
        ServiceProperty(code="agency", value=service.agency.name),
    ]
    body += [
        ServiceProperty(
            code=f"{'required' if d.get('required', True) else 'optional'}_document.{d['code']}",
            value=str(d["name"]),
        )
        for d in service.required_documents
    ]
    return RegistrationService(
        id=service.id,
        name=service.name,
        version=_version(service),
        type="Public",
        is_executable=service.online,
        is_closed=False,
        description=service.summary,
        service_body=body,
    )


def eform_item(service: Service) -> EFormListItem:
    return EFormListItem(
        e_form_id=str(service.id),
        name=str(service.eform["schema"].get("title") or service.name),
        description=service.summary,
        version=_version(service),
        latest=True,
    )


def eform_out(service: Service) -> EForm:
    schema = dict(service.eform["schema"])
    if service.eform.get("ui"):
        schema["x-ui"] = service.eform["ui"]
    return EForm(**eform_item(service).model_dump(), json_schema=schema)


# -- documents ----------------------------------------------------------------------------


class UploadResponse(_Model):
    """The spec's ``uploadResponse``; ``url`` goes into ``documentUrls`` of a submission."""

    code: int = Field(description="200: every file was stored.")
    type: str = Field(description="The content type of the (first) file, decided by content.")
    message: str
    url: str
    document_urls: list[str] = Field(
        description="Simpul extension: the URL of every file of the request, in order."
    )


def document_url(region_slug: str, document_id: uuid.UUID) -> str:
    return f"/api/{region_slug}/registration/documents/{document_id}"


def upload_response(region_slug: str, documents: Sequence[Document]) -> UploadResponse:
    urls = [document_url(region_slug, d.id) for d in documents]
    return UploadResponse(
        code=200,
        type=documents[0].content_type,
        message=_("Dokumen diterima. Sertakan URL-nya di documentUrls saat mengajukan."),
        url=urls[0],
        document_urls=urls,
    )


# -- application files --------------------------------------------------------------------


#: The specification declares its maps (``formVariables``, ``data``, ``formData.data``,
#: ``additionalMeta.data``) as ``additionalProperties: {type: object}``, generated from Java's
#: ``Map<String, Object>``: any JSON value was meant. Simpul's values are what the eForm holds
#: (strings, numbers, booleans, lists, objects), and the published schema says so
#: (``additionalProperties: true``); decision 0027.
ANY_VALUES: Final = (
    " Values are any JSON value (decision 0027: the specification's maps of objects are read"
    " as Map<String, Object>)."
)


class StatusModel(_Model):
    code: StatusCode
    title: str


class FormData(_Model):
    data: dict[str, Any] = Field(default_factory=dict, description="The eForm's data." + ANY_VALUES)
    e_form_id: str | None = Field(default=None, description="The service id (see eForms).")


class ApplicationFileSubmit(_Model):
    """The spec's ``applicationFileSubmit`` (request body, and part of responses)."""

    application_name: str | None = Field(default=None, max_length=200)
    applicant_id: str = Field(description="The caller's own user id (GET /api/{region}/me).")
    created: datetime | None = Field(default=None, description="Ignored on submission.")
    form_data: FormData | None = None
    document_urls: list[str] = Field(default_factory=list, max_length=20)


class ApplicationFileResponse(_Model):
    """The spec's ``applicationFileResponse`` (which requires ``applicantId`` at the top too)."""

    file_id: uuid.UUID
    applicant_id: uuid.UUID
    registered: datetime | None = None
    service_id: uuid.UUID
    service_name: str
    status: StatusModel
    ended: bool
    application_data: ApplicationFileSubmit
    tracking_number: str = Field(description="Simpul extension: the number citizens quote.")
    due_date: date | None = Field(
        default=None, description="Simpul extension: the agency's deadline (local date)."
    )


class AdditionalData(_Model):
    data: dict[str, Any] = Field(default_factory=dict, description="Named values." + ANY_VALUES)


class ApplicantApplicationFileListResponse(_Model):
    """The spec's ``applicantApplicationFileListResponse``."""

    file_id: uuid.UUID
    main_task_id: uuid.UUID | None = Field(default=None, description="The task open on it.")
    task_title: str | None = None
    role_id: str | None = None
    role_name: str | None = None
    assignee_id: uuid.UUID | None = None
    operator_name: str | None = None
    status: StatusModel
    applicant_id: uuid.UUID
    created: datetime
    registered: datetime | None = None
    description: str = Field(description="The tracking number.")
    service_name: str
    service_id: uuid.UUID
    eform_id: str
    document_urls: list[str]
    additional_meta: AdditionalData


def status_of(application: Application) -> StatusModel:
    code = _APPLICATION_STATUS[application.status]
    return StatusModel(code=code, title=_(STATUS_LABELS[application.status.value]))


def task_status_of(task: Task) -> StatusModel:
    code: StatusCode
    if task.outcome is not None:
        code = _TASK_OUTCOME[task.outcome]
    elif task.status is TaskStatus.CANCELLED:
        code = "REJECTED"  # ended undecided (the spec has no code for that)
    else:
        code = "PENDING"
    return StatusModel(code=code, title=_(TASK_STATUS_TITLES[code]))


def _ended(application: Application) -> bool:
    return application.status in (
        ApplicationStatus.COMPLETED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.CANCELLED,
    )


def application_file_response(region_slug: str, file: FileView) -> ApplicationFileResponse:
    application = file.application
    return ApplicationFileResponse(
        file_id=application.id,
        applicant_id=application.applicant_id,
        registered=application.submitted_at,
        service_id=file.service.id,
        service_name=file.service.name,
        status=status_of(application),
        ended=_ended(application),
        application_data=ApplicationFileSubmit(
            application_name=application.application_name,
            applicant_id=str(application.applicant_id),
            created=application.created_at,
            form_data=FormData(data=file.answers, e_form_id=str(file.service.id)),
            document_urls=[document_url(region_slug, d.id) for d in file.documents],
        ),
        tracking_number=application.tracking_number,
        due_date=application.due_date,
    )


def application_list_item(
    region_slug: str, row: ApplicationListRow, documents: Sequence[Document]
) -> ApplicantApplicationFileListResponse:
    application, task = row.application, row.open_task
    meta: dict[str, Any] = {
        "trackingNumber": application.tracking_number,
        "dueDate": application.due_date.isoformat() if application.due_date else None,
        "step": application.current_step,
    }
    return ApplicantApplicationFileListResponse(
        file_id=application.id,
        main_task_id=task.id if task else None,
        task_title=task.step_name if task else None,
        role_id=task.role.value if task else None,
        role_name=_(STAFF_ROLE_LABELS[task.role.value]) if task else None,
        assignee_id=task.assignee_id if task else None,
        operator_name=row.assignee_name,
        status=status_of(application),
        applicant_id=application.applicant_id,
        created=application.created_at,
        registered=application.submitted_at,
        description=application.tracking_number,
        service_name=row.service.name,
        service_id=row.service.id,
        eform_id=str(row.service.id),
        document_urls=[document_url(region_slug, d.id) for d in documents],
        additional_meta=AdditionalData(data={k: v for k, v in meta.items() if v is not None}),
    )


# -- tasks --------------------------------------------------------------------------------


class UserTaskResponse(_Model):
    task_id: uuid.UUID
    main_task_id: uuid.UUID = Field(description="Tasks are flat in Simpul: the task itself.")
    name: str
    assignee_id: uuid.UUID | None = None
    role_id: str
    created: datetime
    description: str = Field(description="The application's tracking number.")
    service_id: uuid.UUID
    service_name: str
    file_id: uuid.UUID
    e_form_id: str
    status: StatusModel


class DataUserTaskResponse(_Model):
    task_id: uuid.UUID
    task_name: str
    assignee_id: uuid.UUID | None = None
    role_id: str
    created: datetime
    description: str = Field(description="The application's tracking number.")
    file_id: uuid.UUID
    service_id: uuid.UUID
    service_name: str
    e_form_id: str
    form_variables: dict[str, Any] = Field(description="The application's eForm data." + ANY_VALUES)
    status: StatusModel
    data: dict[str, Any] = Field(
        description="trackingNumber, applicationStatus, dueDate; decision and comment once done."
        + ANY_VALUES
    )


class CompletedTaskResponse(_Model):
    task_id: uuid.UUID
    file_id: uuid.UUID
    service_id: uuid.UUID
    status: StatusModel = Field(description="The application's status after the decision.")
    variables: dict[str, AdditionalData] = Field(
        description="`additionalData`: the decision taken; `nextTask`: the task opened next."
    )


def user_task_response(row: InboxRow) -> UserTaskResponse:
    task = row.task
    return UserTaskResponse(
        task_id=task.id,
        main_task_id=task.id,
        name=task.step_name,
        assignee_id=task.assignee_id,
        role_id=task.role.value,
        created=task.created_at,
        description=row.application.tracking_number,
        service_id=row.service.id,
        service_name=row.service.name,
        file_id=row.application.id,
        e_form_id=str(row.service.id),
        status=task_status_of(task),
    )


def data_user_task_response(view: TaskView) -> DataUserTaskResponse:
    task, application = view.task, view.application
    data: dict[str, Any] = {
        "trackingNumber": application.tracking_number,
        "applicationStatus": status_of(application).code,
    }
    if application.due_date:
        data["dueDate"] = application.due_date.isoformat()
    if task.outcome is not None:
        data["decision"] = _TASK_OUTCOME[task.outcome]
        data["comment"] = task.note
    return DataUserTaskResponse(
        task_id=task.id,
        task_name=task.step_name,
        assignee_id=task.assignee_id,
        role_id=task.role.value,
        created=task.created_at,
        description=application.tracking_number,
        file_id=application.id,
        service_id=view.service.id,
        service_name=view.service.name,
        e_form_id=str(view.service.id),
        form_variables=view.answers,
        status=task_status_of(task),
        data=data,
    )


def completed_task_response(done: CompletedTask) -> CompletedTaskResponse:
    task = done.task
    variables = {
        "additionalData": AdditionalData(
            data={"decision": task_status_of(task).code, "comment": task.note}
        )
    }
    if done.next_task is not None:
        variables["nextTask"] = AdditionalData(
            data={"taskId": str(done.next_task.id), "name": done.next_task.step_name}
        )
    return CompletedTaskResponse(
        task_id=task.id,
        file_id=done.application.id,
        service_id=done.application.service_id,
        status=status_of(done.application),
        variables=variables,
    )


# -- statistics ---------------------------------------------------------------------------


class StatisticsReferences(_Model):
    """The spec's ``datastatistics1.0_references``: what the row counts (this period)."""

    start_date: date | None = None
    end_date: date | None = None
    registration_name: str | None = None
    operator: str | None = None
    role: str | None = None
    timeframe_day: bool
    timeframe_week: bool
    timeframe_month: bool
    timeframe_year: bool


class StatisticsRow(_Model):
    """The spec's ``inline_response_200`` (see ``applications.statistics`` for definitions)."""

    processed: int = Field(description="approved + sentBack + rejected.")
    approved: int = Field(description="Applications completed (approved at their last step).")
    sent_back: int = Field(description="Decisions returning an application for revision.")
    rejected: int = Field(description="Applications rejected.")
    received: int | None = Field(
        default=None,
        description="Simpul extension: applications first submitted; absent when filtering "
        "by operator or role.",
    )
    references: StatisticsReferences


def statistics_rows(
    query: StatisticsFilter, rows: Sequence[PeriodStatistics]
) -> list[StatisticsRow]:
    return [
        StatisticsRow(
            processed=row.processed,
            approved=row.approved,
            sent_back=row.sent_back,
            rejected=row.rejected,
            received=row.received,
            references=StatisticsReferences(
                start_date=row.start,
                end_date=row.end,
                registration_name=query.registration_name,
                operator=query.operator,
                role=query.role,
                timeframe_day=query.timeframe is Timeframe.DAY,
                timeframe_week=query.timeframe is Timeframe.WEEK,
                timeframe_month=query.timeframe is Timeframe.MONTH,
                timeframe_year=query.timeframe is Timeframe.YEAR,
            ),
        )
        for row in rows
    ]

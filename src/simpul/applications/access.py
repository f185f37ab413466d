"""Who may see and act on an application: its applicant, and officers of the service's agency."""

from __future__ import annotations

import uuid

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications.models import Application, Task, TaskStatus
from simpul.catalogue.models import Service


def agency_roles(user: User) -> list[tuple[uuid.UUID, str]]:
    """The (agency, role) pairs an officer holds; empty for citizens and region admins."""
    if user.kind is not AccountKind.STAFF:
        return []
    return [(r.agency_id, r.role.value) for r in user.roles]


def is_officer_of(user: User, agency_id: uuid.UUID) -> bool:
    return user.kind is AccountKind.STAFF and any(r.agency_id == agency_id for r in user.roles)


def can_read(user: User, application: Application, service: Service) -> bool:
    """The applicant, or an officer of the agency responsible for the service."""
    if user.region_id != application.region_id:
        return False
    return application.applicant_id == user.id or is_officer_of(user, service.agency_id)


def can_work_on(user: User, task: Task) -> bool:
    """An officer holding the task's role in the task's agency."""
    return user.kind is AccountKind.STAFF and any(
        r.agency_id == task.agency_id and r.role is StaffRoleName(task.role) for r in user.roles
    )


def works_on_now(user: User, task: Task | None) -> bool:
    """The officer whose step the application is at: the open task's assignee, or while
    nobody has claimed it, anyone holding its role. Only they see personal answers whole."""
    return (
        task is not None
        and task.status is TaskStatus.OPEN
        and can_work_on(user, task)
        and task.assignee_id in (None, user.id)
    )


def administered_agencies(user: User) -> set[uuid.UUID]:
    """The agencies in which a staff member holds the admin OPD role."""
    if user.kind is not AccountKind.STAFF:
        return set()
    return {r.agency_id for r in user.roles if r.role is StaffRoleName.ADMIN_OPD}

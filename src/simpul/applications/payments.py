"""Payment of a retribusi at a ``payment`` step (placeholder: H6 replaces this module).

Until the payment step is built, approving such a step is refused: an agency must not be able
to pass a step the standard says is paid without anything recording the payment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.models import Application
from simpul.catalogue.models import Service
from simpul.catalogue.standard import WorkflowStep
from simpul.core.errors import Conflict
from simpul.core.i18n import _
from simpul.core.models import Region

if TYPE_CHECKING:
    from simpul.applications.steps import StepInputs


def before_approve(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    service: Service,
    step: WorkflowStep,
    inputs: StepInputs,
) -> None:
    """Check and record the payment before the step is approved (not available yet)."""
    raise Conflict(_("Pencatatan pembayaran retribusi belum tersedia."))

"""Imports every domain's models so the metadata is complete (Alembic, tests)."""

from simpul.accounts import models as accounts_models
from simpul.applications import check_models, payment_models, upload_models
from simpul.applications import models as applications_models
from simpul.catalogue import models as catalogue_models
from simpul.complaints import models as complaints_models
from simpul.core import models as core_models
from simpul.documents import models as documents_models
from simpul.evaluation.assessments import models as assessments_models
from simpul.evaluation.rollups import models as rollups_models
from simpul.evaluation.savings import models as savings_models
from simpul.evaluation.surveys import models as surveys_models
from simpul.gateway.monitor import models as monitor_models
from simpul.gateway.msglog import models as msglog_models
from simpul.gateway.registry import models as registry_models
from simpul.identity import mfa_models
from simpul.identity import models as identity_models
from simpul.inventory import models as inventory_models
from simpul.notify import models as notify_models

__all__ = [
    "accounts_models",
    "applications_models",
    "assessments_models",
    "catalogue_models",
    "check_models",
    "complaints_models",
    "core_models",
    "documents_models",
    "identity_models",
    "inventory_models",
    "mfa_models",
    "monitor_models",
    "msglog_models",
    "notify_models",
    "payment_models",
    "registry_models",
    "rollups_models",
    "savings_models",
    "surveys_models",
    "upload_models",
]

"""What "completed online" (selesai daring) means: one definition for every dashboard.

An application is completed online when it was completed (granted) and its result was issued
as a signed electronic document: the citizen neither came to submit nor came to collect a
paper product. Completions without an electronic document still ended with a visit and a
printed product, so the savings ledger cannot claim them, and the KPI's "done online" share
does not count them.

The KPI rollups (``rollups.repository.application_facts``) and the savings totals
(``savings.repository``) both build their SQL from :func:`issued_electronically`, and both
dashboards show :data:`DEFINITION`; decision 0053. Before, the savings dashboard counted every
completion as online and the two pages disagreed (9% against 199 for the same period).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import QueryableAttribute

from simpul.core.i18n import lazy
from simpul.documents.models import IssuedDocument

#: What both dashboards print under their figures (translated when shown).
DEFINITION: Final = lazy(
    "Selesai daring: permohonan yang dikabulkan dan hasilnya terbit sebagai dokumen "
    "elektronik bertanda tangan, sehingga pemohon tidak datang ke kantor."
)


def issued_electronically(
    region_id: uuid.UUID, application_id: ColumnElement[Any] | QueryableAttribute[Any]
) -> ColumnElement[bool]:
    """True when a signed electronic document was issued for ``application_id`` (a column:
    ``Application.id`` or ``SavingsEntry.application_id``) in the region."""
    return exists().where(
        IssuedDocument.region_id == region_id, IssuedDocument.application_id == application_id
    )


def is_completed_online(completed: bool, issued: bool) -> bool:
    """The same rule for one application whose facts were read already (the rollups)."""
    return completed and issued

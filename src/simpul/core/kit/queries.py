"""The region-scoped lookup every domain's repository needs."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from simpul.core.models import RegionScoped

ModelT = TypeVar("ModelT", bound=RegionScoped)


def get_in_region(
    session: Session, model: type[ModelT], region_id: uuid.UUID, id_: uuid.UUID
) -> ModelT | None:
    """The row of ``model`` with this primary key in this region; None when absent or when it
    belongs to another region (so one region can never read another's row by its id)."""
    (primary_key,) = inspect(model).primary_key
    return session.scalars(
        select(model).where(model.region_id == region_id, primary_key == id_)
    ).one_or_none()

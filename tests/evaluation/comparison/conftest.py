"""The KPI tests' regions and applications, reused: the comparison ranks the same numbers."""

from tests.evaluation.kpis.conftest import data, world

__all__ = ["data", "world"]

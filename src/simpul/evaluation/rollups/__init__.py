"""Exact daily rollups behind the service KPIs (decision 0034)."""

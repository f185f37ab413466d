"""Axis arithmetic shared by the server-rendered SVG charts (savings, KPIs, roadmap, monitor)."""

from __future__ import annotations


def round_ceiling(value: int) -> int:
    """1, 2 or 5 times a power of ten, at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude = int(10 ** (len(str(value)) - 1))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def quarter_ceiling(value: int) -> int:
    """A round top for the axis, divisible by 4 so the quarter ticks are whole numbers."""
    if value <= 4:
        return 4
    if value <= 8:
        return 8
    scale = 10
    while True:
        for step in (2, 4, 6, 8, 10):
            if step * scale >= value:
                return step * scale
        scale *= 10

"""The region admin's gateway monitor: traffic, errors and latency per service and per client.

Read from the traffic rollup (``gateway_traffic``) that every gateway process adds to in the
transaction that writes its message log records, so the page shows the whole region whichever
node served the requests, in the same time at any size of the log. Charts are inline SVG laid
out here (no JavaScript), each with a title, a description and a table of the same numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession
from simpul.core.i18n import _, lazy
from simpul.core.models import Region, utcnow
from simpul.core.regions import CurrentRegion
from simpul.gateway.monitor import service as monitor
from simpul.web import charts
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: The busiest services and clients listed; the page says how many more there are.
TOP: Final = 50


@dataclass(frozen=True)
class Window:
    """A period the monitor shows: its length, the width of a chart slot, axis labelling."""

    key: str
    label: str
    seconds: int
    slot_seconds: int
    #: Every how many slots the time axis has a label, and how it is written.
    label_every: int
    axis_format: str


WINDOWS: Final = {
    w.key: w
    for w in (
        Window("1j", lazy("1 jam"), 3600, 300, 3, "%H:%M"),
        Window("24j", lazy("24 jam"), 86400, 3600, 3, "%H:%M"),
        Window("7h", lazy("7 hari"), 7 * 86400, 6 * 3600, 4, "%d/%m"),
    )
}
DEFAULT_WINDOW: Final = "24j"

#: Upper bounds of the latency histogram's buckets (microseconds); the last bucket is open.
LATENCY_THRESHOLDS_US: Final = (
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
)

_SWAP_SEPARATORS: Final = str.maketrans(",.", ".,")
OK_FILL: Final = "#0b5cab"
ERROR_FILL: Final = "#a4161a"


def window_bounds(
    now: dt.datetime, tz: ZoneInfo, window: Window
) -> tuple[dt.datetime, dt.datetime]:
    """``(since, until)`` in UTC: ``window.seconds`` long, ending where the current slot ends.

    Slots start on round local times (:00, :05, or 00/06/12/18 h), so the axis reads well.
    """
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((local - midnight).total_seconds())
    slot_start = midnight + dt.timedelta(seconds=elapsed - elapsed % window.slot_seconds)
    until = slot_start + dt.timedelta(seconds=window.slot_seconds)
    since = until - dt.timedelta(seconds=window.seconds)
    return since.astimezone(dt.UTC), until.astimezone(dt.UTC)


# -- numbers as people read them --------------------------------------------------------------


@dataclass(frozen=True)
class Numbers:
    """Formats counts, percentages and latencies in the reader's locale (1.234,5 or 1,234.5)."""

    locale: str

    def _swap(self, text: str) -> str:
        if self.locale == "en":
            return text
        return text.translate(_SWAP_SEPARATORS)

    def short(self, value: float) -> str:
        """A number without trailing zeros: ``2,5``, ``10``."""
        return self._swap(f"{value:g}")

    def count(self, value: int) -> str:
        return self._swap(f"{value:,}")

    def percent(self, ratio: float) -> str:
        return self._swap(f"{ratio * 100:,.1f}") + "%"

    def ms(self, microseconds: float | None) -> str:
        """Milliseconds, one decimal under 100 ms; a dash when there was no request."""
        if microseconds is None:
            return "–"
        value = microseconds / 1000
        return self._swap(f"{value:,.1f}" if value < 100 else f"{value:,.0f}")


def latency_labels(numbers: Numbers) -> list[str]:
    """``< 5 ms``, ``5–10 ms``, ..., ``500 ms–1 s``, ..., ``≥ 10 s``: one per histogram bucket."""

    def parts(us: int) -> tuple[str, str]:
        if us >= 1_000_000:
            return numbers.short(us / 1_000_000), "s"
        return numbers.short(us / 1000), "ms"

    bounds = LATENCY_THRESHOLDS_US
    first_value, first_unit = parts(bounds[0])
    last_value, last_unit = parts(bounds[-1])
    labels = [f"< {first_value} {first_unit}"]
    for low, high in itertools.pairwise(bounds):
        (low_value, low_unit), (high_value, high_unit) = parts(low), parts(high)
        low_text = low_value if low_unit == high_unit else f"{low_value} {low_unit}"
        labels.append(f"{low_text}–{high_value} {high_unit}")
    labels.append(f"≥ {last_value} {last_unit}")
    return labels


# -- the bar charts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    value: int
    y: float
    height: float
    fill: str
    css: str


@dataclass(frozen=True)
class Column:
    """One bar (a stack of segments, bottom first) with its axis label and its description."""

    label: str
    axis_label: str
    x: float
    centre_x: float
    segments: list[Segment]
    description: str


@dataclass(frozen=True)
class BarChart:
    """Coordinates in viewBox units; narrow so that on a phone the text stays readable."""

    width: int
    height: int
    baseline: int
    left: int
    right: int
    bar_width: float
    label_size: float
    ticks: list[tuple[str, float]]
    columns: list[Column]
    #: What the chart shows, for screen readers (``<desc>``).
    description: str


def bar_chart(
    labels: Sequence[str],
    axis_labels: Sequence[str],
    stacks: Sequence[Sequence[int]],
    descriptions: Sequence[str],
    fills: Sequence[tuple[str, str]],
    numbers: Numbers,
    summary: str,
) -> BarChart:
    """Lay out one stacked bar per label; ``fills`` gives (colour, css class) per stack level.

    The chart's description is ``summary`` followed by the descriptions of non-empty bars.
    """
    width, height, top, left, right, bottom = 400, 230, 14, 46, 394, 28
    baseline = height - bottom
    ceiling = charts.quarter_ceiling(max([1, *(sum(stack) for stack in stacks)]))
    slot = (right - left) / max(len(labels), 1)
    bar_width = slot * 0.72

    def y(value: int) -> float:
        return round(baseline - value / ceiling * (baseline - top), 1)

    columns = []
    for index, (label, axis_label, stack, description) in enumerate(
        zip(labels, axis_labels, stacks, descriptions, strict=True)
    ):
        x = left + index * slot + (slot - bar_width) / 2
        segments, below = [], 0
        for value, (fill, css) in zip(stack, fills, strict=True):
            if value:
                top_y = y(below + value)
                segments.append(Segment(value, top_y, round(y(below) - top_y, 1), fill, css))
            below += value
        columns.append(
            Column(
                label=label,
                axis_label=axis_label,
                x=round(x, 1),
                centre_x=round(left + index * slot + slot / 2, 1),
                segments=segments,
                description=description,
            )
        )
    return BarChart(
        width=width,
        height=height,
        baseline=baseline,
        left=left,
        right=right,
        bar_width=round(bar_width, 1),
        label_size=11.0,
        ticks=[(numbers.count(ceiling * step // 4), y(ceiling * step // 4)) for step in range(5)],
        columns=columns,
        description=" ".join(
            [summary, *(c.description for c in columns if any(s.value for s in c.segments))]
        ),
    )


@dataclass(frozen=True)
class HistogramRow:
    label: str
    value: int
    value_text: str
    y: float
    length: float
    description: str


@dataclass(frozen=True)
class Histogram:
    """Horizontal bars, one row per bucket: long bucket names fit on the left, even on a phone."""

    width: int
    height: int
    label_right: int
    bar_left: int
    bar_height: float
    label_size: float
    rows: list[HistogramRow]
    description: str


def histogram(
    labels: Sequence[str], values: Sequence[int], numbers: Numbers, summary: str
) -> Histogram:
    width, top, row_height, bar_height = 400, 6, 18, 12
    label_right, bar_left, bar_right = 92, 98, 340
    largest = max([1, *values])
    rows = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        rows.append(
            HistogramRow(
                label=label,
                value=value,
                value_text=numbers.count(value),
                y=top + index * row_height,
                length=round(value / largest * (bar_right - bar_left), 1),
                description=_("%(bucket)s: %(requests)s permintaan.")
                % {"bucket": label, "requests": numbers.count(value)},
            )
        )
    return Histogram(
        width=width,
        height=top * 2 + len(rows) * row_height,
        label_right=label_right,
        bar_left=bar_left,
        bar_height=bar_height,
        label_size=11.0,
        rows=rows,
        description=" ".join([summary, *(r.description for r in rows if r.value)]),
    )


def _time_chart(
    series: monitor.TrafficSeries,
    since: dt.datetime,
    tz: ZoneInfo,
    window: Window,
    numbers: Numbers,
) -> BarChart:
    starts = [
        (since + dt.timedelta(seconds=i * window.slot_seconds)).astimezone(tz)
        for i in range(len(series.requests))
    ]
    labels = [start.strftime("%d/%m %H:%M") for start in starts]
    return bar_chart(
        labels,
        [
            start.strftime(window.axis_format) if i % window.label_every == 0 else ""
            for i, start in enumerate(starts)
        ],
        [(n - e, e) for n, e in zip(series.requests, series.errors, strict=True)],
        [
            _("%(time)s: %(requests)s permintaan, %(errors)s galat.")
            % {"time": label, "requests": numbers.count(n), "errors": numbers.count(e)}
            for label, n, e in zip(labels, series.requests, series.errors, strict=True)
        ],
        [(OK_FILL, "bar-ok"), (ERROR_FILL, "bar-error")],
        numbers,
        _("Total %(requests)s permintaan, %(errors)s galat. Selang yang berisi:")
        % {
            "requests": numbers.count(sum(series.requests)),
            "errors": numbers.count(sum(series.errors)),
        },
    )


def _latency_chart(series: monitor.TrafficSeries, numbers: Numbers) -> Histogram:
    return histogram(
        latency_labels(numbers),
        series.latency,
        numbers,
        _("Total %(requests)s permintaan menurut waktu tanggap:")
        % {"requests": numbers.count(sum(series.latency))},
    )


#: What a refusal before identification means, by its error code (others are shown as codes).
REFUSAL_REASONS: Final = {
    "client_missing": lazy("Tanpa nama aplikasi pemanggil (Information-Mediator-Client)"),
    "key_missing": lazy("Tanpa kunci API (X-API-Key)"),
    "key_invalid": lazy("Kunci API tidak dikenal atau bukan milik aplikasi yang disebut"),
    "identity_ambiguous": lazy("Identitas ganda (header identitas dikirim lebih dari sekali)"),
    "too_many_refusals": lazy("Dibatasi: terlalu banyak penolakan dari satu alamat"),
}


def _shown_name(region: Region, name: str) -> str:
    """Identities of the region's own apps without the instance prefix everyone shares."""
    prefix = f"{region.slug}/"
    return name.removeprefix(prefix) if name.startswith(prefix) else name


@router.get("/{region}/admin/integrasi/pantau", response_class=HTMLResponse, name="gateway_monitor")
def gateway_monitor(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    jendela: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    """Traffic of the region's gateway over the last hour, day or week (default: 24 hours)."""
    window = WINDOWS.get(jendela or "", WINDOWS[DEFAULT_WINDOW])
    tz = ZoneInfo(region.timezone)
    since, until = window_bounds(utcnow(), tz, window)
    numbers = Numbers(getattr(request.state, "locale", "id"))
    traffic = monitor.gateway_traffic(
        session,
        region.id,
        since,
        until,
        top=TOP,
        slot_seconds=window.slot_seconds,
        latency_thresholds_us=LATENCY_THRESHOLDS_US,
    )
    breakdown, refusals, series = traffic.breakdown, traffic.refusals, traffic.series
    return render(
        request,
        "gateway/monitor.html",
        {
            "window": window,
            "windows": list(WINDOWS.values()),
            "since": since.astimezone(tz),
            "until": until.astimezone(tz),
            "total": breakdown.total,
            "services": breakdown.services,
            "clients": breakdown.clients,
            "service_count": breakdown.service_count,
            "client_count": breakdown.client_count,
            "time_chart": _time_chart(series, since, tz, window, numbers),
            "latency_chart": _latency_chart(series, numbers),
            "ok_fill": OK_FILL,
            "error_fill": ERROR_FILL,
            "n": numbers,
            "name_of": functools.partial(_shown_name, region),
            "top": TOP,
            "refusals": refusals,
            "refusal_total": sum(count for _reason, count in refusals),
            "refusal_reasons": REFUSAL_REASONS,
            "percentile_error": monitor.PERCENTILE_ERROR,
        },
    )

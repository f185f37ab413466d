"""The region admin's gateway monitor: counts, error rates and latency per service and client
over the chosen window, read from the message log; nobody else sees it, and no region's
traffic is counted in another's."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.models import Region, utcnow
from simpul.gateway.monitor import pages as monitor_pages
from simpul.gateway.monitor.pages import WINDOWS, Numbers, latency_labels, window_bounds
from simpul.gateway.monitor.service import PERCENTILE_ERROR
from simpul.gateway.msglog.models import GatewayRefusal
from simpul.gateway.msglog.records import MessageRecord, append_records
from tests.factories import make_region, make_user, post_form

PENDUDUK = "kota-a/GOV/dinas-uji/sipenduduk/penduduk"
ARSIP = "kota-a/GOV/dinas-uji/sipenduduk/arsip"
PORTAL = "kota-a/GOV/dinas-uji/portal"
KIOSK = "kota-a/GOV/dinas-uji/anjungan"


@dataclass
class Log:
    """Appends message log records through ``append_records``, as seeds and tools do: the
    records, their hash chain and the monitor's traffic rollup in one transaction."""

    session: Session

    def add(
        self,
        region: Region,
        service: str,
        client: str,
        status: int,
        duration_us: int,
        *,
        error: str = "",
        ago: dt.timedelta = dt.timedelta(minutes=10),
    ) -> None:
        record = MessageRecord(
            region_id=region.id,
            at=utcnow() - ago,
            request_id=uuid.uuid4(),
            client=client,
            service=service,
            endpoint="GET /penduduk/{nik}",
            method="GET",
            path="/penduduk/1",
            status=status,
            error=error,
            duration_us=duration_us,
            request_bytes=100,
            response_bytes=1000,
        )
        append_records(self.session, [record])


@pytest.fixture
def app_client(client: TestClient) -> TestClient:
    """The app with the monitor page (included here until web/app.py includes it)."""
    paths = {getattr(route, "path", "") for route in client.app.routes}  # type: ignore[attr-defined]
    if "/{region}/admin/integrasi/pantau" not in paths:
        # In front: the catalogue's broad /{region}/... pages must not answer first.
        for route in reversed(monitor_pages.router.routes):
            client.app.router.routes.insert(0, route)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def traffic(session: Session) -> Region:
    home = make_region(session, "kota-a", "Kota A")
    other = make_region(session, "kab-b", "Kabupaten B")
    log = Log(session)
    for duration in (1000, 2000, 3000, 4000, 5000, 6000):
        log.add(home, PENDUDUK, PORTAL, 200, duration)
    log.add(home, PENDUDUK, PORTAL, 404, 7000)
    log.add(home, PENDUDUK, KIOSK, 403, 300, error="no_grant")
    log.add(home, ARSIP, KIOSK, 502, 2_000_000, error="upstream_unreachable")
    log.add(home, ARSIP, KIOSK, 200, 40_000)
    log.add(home, ARSIP, PORTAL, 500, 100_000, ago=dt.timedelta(hours=3))
    log.add(home, PENDUDUK, PORTAL, 200, 1000, ago=dt.timedelta(days=3))
    log.add(home, PENDUDUK, PORTAL, 200, 1000, ago=dt.timedelta(days=9))  # out of every window
    for _ in range(5):
        log.add(
            other,
            "kab-b/GOV/dinas-uji/sipenduduk/penduduk",
            "kab-b/GOV/dinas-uji/portal",
            500,
            9_000_000,
            ago=dt.timedelta(hours=2),
        )
    session.flush()
    make_user(session, home, "admin@example.org", "sandi-admin-12", AccountKind.REGION_ADMIN)
    make_user(
        session,
        home,
        "petugas@example.org",
        "sandi-petugas-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    make_user(session, other, "admin-b@example.org", "sandi-admin-12", AccountKind.REGION_ADMIN)
    return home


def log_in(client: TestClient, region: str, email: str, password: str) -> None:
    response = post_form(client, f"/{region}/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def table(page: str, table_id: str) -> dict[str, dict[str, str]]:
    """A traffic table as {name: {column class: text}}."""
    match = re.search(rf'<table id="{table_id}".*?</table>', page, re.S)
    assert match, f"no table {table_id}"
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", match.group(0), re.S):
        name = re.search(r"<code>(.*?)</code>", row)
        if name:
            cells = dict(re.findall(r'class="([\w-]+)">([^<]*)</td>', row))
            rows[html.unescape(name.group(1))] = cells
    return rows


def fallback(page: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S)
    assert match, f"no table {table_id}"
    return [
        [html.unescape(cell) for cell in re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", match.group(0).split("<tbody>")[1], re.S)
    ]


def test_the_day_per_service_and_client_with_error_rates_and_latency(
    app_client: TestClient, traffic: Region
) -> None:
    log_in(app_client, "kota-a", "admin@example.org", "sandi-admin-12")
    page = app_client.get("/kota-a/admin/integrasi/pantau")
    assert page.status_code == 200
    text = page.text
    assert re.search(r'id="total-permintaan">11<', text)
    assert re.search(r'id="total-galat">36,4%', text)
    services = table(text, "per-layanan")
    assert services["GOV/dinas-uji/sipenduduk/penduduk"] == {
        "requests": "8",
        "error-rate": "25,0%",
        "client-errors": "2",
        "server-errors": "0",
        "gateway-errors": "1",
        "p50": services["GOV/dinas-uji/sipenduduk/penduduk"]["p50"],
        "p95": services["GOV/dinas-uji/sipenduduk/penduduk"]["p95"],
    }
    # Estimated from the rollup's duration buckets (the page says so): near the exact values,
    # 300, 1000 .. 7000 µs: p50 halfway between 3 and 4 ms, p95 at 6000 + 0.65 * 1000 µs.
    p50 = float(services["GOV/dinas-uji/sipenduduk/penduduk"]["p50"].replace(",", "."))
    assert p50 == pytest.approx(3.5, rel=PERCENTILE_ERROR)
    p95 = float(services["GOV/dinas-uji/sipenduduk/penduduk"]["p95"].replace(",", "."))
    assert p95 == pytest.approx(6.65, rel=PERCENTILE_ERROR)
    assert "diperkirakan" in text
    arsip = services["GOV/dinas-uji/sipenduduk/arsip"]
    assert (arsip["requests"], arsip["error-rate"], arsip["server-errors"]) == ("3", "66,7%", "2")
    assert arsip["gateway-errors"] == "1"
    assert list(services) == [
        "GOV/dinas-uji/sipenduduk/penduduk",
        "GOV/dinas-uji/sipenduduk/arsip",
    ]  # busiest first
    clients = table(text, "per-klien")
    assert {name: (c["requests"], c["error-rate"]) for name, c in clients.items()} == {
        "GOV/dinas-uji/portal": ("8", "25,0%"),
        "GOV/dinas-uji/anjungan": ("3", "66,7%"),
    }
    # Another region's traffic (all 500s) is never counted, nor named.
    assert "kab-b" not in text

    over_time = fallback(text, "tabel-waktu")
    assert len(over_time) == 24
    assert sum(int(row[1]) for row in over_time) == 11
    assert sum(int(row[2]) for row in over_time) == 4
    latency = {row[0]: int(row[1]) for row in fallback(text, "tabel-latensi")}
    assert latency["< 5 ms"] == 5
    assert latency["5–10 ms"] == 3
    assert latency["25–50 ms"] == 1
    assert latency["100–250 ms"] == 1
    assert latency["1–2,5 s"] == 1
    assert sum(latency.values()) == 11
    # The charts: an SVG each, named and described, with a bar segment per non-empty value.
    assert text.count('role="img"') == 2
    assert '<title id="grafik-waktu-judul">' in text and '<desc id="grafik-latensi-uraian">' in text
    error_values = re.findall(r'class="bar-error" data-value="(\d+)"', text)
    assert sum(map(int, error_values)) == 4
    latency_values = re.findall(r'class="bar-latency" data-value="(\d+)"', text)
    assert sorted(map(int, latency_values)) == [1, 1, 1, 3, 5]


def test_the_window_changes_what_is_counted(app_client: TestClient, traffic: Region) -> None:
    log_in(app_client, "kota-a", "admin@example.org", "sandi-admin-12")
    hour = app_client.get("/kota-a/admin/integrasi/pantau", params={"jendela": "1j"}).text
    assert re.search(r'id="total-permintaan">10<', hour)
    assert re.search(r'id="total-galat">30,0%', hour)
    assert len(fallback(hour, "tabel-waktu")) == 12
    week = app_client.get("/kota-a/admin/integrasi/pantau", params={"jendela": "7h"}).text
    assert re.search(r'id="total-permintaan">12<', week)
    assert len(fallback(week, "tabel-waktu")) == 28
    unknown = app_client.get("/kota-a/admin/integrasi/pantau", params={"jendela": "1tahun"}).text
    assert re.search(r'id="total-permintaan">11<', unknown)  # back to the default day
    assert 'aria-current="page">24 jam<' in unknown


def test_a_region_without_traffic_says_so(app_client: TestClient, traffic: Region) -> None:
    log_in(app_client, "kab-b", "admin-b@example.org", "sandi-admin-12")
    empty = app_client.get("/kab-b/admin/integrasi/pantau", params={"jendela": "1j"})
    assert empty.status_code == 200
    assert 'id="kosong"' in empty.text and "total-permintaan" not in empty.text
    day = app_client.get("/kab-b/admin/integrasi/pantau")
    assert re.search(r'id="total-permintaan">5<', day.text)
    assert re.search(r'id="total-galat">100,0%', day.text)
    assert "kota-a" not in day.text


def test_refusals_before_identification_are_shown_as_counts(
    app_client: TestClient, traffic: Region, session: Session
) -> None:
    other = session.query(Region).filter_by(slug="kab-b").one()
    minute = utcnow().replace(second=0, microsecond=0)
    for region, ago, reason, count in [
        (traffic, 5, "key_invalid", 40),
        (traffic, 6, "key_invalid", 2),
        (traffic, 7, "too_many_refusals", 1300),
        (traffic, 8, "client_missing", 3),
        (traffic, 90, "key_missing", 99),  # outside the last hour, inside the day
        (other, 5, "key_invalid", 777),
    ]:
        session.add(
            GatewayRefusal(
                region_id=region.id,
                minute=minute - dt.timedelta(minutes=ago),
                reason=reason,
                refusals=count,
            )
        )
    session.flush()
    log_in(app_client, "kota-a", "admin@example.org", "sandi-admin-12")
    hour = app_client.get("/kota-a/admin/integrasi/pantau", params={"jendela": "1j"}).text
    rows = re.findall(
        r'<th scope="row" data-reason="([\w_]+)">[^<]+</th><td class="refusals">([^<]*)</td>',
        hour,
    )
    assert rows == [("too_many_refusals", "1.300"), ("key_invalid", "42"), ("client_missing", "3")]
    assert re.search(r'id="total-ditolak">1.345<', hour)
    assert "Kunci API tidak dikenal" in hour
    # The counts are not requests of the traffic tables above, and never another region's.
    assert re.search(r'id="total-permintaan">10<', hour)
    assert "777" not in hour
    day = app_client.get("/kota-a/admin/integrasi/pantau").text
    assert re.search(r'id="total-ditolak">1.444<', day)
    quiet = app_client.get("/kota-a/admin/integrasi/pantau", params={"jendela": "7h"})
    assert "ditolak-tanpa-identitas" in quiet.text


def test_only_the_region_admin_sees_the_monitor(app_client: TestClient, traffic: Region) -> None:
    anonymous = app_client.get("/kota-a/admin/integrasi/pantau", follow_redirects=False)
    assert anonymous.status_code == 303
    assert "/kota-a/masuk" in anonymous.headers["location"]
    log_in(app_client, "kota-a", "petugas@example.org", "sandi-petugas-1")
    assert app_client.get("/kota-a/admin/integrasi/pantau").status_code == 403


def test_another_regions_admin_is_refused(app_client: TestClient, traffic: Region) -> None:
    log_in(app_client, "kab-b", "admin-b@example.org", "sandi-admin-12")
    page = app_client.get("/kota-a/admin/integrasi/pantau", follow_redirects=False)
    assert page.status_code in {303, 401, 403}
    assert "total-permintaan" not in page.text


def test_windows_end_on_round_local_times() -> None:
    tz = ZoneInfo("Asia/Makassar")  # WITA, UTC+8
    now = dt.datetime(2025, 3, 4, 5, 47, 12, tzinfo=dt.UTC)  # 13:47 local
    since, until = window_bounds(now, tz, WINDOWS["24j"])
    assert until.astimezone(tz).strftime("%H:%M") == "14:00"
    assert until - since == dt.timedelta(hours=24)
    since, until = window_bounds(now, tz, WINDOWS["1j"])
    assert until.astimezone(tz).strftime("%H:%M") == "13:50"
    since, until = window_bounds(now, tz, WINDOWS["7h"])
    assert until.astimezone(tz).strftime("%d %H:%M") == "04 18:00"
    assert until - since == dt.timedelta(days=7)


def test_numbers_in_both_locales() -> None:
    indonesian, english = Numbers("id"), Numbers("en")
    assert indonesian.count(1234567) == "1.234.567"
    assert english.count(1234567) == "1,234,567"
    assert indonesian.percent(0.3636) == "36,4%"
    assert english.percent(0.3636) == "36.4%"
    assert indonesian.ms(3500) == "3,5"
    assert indonesian.ms(2_345_000) == "2.345"
    assert indonesian.ms(None) == "–"
    assert latency_labels(indonesian)[7:9] == ["500 ms–1 s", "1–2,5 s"]
    assert latency_labels(english)[8] == "1–2.5 s"

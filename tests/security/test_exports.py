"""Attacks on the leaders' exports and public listings (evaluation, decision 0053).

- A name an attacker controls (a service, an agency) starting with ``= + - @`` must not run as
  a formula when the export is opened: the CSV quotes it, the XLSX stores it as text.
- An admin of one region asks for another region's export: refused, and their own export
  holds none of the other region's rows.
- A crafted ``pemisah`` is refused naming the field, never echoed into the file.
- A region marked ``test`` or ``inactive`` is not listed publicly nor ranked.
"""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from simpul.evaluation.comparison import report as comparison
from tests.evaluation.kpis.conftest import ADMIN, World, data, world
from tests.evaluation.kpis.test_pages import as_admin, log_in
from tests.factories import make_region, make_user

__all__ = ["data", "world"]  # fixtures, found by name

PERIOD = "dari=2026-02-01&sampai=2026-02-28"
HOSTILE_SERVICE = '=HYPERLINK("http://penyerang.example/","klik")'
HOSTILE_AGENCY = "@SUM(1+1)*cmd|' /C calc'!A0"


def _hostile_names(session: Session, data: World) -> None:
    data.ktp.name = HOSTILE_SERVICE
    data.ktp.agency.name = HOSTILE_AGENCY
    session.commit()


def test_formula_like_names_are_neutralised_in_csv_and_xlsx(
    client: TestClient, session: Session, data: World
) -> None:
    _hostile_names(session, data)
    as_admin(client, session, data.region)
    for separator in ("", "&pemisah=koma"):
        exported = client.get(f"/kota-uji/admin/kinerja.csv?{PERIOD}{separator}")
        assert exported.status_code == 200
        text = exported.content.decode("utf-8-sig")
        delimiter = "," if separator else ";"
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
        assert "'" + HOSTILE_SERVICE in cells and "'" + HOSTILE_AGENCY in cells
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
        # Negative or formula-looking cells never appear unquoted, whatever the column.
        assert not any(cell.startswith("-") and not cell[1:2].isdigit() for cell in cells)
    workbook = client.get(f"/kota-uji/admin/kinerja.xlsx?{PERIOD}")
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    texts = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    hostile = [cell for cell in texts if cell.value in (HOSTILE_SERVICE, HOSTILE_AGENCY)]
    assert hostile and all(cell.data_type == "s" for cell in hostile)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_another_regions_export_is_refused_and_never_mixed_in(
    client: TestClient, session: Session, data: World
) -> None:
    make_user(session, data.other, *ADMIN)
    session.commit()
    log_in(client, data.other, ADMIN[0])
    for path in (
        f"/kota-uji/admin/kinerja.csv?{PERIOD}",
        f"/kota-uji/admin/kinerja.xlsx?{PERIOD}",
        f"/kota-uji/admin/penghematan/ekspor.csv?{PERIOD}",
        f"/kota-uji/admin/penghematan/ekspor.xlsx?{PERIOD}",
    ):
        refused = client.get(path, follow_redirects=False)
        # Another region's session is no session there: sent to that region's log-in page.
        assert refused.status_code in (303, 401, 403, 404), path
        assert "attachment" not in refused.headers.get("content-disposition", "")
    own = client.get(f"/kab-lain/admin/kinerja.csv?{PERIOD}").content.decode("utf-8-sig")
    assert own.count("\r\n") >= 2  # the header and the region's total
    assert "KTP Uji" not in own and "Izin Usaha" not in own and "Kota Uji" not in own


def test_a_crafted_separator_is_refused_naming_the_field(
    client: TestClient, session: Session, data: World
) -> None:
    as_admin(client, session, data.region)
    for bad in ("%0d%0aSet-Cookie:x=1", "tab", "=1+1", "k" * 30):
        refused = client.get(f"/kota-uji/admin/kinerja.csv?{PERIOD}&pemisah={bad}")
        assert refused.status_code == 422, bad
        assert "pemisah" in refused.text
        assert "attachment" not in refused.headers.get("content-disposition", "")
        assert "x=1" not in refused.headers.get("set-cookie", "")


def test_test_and_inactive_regions_are_not_listed_publicly_nor_ranked(
    client: TestClient, session: Session
) -> None:
    live = make_region(session, "kota-hidup", "Kota Hidup")
    training = make_region(session, "kota-pelatihan", "Kota Pelatihan")
    gone = make_region(session, "kab-pergi", "Kabupaten Pergi")
    training.status, gone.status = "test", "inactive"
    session.commit()
    front = client.get("/", follow_redirects=False)
    assert "Kota Pelatihan" not in front.text and "Kabupaten Pergi" not in front.text
    # Even the test region's own admin sees only active regions ranked.
    ranked = comparison.build_comparison(session, training, 2026, comparison.DEFAULT_SORT)
    assert [row.slug for row in ranked.rows] == [live.slug]

"""A report's table as a CSV or XLSX download (the dashboards' export buttons)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from fastapi.responses import Response

from simpul.inventory import spreadsheet


def table_download(
    rows: Iterable[Mapping[str, str]],
    header: Sequence[str],
    *,
    extension: str,
    title: str,
    filename: str,
) -> Response:
    """``rows`` as ``filename.extension`` (``csv`` or ``xlsx``, sheet ``title``), not cached."""
    if extension == "xlsx":
        content = spreadsheet.write_xlsx(rows, header, title=title)
        media_type = spreadsheet.XLSX_MEDIA_TYPE
    else:
        content, media_type = spreadsheet.write_csv(rows, header), spreadsheet.CSV_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.{extension}"',
            "Cache-Control": "no-store",
        },
    )
